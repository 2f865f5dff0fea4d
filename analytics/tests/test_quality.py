"""The data-quality detectors on hand-made series."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from analytics import quality
from analytics.quality import Flag

AMS = ZoneInfo("Europe/Amsterdam")


def hourly(values, start=datetime(2022, 5, 2, 0, 0)):
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="h"))


def test_a_daytime_run_of_zeros_is_flagged_but_quiet_nights_are_not():
    day = [3, 2, 0, 0, 0, 0, 0, 4] + [50] * 4 + [0, 0, 0, 0, 0] + [40] * 7  # zeros at night, and 12:00–16:00
    mask = quality.zero_runs(hourly(day))
    assert list(mask[mask].index.hour) == [12, 13, 14, 15, 16]


def test_a_short_daytime_dip_to_zero_is_not_a_run():
    mask = quality.zero_runs(hourly([10] * 12 + [0, 0, 0] + [10] * 9))
    assert not mask.any()


def test_a_gap_in_the_index_ends_a_run():
    series = hourly([0, 0, 0, 0, 0, 0], start=datetime(2022, 5, 2, 10))
    series = pd.concat([series.iloc[:2], series.iloc[4:]])  # two hours missing in between
    assert not quality.zero_runs(series).any()


def test_missing_intervals_of_a_day_including_dst():
    day = date(2022, 3, 27)  # 23 hours in Amsterdam
    expected = quality.expected_starts(day, AMS)
    assert len(expected) == 23
    present = [moment for moment in expected if moment.hour not in (9, 10)]
    missing = quality.missing_intervals(present, day=day, tz=AMS)
    assert [moment.hour for moment in missing] == [9, 10]
    assert len(quality.expected_starts(date(2022, 10, 30), AMS)) == 25


def test_low_uptime():
    mask = quality.low_uptime(pd.Series([0.9, 0.49, None, 0.5]))
    assert list(mask) == [False, True, False, False]


def test_mojibake():
    assert quality.is_mojibake("Stein\ufffdtra\ufffde, Moers")
    assert quality.is_mojibake("StraÃŸe")
    assert not quality.is_mojibake("Steinstraße, Moers") and not quality.is_mojibake("Fußgänger")


def test_shifted_columns():
    # total, left, right: the good file adds up; the shifted one has an empty field before the parts.
    good = [[8, 5, 3, 9], [10, 4, 6, 1]]
    shifted = [[8, None, 5, 3], [10, None, 4, 6]]
    assert not quality.columns_shifted(good, total=0, parts=[1, 2])
    assert quality.columns_shifted(shifted, total=0, parts=[1, 2])


def test_flag_codes():
    assert quality.codes_of(int(Flag.ZERO_RUN | Flag.MISSING)) == ["zero_run", "missing_intervals"]
    assert timedelta(hours=1) == timedelta(seconds=3600)


def test_zeros_of_a_small_series_are_not_an_outage_but_of_a_busy_one_are():
    quiet = [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 3] + [1] * 12  # children at dawn: zeros are real
    assert not quality.zero_runs(hourly(quiet * 4)).any()
    busy = [5] * 8 + [100] * 12 + [5] * 4
    outage = busy * 3 + [0] * 24 + busy
    mask = quality.zero_runs(hourly(outage))
    assert mask.sum() == 24 and mask.iloc[72:96].all()

"""The extract: consented, pseudonymous frames only (ARCHITECTURE §6)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from analytics import extract
from areas.tests.factories import MerchantFactory

from .factories import Till, member, withdraw

AMS = ZoneInfo("Europe/Amsterdam")
START = datetime(2026, 1, 1, tzinfo=AMS)
END = datetime(2026, 12, 31, tzinfo=AMS)


@pytest.fixture
def world(area):
    shop = MerchantFactory(area=area, sector="fashion")
    till = Till()
    consented, pass_a = member(area, postcode="1234", age_band="25-34", first_name="Sanne")
    refused, pass_b = member(area, analytics=False, share=True, postcode="4321", first_name="Piet")
    till.visit(shop, pass_a, 2_500, datetime(2026, 3, 2, 10, 0, tzinfo=AMS))
    till.visit(shop, pass_a, 1_000, datetime(2026, 3, 3, 23, 30, tzinfo=AMS))
    till.visit(shop, pass_b, 4_000, datetime(2026, 3, 2, 11, 0, tzinfo=AMS))
    return {"shop": shop, "consented": consented, "refused": refused, "pass_a": pass_a, "pass_b": pass_b}


def test_visits_frame_holds_only_members_who_consented_to_the_purpose(area, world):
    frame = extract.visits_frame(area=area, start=START, end=END)
    assert list(frame.columns) == extract.VISIT_COLUMNS
    assert frame["amount_cents"].tolist() == [2_500, 1_000]
    assert frame["subject"].nunique() == 1
    assert frame["sector"].tolist() == ["fashion", "fashion"]
    assert frame["postcode4"].tolist() == ["1234", "1234"]
    assert frame["age_band"].tolist() == ["25-34", "25-34"]
    # Local time and local day: 23:30 in Amsterdam is still 3 March.
    assert frame["local_date"].tolist() == [pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-03")]
    assert str(frame["occurred_at"].dt.tz) == "Europe/Amsterdam"

    shared = extract.visits_frame(area=area, start=START, end=END, purpose=extract.SHARE_WITH_MERCHANTS)
    assert shared["amount_cents"].tolist() == [4_000]
    # The profile is given for analytics only: a merchant's frame carries none of it.
    assert shared["postcode4"].isna().all() and shared["age_band"].isna().all()


def test_the_subject_is_a_keyed_hash_that_changes_with_the_key(area, world, settings):
    frame = extract.visits_frame(area=area, start=START, end=END)
    subject = int(frame["subject"].iloc[0])
    pseudonym = world["consented"].pseudonym
    assert subject == extract.subject_of(pseudonym)
    assert subject not in (world["consented"].pk, world["pass_a"].pk, int(pseudonym.int & (2**63 - 1)))
    settings.ANALYTICS_SUBJECT_KEY = "another-key"
    assert int(extract.visits_frame(area=area, start=START, end=END)["subject"].iloc[0]) != subject


def test_no_personal_data_reaches_any_frame(area, world):
    people = [world["consented"], world["refused"]]
    personal_values = {
        value.lower()
        for person in people
        for value in (person.email, person.first_name, person.last_name, str(person.pseudonym), person.pseudonym.hex)
    } | {p.card_number for p in (world["pass_a"], world["pass_b"])}
    ids = {person.pk for person in people} | {world["pass_a"].pk, world["pass_b"].pk}
    frames = [
        extract.visits_frame(area=area, start=START, end=END),
        extract.visits_frame(area=area, start=START, end=END, purpose=extract.SHARE_WITH_MERCHANTS),
        extract.members_frame(area=area),
        extract.pickups_frame(area=area, start=START, end=END),
    ]
    for frame in frames:
        assert not extract.PERSONAL_COLUMNS & {c.lower() for c in frame.columns}
        extract.assert_pseudonymous(frame)
        for column in frame.columns:
            values = frame[column].dropna()
            text = {str(v).lower() for v in values}
            assert not text & personal_values, column
            if column not in ("amount_cents", "merchant_id", "point_id"):
                assert not set(values.tolist()) & ids, column


def test_assert_pseudonymous_refuses_a_frame_with_a_personal_column():
    with pytest.raises(AssertionError):
        extract.assert_pseudonymous(pd.DataFrame({"email": ["a@example.org"]}))


def test_consent_is_read_at_the_time_given(area, world):
    before = datetime.now(tz=AMS)
    withdraw(world["consented"], area)
    assert extract.visits_frame(area=area, start=START, end=END).empty
    # The frame as consent stood before the withdrawal (for a run that began then).
    assert len(extract.visits_frame(area=area, start=START, end=END, at=before - timedelta(seconds=0))) == 2


def test_an_unknown_purpose_is_refused(area):
    with pytest.raises(ValueError):
        extract.visits_frame(area=area, start=START, end=END, purpose="marketing")

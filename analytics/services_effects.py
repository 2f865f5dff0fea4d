"""Computing and storing segments, campaign and event effects, and opening-hours advice.

Each `compute_*` reads consented, pseudonymous data when it runs (so a withdrawal counts from the next run),
computes with the pure modules (`segments`, `effects`, `opening_hours`) and writes its result row in one
transaction; the Celery tasks in `tasks_effects.py` call them. `request_*` make or reset the row a page shows
as "waiting" and queue the task after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import cache, partial

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from areas.models import ShoppingArea

from . import effects, opening_hours, segments
from .exceptions_effects import EffectNotComputable
from .models import AdviceRun, EffectReport, EffectStatus, SegmentAssignment, SegmentRun, SubjectKind

logger = logging.getLogger(__name__)

#: How far back segments look (RFM over a year of visits).
SEGMENT_DAYS = 365
#: Opening-hours advice looks at the last eight weeks.
ADVICE_DAYS = 56
METHOD_VERSION = "effects-1"


def _code_version() -> str:
    return getattr(settings, "AGORA_VERSION", "") or METHOD_VERSION


def _midnight(area: ShoppingArea, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=area.tz)


def _local_day(area: ShoppingArea, moment: datetime) -> date:
    return moment.astimezone(area.tz).date()


def _progress(model, pk: int, percent: int) -> None:
    # Outside the computation's transaction, so the page polling it sees the progress.
    model.objects.filter(pk=pk).update(progress=percent)


# --- Segments -----------------------------------------------------------------------------------------------


def compute_segments(
    *, area_id: int, seed: int = 0, now: datetime | None = None, run_id: int | None = None
) -> SegmentRun:
    """RFM scores, named segments and k-means clusters of the area's members who consent to analytics now,
    stored as a new run; the earlier runs' assignments are deleted (only the latest is kept). Idempotent per
    run_id."""
    from .extract import visits_frame

    now = now or timezone.now()
    area = ShoppingArea.objects.get(pk=area_id)
    as_of = _local_day(area, now)
    run = SegmentRun.objects.filter(pk=run_id).first() if run_id else None
    if run is None:
        run = SegmentRun.objects.create(area=area, as_of=as_of, seed=seed, status=EffectStatus.RUNNING)
    else:
        SegmentRun.objects.filter(pk=run.pk).update(status=EffectStatus.RUNNING, progress=0, error="")
    visits = visits_frame(
        area=area, start=_midnight(area, as_of - timedelta(days=SEGMENT_DAYS)), end=_midnight(area, as_of), at=now
    )
    _progress(SegmentRun, run.pk, 30)
    table = segments.rfm_table(visits, as_of=as_of)
    try:
        clustering = segments.cluster(table, seed=run.seed) if len(table) >= 10 else None
    except ValueError:
        clustering = None
    _progress(SegmentRun, run.pk, 80)
    labels = clustering.labels if clustering else pd.Series(0, index=table.index)
    sizes = table["segment"].value_counts()
    with transaction.atomic():
        SegmentAssignment.objects.filter(run__area=area).delete()
        SegmentAssignment.objects.bulk_create(
            SegmentAssignment(
                run=run,
                subject=int(subject),
                recency=int(r),
                frequency=int(f),
                monetary=int(m),
                segment=segment,
                cluster=int(cluster),
            )
            for subject, r, f, m, segment, cluster in zip(
                table.index, table["r"], table["f"], table["m"], table["segment"], labels, strict=True
            )
        )
        run.status, run.progress, run.computed_at = EffectStatus.DONE, 100, timezone.now()
        run.members = len(table)
        run.k = clustering.k if clustering else None
        run.silhouette = clustering.silhouette if clustering else None
        run.result = {
            "segments": {code: int(sizes.get(code, 0)) for code in segments.SEGMENTS},
            "clusters": clustering.profiles if clustering else [],
            "silhouettes": {str(k): s for k, s in clustering.silhouettes.items()} if clustering else {},
            "provenance": {
                "source": "loyalty till purchases (analytics.extract.visits_frame), consent 'analytics' at run",
                "window": [str(as_of - timedelta(days=SEGMENT_DAYS)), str(as_of)],
                "method": "RFM quintiles; k-means (k by silhouette 2–6) on standardised log features",
                "seed": run.seed,
                "code_version": _code_version(),
            },
        }
        run.save()
    return run


def forget_withdrawn_segments(event) -> int:
    """A decision against the "analytics" consent (withdrawn or refused) deletes the person's segment assignments
    in that area at once: they are a profile of their visits built under that consent, so they are not kept
    without it (GDPR art. 7(3), 17(1)(b)); the next run leaves the person out anyway. A back-dated decision older
    than a later "given" changes nothing. Returns how many assignments were deleted."""
    from privacy.selectors import withdrawn_for_good

    from .extract import ANALYTICS, subject_of

    if not withdrawn_for_good(event, ANALYTICS):
        return 0
    subject = subject_of(event.subject.pseudonym)
    return SegmentAssignment.objects.filter(run__area_id=event.area_id, subject=subject).delete()[0]


def subjects_in_segment(*, area, code: str) -> set[int]:
    """The subjects of the area's latest done run in the segment (for the loyalty resolver)."""
    run = SegmentRun.objects.filter(area=area, status=EffectStatus.DONE).order_by("-computed_at", "-pk").first()
    if run is None:
        return set()
    return set(run.assignments.filter(segment=code).values_list("subject", flat=True))


@cache
def segment_resolver(code: str) -> Callable:
    """A loyalty segment resolver for an RFM segment: recomputes the subject keys of the (already consent-gated)
    passes through loyalty's `pass_subjects` and keeps those in the segment. Analytics stores no pass ids."""

    def resolve(passes, *, area, now):
        from loyalty import selectors as loyalty_selectors

        from .extract import subject_key, subject_of

        wanted = subjects_in_segment(area=area, code=code)
        if not wanted:
            return passes.none()
        key = subject_key()
        rows = loyalty_selectors.pass_subjects(area, member_ids=passes.values("member_id"))
        matched = [row.pass_id for row in rows if subject_of(row.pseudonym, key=key) in wanted]
        return passes.filter(pk__in=matched)

    resolve.__name__ = f"analytics_{code}"
    return resolve


# --- Effects --------------------------------------------------------------------------------------------------


def _window_of(area: ShoppingArea, starts_at: datetime, ends_at: datetime, *, by_noon: bool) -> tuple[date, date]:
    """The window's local days: the first and the day after the last. A campaign takes the days whose noon falls
    in [starts_at, ends_at) (one ending at 03:00 does not take in the morning it ends; one starting at 09:00
    takes in its first day); an event every day it touches."""
    first = _local_day(area, starts_at)
    end = _local_day(area, ends_at - timedelta(microseconds=1)) + timedelta(days=1)
    if by_noon:
        if datetime.combine(first, time(12), tzinfo=area.tz) < starts_at:
            first += timedelta(days=1)
        end = _local_day(area, ends_at)
        if datetime.combine(end, time(12), tzinfo=area.tz) < ends_at:
            end += timedelta(days=1)
    return first, max(end, first + timedelta(days=1))


def request_campaign_report(
    *, campaign, cost_cents: int = 0, margin_permille: int = 300, queue: bool = True
) -> EffectReport:
    """Make (or reset to waiting) the campaign's report and queue its computation after commit."""
    if not 0 <= margin_permille <= 1000:
        raise EffectNotComputable(_("The margin rate must lie between 0% and 100%."))
    first, end = _window_of(campaign.area, campaign.starts_at, campaign.ends_at, by_noon=True)
    with transaction.atomic():
        report, _created = EffectReport.objects.update_or_create(
            campaign=campaign,
            defaults={
                "area": campaign.area,
                "kind": SubjectKind.CAMPAIGN,
                "title": campaign.name,
                "starts_on": first,
                "ends_on": end,
                "cost_cents": cost_cents,
                "margin_permille": margin_permille,
                "status": EffectStatus.PENDING,
                "progress": 0,
                "error": "",
                "requested_at": timezone.now(),
            },
        )
        if queue:
            _queue_report(report.pk)
    return report


def request_event_report(*, area, occurrence, cost_cents: int = 0, margin_permille: int = 300, queue: bool = True):
    """Make (or reset) the report of one event occurrence (`cms.selectors.Occurrence`) and queue it."""
    if not 0 <= margin_permille <= 1000:
        raise EffectNotComputable(_("The margin rate must lie between 0% and 100%."))
    first, end = _window_of(area, occurrence.starts_at, occurrence.ends_at, by_noon=False)
    with transaction.atomic():
        report, _created = EffectReport.objects.update_or_create(
            area=area,
            occurrence_id=occurrence.id,
            defaults={
                "kind": SubjectKind.EVENT,
                "title": occurrence.title,
                "starts_on": first,
                "ends_on": end,
                "cost_cents": cost_cents,
                "margin_permille": margin_permille,
                "status": EffectStatus.PENDING,
                "progress": 0,
                "error": "",
                "requested_at": timezone.now(),
            },
        )
        if queue:
            _queue_report(report.pk)
    return report


def _queue_report(report_id: int) -> None:
    from .tasks_effects import compute_effect_report_task

    transaction.on_commit(partial(compute_effect_report_task.delay, report_id=report_id))


def _daily(visits: pd.DataFrame, days: pd.DatetimeIndex, mask) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Visits, spend and distinct members per day of the rows in `mask`."""
    rows = visits[mask]
    grouped = rows.groupby("local_date")
    count = grouped.size().reindex(days, fill_value=0).astype(float)
    spend = grouped["amount_cents"].sum().reindex(days, fill_value=0).astype(float)
    return count, spend, rows


def _groups(report: EffectReport, visits: pd.DataFrame):
    """(treated mask, control mask or None, description of the control) for the report's subject."""
    if report.kind == SubjectKind.CAMPAIGN:
        campaign = report.campaign
        merchant_ids = {m.pk for m in campaign.merchants.all()}
        sectors = set(campaign.sectors or [])
        if merchant_ids or sectors:
            treated = visits["merchant_id"].isin(merchant_ids) | visits["sector"].isin(sectors)
            if (~treated).any():
                return treated, ~treated, "merchants"
            return treated, None, ""
    return pd.Series(True, index=visits.index), None, ""


def _chart_table(series: pd.DataFrame, treated: pd.DataFrame, control: pd.DataFrame | None, *, start: date, k: int):
    """The chart's bins (7, 14 or 28 days counted from the window's first day: the shortest for which most bins
    rest on at least K members), each with actual and counterfactual visits. A bin is suppressed (an-kpi's
    `suppress`, primary and secondary) when fewer than K members stand behind it in the treated group, or in the
    control group whose visits the counterfactual is built from."""
    from .suppression import suppress

    frame = series.copy()
    frame.index = pd.to_datetime(frame.index)
    offsets = (frame.index - pd.Timestamp(start)).days

    def members(rows: pd.DataFrame, days: int) -> pd.Series:
        bins = (pd.to_datetime(rows["local_date"]) - pd.Timestamp(start)).dt.days // days
        return rows.assign(bin=bins).groupby("bin")["subject"].nunique()

    for days in (7, 14, 28):
        table = (
            frame.assign(bin=offsets // days)
            .groupby("bin")
            .agg(actual=("actual", "sum"), counterfactual=("counterfactual", "sum"))
        )
        people = members(treated, days).reindex(table.index, fill_value=0)
        if control is not None:
            people = np.minimum(people, members(control, days).reindex(table.index, fill_value=0))
        table["members"] = people
        table["first_day"] = [
            (pd.Timestamp(start) + pd.Timedelta(days=days * int(b))).date().isoformat() for b in table.index
        ]
        table = table.reset_index()
        shown = suppress(table, k=k, count_col="members", value_cols=["actual"])
        if (~shown["is_suppressed"]).mean() >= 0.75 or days == 28:
            break
    return days, [
        {
            "bin": int(row.bin),
            "first_day": row.first_day,
            "in_window": int(row.bin) >= 0,
            "actual": None if row.is_suppressed else float(row.actual),
            "counterfactual": None if row.is_suppressed else round(float(row.counterfactual), 1),
            "suppressed": bool(row.is_suppressed),
        }
        for row in shown.itertuples()
    ]


def _with_control_area(report: EffectReport, start: datetime, end: datetime, now: datetime):
    """The other areas' visits per day, and their calendar prefixed "control__" (for an area-wide subject)."""
    from .controls import daily_controls
    from .extract import visits_frame

    others = list(ShoppingArea.objects.filter(is_active=True).exclude(pk=report.area_id).order_by("pk"))
    if not others:
        return None, None
    frames, calendars = [], []
    for other in others:
        frames.append(visits_frame(area=other, start=start, end=end, at=now))
        calendars.append(daily_controls(area=other, start=start.date(), end=end.date()))
    visits = pd.concat(frames, ignore_index=True)
    if visits.empty:
        return None, None
    # With several other areas, a day counts as a holiday where any of them has one; weather is averaged.
    calendar = (
        pd.concat(calendars)
        .groupby(level=0)
        .agg(
            {
                "is_public_holiday": "max",
                "is_school_holiday": "max",
                "temp_mean_c": "mean",
                "precipitation_mm": "mean",
                "sunshine_h": "mean",
            }
        )
    )
    return visits, calendar.add_prefix("control__")


def compute_effect_report(
    *, report_id: int, now: datetime | None = None, placebo_runs: int = effects.PLACEBO_RUNS
) -> EffectReport:
    """Estimate the report's lift in visits and spend, run the placebo check, work out the ROI, and store it all
    (or the reason it could not be computed). Safe to run twice: the row is overwritten."""
    from .controls import daily_controls
    from .extract import visits_frame
    from .suppression import area_k

    now = now or timezone.now()
    report = EffectReport.objects.select_related("area", "campaign").get(pk=report_id)
    EffectReport.objects.filter(pk=report.pk).update(status=EffectStatus.RUNNING, progress=5, error="")
    area = report.area
    first, end = report.starts_on, report.ends_on
    if end > _local_day(area, now):
        end = _local_day(area, now)  # a running campaign: the days so far
    pre_start = first - timedelta(days=effects.PRE_DAYS)
    try:
        if end <= first:
            raise EffectNotComputable(_("The campaign has not started yet."), reason="not_started")
        start_at, end_at = _midnight(area, pre_start), _midnight(area, end)
        visits = visits_frame(area=area, start=start_at, end=end_at, at=now)
        days = pd.date_range(pre_start, end - timedelta(days=1), freq="D")
        controls = daily_controls(area=area, start=pre_start, end=end)
        _progress(EffectReport, report.pk, 25)
        treated_mask, control_mask, control_kind = _groups(report, visits)
        treated_visits, treated_spend, treated_rows = _daily(visits, days, treated_mask)
        daily = pd.DataFrame({"treated": treated_visits}, index=days)
        spend = pd.DataFrame({"treated": treated_spend}, index=days)
        control_rows = None
        if control_mask is not None:
            control_visits, control_spend, control_rows = _daily(visits, days, control_mask)
            daily["control"], spend["control"] = control_visits, control_spend
        else:
            other_visits, other_calendar = _with_control_area(report, start_at, end_at, now)
            if other_visits is not None:
                all_rows = pd.Series(True, index=other_visits.index)
                control_visits, control_spend, control_rows = _daily(other_visits, days, all_rows)
                daily["control"], spend["control"] = control_visits, control_spend
                controls = controls.join(other_calendar)
                control_kind = "area"
        k = area_k(area)
        in_window = treated_rows[
            (pd.to_datetime(treated_rows["local_date"]) >= pd.Timestamp(first))
            & (pd.to_datetime(treated_rows["local_date"]) < pd.Timestamp(end))
        ]
        window_members = int(in_window["subject"].nunique())
        top_share = (
            float(in_window.groupby("subject")["amount_cents"].sum().max() / max(in_window["amount_cents"].sum(), 1))
            if len(in_window)
            else 0.0
        )
        if window_members < k:
            raise EffectNotComputable(
                _("Fewer than %(k)s members visited the participating merchants in the period: no figure is shown.")
                % {"k": k},
                reason="too_few_members",
                k=k,
            )
        visits_estimate = effects.estimate_lift(daily, start=first, end=end, controls=controls, metric="visits")
        _progress(EffectReport, report.pk, 45)
        spend_estimate = effects.estimate_lift(spend, start=first, end=end, controls=controls, metric="spend_cents")
        _progress(EffectReport, report.pk, 60)
        placebo = effects.placebo_check(
            daily, start=first, end=end, controls=controls, runs=placebo_runs, seed=report.pk
        )
        _progress(EffectReport, report.pk, 90)
        roi = effects.roi(spend=spend_estimate, margin_rate=report.margin_permille / 1000, cost_cents=report.cost_cents)
        series = pd.DataFrame(visits_estimate.series, columns=["day", "actual", "counterfactual"]).set_index("day")
        bin_days, bins = _chart_table(series, treated_rows, control_rows, start=first, k=k)
        spend_shown = top_share <= 0.30
        result = {
            "visits": _estimate_dict(visits_estimate),
            "spend": _estimate_dict(spend_estimate) if spend_shown else None,
            "roi": roi.as_dict() if spend_shown else None,
            "placebo": placebo.as_dict(),
            "chart": {"bin_days": bin_days, "bins": bins},
            "design": visits_estimate.design,
            "control": control_kind,
            "window": [first.isoformat(), end.isoformat()],
            "pre_period": [pre_start.isoformat(), first.isoformat()],
            "suppression": {
                "k": k,
                "members_in_window": window_members if window_members >= k else None,
                "bins_suppressed": sum(item["suppressed"] for item in bins),
                "spend_dominance": not spend_shown,
            },
            "provenance": {
                "source": "loyalty till purchases (analytics.extract.visits_frame), consent 'analytics' at run; "
                "analytics.controls.daily_controls",
                "method": effects.METHOD,
                "hac_lags": effects.HAC_LAGS,
                "placebo_runs": placebo_runs,
                "computed_at": now.isoformat(),
                "code_version": _code_version(),
            },
        }
        status, error = EffectStatus.DONE, ""
    except (EffectNotComputable, effects.NotEnoughData) as problem:
        # The reason as a code (the pages say it in the reader's language: "Too few members" is no failure).
        extra = getattr(problem, "extra", {})
        result = {"reason": extra.get("reason", "not_enough_data"), **({"k": extra["k"]} if "k" in extra else {})}
        status, error = EffectStatus.FAILED, str(problem)
    with transaction.atomic():
        report = EffectReport.objects.select_for_update().get(pk=report.pk)
        report.result, report.status, report.error = result, status, error
        report.progress, report.computed_at = 100, timezone.now()
        report.save(update_fields=["result", "status", "error", "progress", "computed_at"])
    return report


def _estimate_dict(estimate: effects.Estimate) -> dict:
    data = estimate.as_dict()
    data.pop("series")  # the chart is stored per week, suppressed
    return {key: (round(value, 6) if isinstance(value, float) else value) for key, value in data.items()}


def compute_running_campaign_reports(*, now: datetime | None = None) -> int:
    """Nightly: (re)compute the reports of campaigns running now or ended in the last week. Returns how many."""
    from loyalty import selectors as loyalty_selectors

    now = now or timezone.now()
    done = 0
    for area in ShoppingArea.objects.filter(is_active=True).order_by("pk"):
        for campaign in loyalty_selectors.campaigns_between(area, now - timedelta(days=7), now):
            if campaign.starts_at >= now:
                continue
            existing = EffectReport.objects.filter(campaign=campaign).first()
            report = request_campaign_report(
                campaign=campaign,
                cost_cents=existing.cost_cents if existing else 0,
                margin_permille=existing.margin_permille if existing else 300,
                queue=False,
            )
            compute_effect_report(report_id=report.pk, now=now)
            done += 1
    return done


# --- Opening-hours advice ----------------------------------------------------------------------------------------


def _footfall(area, start: date, end: date, now: datetime) -> tuple[pd.DataFrame, str, dict]:
    """(local_date, hour, value) of persons counted by the area's sensors, else of the area's pass scans; and for
    scans, the distinct members behind each (weekday, hour) (sensors count anonymous passers-by)."""
    from .extract import visits_frame
    from .selectors_sensors import counts

    counted = counts(area=area, start=start, end=end, interval="hour")
    if not counted.empty:
        moments = pd.to_datetime(counted["phenomenon_start"])
        frame = pd.DataFrame(
            {"local_date": [m.date() for m in moments], "hour": [m.hour for m in moments], "value": counted["value"]}
        )
        return frame, "sensors", {}
    visits = visits_frame(area=area, start=_midnight(area, start), end=_midnight(area, end), at=now)
    frame = pd.DataFrame(
        {
            "local_date": [m.date() for m in visits["occurred_at"]],
            "hour": [m.hour for m in visits["occurred_at"]],
            "value": np.ones(len(visits)),
        }
    )
    slots = visits.assign(weekday=visits["occurred_at"].dt.day_of_week, hour=visits["occurred_at"].dt.hour)
    people = slots.groupby(["weekday", "hour"])["subject"].nunique().to_dict()
    return frame, "visits", people


def compute_opening_hours_advice(*, area_id: int, now: datetime | None = None, run_id: int | None = None) -> AdviceRun:
    """Advice per merchant and per sector over the last eight weeks, stored as a new run."""
    from areas.selectors import hours_between

    now = now or timezone.now()
    area = ShoppingArea.objects.get(pk=area_id)
    end = _local_day(area, now)
    start = end - timedelta(days=ADVICE_DAYS)
    run = AdviceRun.objects.filter(pk=run_id).first() if run_id else None
    if run is None:
        run = AdviceRun.objects.create(area=area, start=start, end=end, source="", status=EffectStatus.RUNNING)
    from .suppression import area_k

    footfall, source, people = _footfall(area, start, end, now)
    k = area_k(area)
    hidden = 0

    def shown(advice: list) -> list[dict]:
        # An hour of pass scans resting on fewer than K members is not shown (sensor counts are anonymous).
        nonlocal hidden
        kept = [a.as_dict() for a in advice if source == "sensors" or people.get((a.weekday, a.hour), 0) >= k]
        hidden += len(advice) - len(kept)
        return kept

    _progress(AdviceRun, run.pk, 30)
    from areas.models import Merchant

    hours = hours_between(area, start, end)
    names = dict(
        (pk, (name, sector))
        for pk, name, sector in Merchant.objects.filter(pk__in=list(hours)).values_list("pk", "trade_name", "sector")
    )
    merchant_days = {
        pk: {day: opening_hours.open_hours_of(day_hours.periods) for day, day_hours in days.items()}
        for pk, days in hours.items()
    }
    sector_days: dict[str, dict[date, list[int]]] = {}
    for sector in sorted({sector for _name, sector in names.values()}):
        members = [pk for pk in hours if names[pk][1] == sector]
        sector_days[sector] = {
            start + timedelta(days=offset): opening_hours.sector_open_hours(
                {pk: hours[pk][start + timedelta(days=offset)].periods for pk in members}
            )
            for offset in range((end - start).days)
        }
    result = {
        "merchants": {
            str(pk): {
                "name": names[pk][0],
                "sector": names[pk][1],
                "advice": shown(opening_hours.advise(footfall, days)),
            }
            for pk, days in merchant_days.items()
        },
        "sectors": {sector: shown(opening_hours.advise(footfall, days)) for sector, days in sector_days.items()},
        "provenance": {
            "source": source,
            "window": [start.isoformat(), end.isoformat()],
            "method": "mean footfall per weekday and hour; advised where closed on ≥ half the days and at least "
            "the median of the open hours",
            "code_version": _code_version(),
            "suppression": {"k": k, "hidden": hidden},
        },
    }
    with transaction.atomic():
        run.source, run.result, run.status = source, result, EffectStatus.DONE
        run.progress, run.computed_at = 100, timezone.now()
        run.save()
    return run


def request_segments(*, area, seed: int = 0) -> SegmentRun:
    """A waiting segment run for the area, computed after commit."""
    from .tasks_effects import compute_segments_task

    run = SegmentRun.objects.create(area=area, as_of=_local_day(area, timezone.now()), seed=seed)
    transaction.on_commit(partial(compute_segments_task.delay, area_id=area.pk, run_id=run.pk))
    return run


def request_opening_hours_advice(*, area) -> AdviceRun:
    """A waiting advice run for the area, computed after commit."""
    from .tasks_effects import compute_opening_hours_advice_task

    end = _local_day(area, timezone.now())
    run = AdviceRun.objects.create(area=area, start=end - timedelta(days=ADVICE_DAYS), end=end, source="")
    transaction.on_commit(partial(compute_opening_hours_advice_task.delay, area_id=area.pk, run_id=run.pk))
    return run


def compute_all_segments_and_advice(*, now: datetime | None = None) -> int:
    """Nightly: each active area's segments (seed 0) and opening-hours advice."""
    done = 0
    for area_id in ShoppingArea.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True):
        compute_segments(area_id=area_id, now=now)
        compute_opening_hours_advice(area_id=area_id, now=now)
        done += 2
    return done

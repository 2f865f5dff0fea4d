"""The only door from the other modules' data into analytics: consented, pseudonymous DataFrames.

Every frame is read through the owning module's selectors and filtered by consent **when the frame is built**
(`privacy.selectors.consented_subject_ids`, per purpose: `analytics` for area figures, `share_with_merchants`
for a merchant's view of its own customers). A person is a `subject`: the first 8 bytes of
HMAC-SHA256(`ANALYTICS_SUBJECT_KEY`, `User.pseudonym`) as a signed 64-bit integer. Without the key the
subject cannot be joined back to the pseudonym, and the pseudonym itself never enters a frame.
No name, e-mail, address, user id, pass id or card number ever reaches a frame (`PERSONAL_COLUMNS`;
`tests/test_extract.py` asserts on the columns and on the values).

Column conventions: `occurred_at` is aware, in the area's zone; `local_date` is that day as a naive
`datetime64[ns]` at midnight (fast to group and resample; `.dt.date` gives `date` objects).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection

from areas.models import Merchant
from loyalty import selectors as loyalty_selectors
from parcels import selectors as parcel_selectors
from privacy.selectors import consented_subject_ids

ANALYTICS = "analytics"
SHARE_WITH_MERCHANTS = "share_with_merchants"
PURPOSES = (ANALYTICS, SHARE_WITH_MERCHANTS)

#: Column names that must never appear in a frame (checked by the tests and by `assert_pseudonymous`).
PERSONAL_COLUMNS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "email",
        "e_mail",
        "address",
        "street",
        "phone",
        "user_id",
        "member_id",
        "pass_id",
        "card_number",
        "pseudonym",
        "recipient_email",
        "recipient_name",
    }
)

VISIT_COLUMNS = [
    "subject",
    "merchant_id",
    "sector",
    "occurred_at",
    "local_date",
    "amount_cents",
    "postcode4",
    "country",
    "age_band",
]
MEMBER_COLUMNS = ["subject", "joined_at", "postcode4", "country", "age_band"]
PICKUP_COLUMNS = ["subject", "point_id", "carrier", "picked_up_at", "local_date"]


def subject_key() -> bytes:
    """The HMAC key: the `ANALYTICS_SUBJECT_KEY` setting, or one derived from SECRET_KEY."""
    key = getattr(settings, "ANALYTICS_SUBJECT_KEY", "") or ""
    if not key:
        key = hmac.new(settings.SECRET_KEY.encode(), b"agora-analytics-subject", hashlib.sha256).hexdigest()
    return key.encode()


def subject_of(pseudonym, *, key: bytes | None = None) -> int:
    """The keyed, one-way subject number of a pseudonym (a UUID or its string)."""
    raw = pseudonym if isinstance(pseudonym, uuid.UUID) else uuid.UUID(str(pseudonym))
    digest = hmac.new(key or subject_key(), raw.bytes, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _check_purpose(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown analytics purpose {purpose!r}: one of {', '.join(PURPOSES)}.")


def _rows(queryset) -> list[tuple]:
    """A selector's queryset fetched with one plain cursor: the selector decides the query; this only skips
    building a named tuple per row, which dominates reading millions of visits."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _aware(values, tz) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object"), utc=True).dt.tz_convert(tz)


def _subjects(area, purpose: str, at: datetime | None) -> pd.DataFrame:
    """The area's passes of members with consent to `purpose` (at `at`, default now): pass_id → subject and
    profile. pass_id stays inside this module (it is dropped before any frame leaves)."""
    member_ids = consented_subject_ids(area, purpose, at)
    rows = _rows(loyalty_selectors.pass_subjects(area, member_ids=member_ids))
    key = subject_key()
    frame = pd.DataFrame(rows, columns=["pass_id", "pseudonym", "postcode", "age_band", "joined_at"])
    frame["subject"] = np.array([subject_of(p, key=key) for p in frame["pseudonym"]], dtype="int64")
    frame = frame.drop(columns=["pseudonym"])
    # The profile is given for analytics only (the purpose's text says so): other purposes get none of it.
    if purpose == ANALYTICS:
        postcode = frame["postcode"].fillna("").astype(str).str.strip()
        frame["postcode4"] = postcode.where(postcode != "", None)
        frame["age_band"] = frame["age_band"].fillna("").where(frame["age_band"].fillna("") != "", None)
    else:
        frame["postcode4"] = None
        frame["age_band"] = None
    # The pass stores 4 digits without a country: read as the area's country (see docs/analytics-kpis.md).
    frame["country"] = np.where(frame["postcode4"].notna(), area.country, None)
    frame["joined_at"] = _aware(frame["joined_at"], area.tz) if len(frame) else frame["joined_at"]
    return frame.drop(columns=["postcode"])


def merchants_frame(*, area) -> pd.DataFrame:
    """The area's merchants (every status): merchant_id, sector, trade_name. Businesses, not people."""
    rows = list(Merchant.objects.filter(area=area).order_by("pk").values_list("pk", "sector", "trade_name"))
    return pd.DataFrame(rows, columns=["merchant_id", "sector", "trade_name"])


def members_frame(*, area, purpose: str = ANALYTICS, at: datetime | None = None) -> pd.DataFrame:
    """One row per consented member of the area: subject, joined_at, postcode4, country, age_band."""
    _check_purpose(purpose)
    frame = _subjects(area, purpose, at)
    return frame[MEMBER_COLUMNS].reset_index(drop=True)


def visits_frame(
    *, area, start: datetime, end: datetime, purpose: str = ANALYTICS, at: datetime | None = None
) -> pd.DataFrame:
    """The area's store visits in [start, end) of members with consent to `purpose` at `at` (default now):
    columns `VISIT_COLUMNS`, oldest first. Undone scans are not visits (loyalty.selectors.visits)."""
    _check_purpose(purpose)
    subjects = _subjects(area, purpose, at)
    rows = _rows(loyalty_selectors.visits(area, start, end))
    raw = pd.DataFrame(rows, columns=["pass_id", "merchant_id", "occurred_at", "amount_cents"])
    frame = raw.merge(subjects[["pass_id", "subject", "postcode4", "country", "age_band"]], on="pass_id")
    sectors = merchants_frame(area=area)[["merchant_id", "sector"]]
    frame = frame.merge(sectors, on="merchant_id", how="left")
    frame["occurred_at"] = (
        _aware(frame["occurred_at"], area.tz)
        if len(frame)
        else pd.Series([], dtype=f"datetime64[ns, {area.time_zone}]")
    )
    frame["local_date"] = frame["occurred_at"].dt.tz_localize(None).dt.normalize()
    frame["amount_cents"] = frame["amount_cents"].astype("int64")
    frame["merchant_id"] = frame["merchant_id"].astype("int64")
    frame = frame.sort_values(["occurred_at", "subject"], kind="stable")
    return frame[VISIT_COLUMNS].reset_index(drop=True)


def pickups_frame(
    *, area, start: datetime, end: datetime, purpose: str = ANALYTICS, at: datetime | None = None
) -> pd.DataFrame:
    """Parcel pickups in [start, end) by members of the area with consent to `purpose`: `PICKUP_COLUMNS`.
    A pickup whose recipient has no account, no pass in the area or no consent is left out."""
    _check_purpose(purpose)
    key = subject_key()
    member_ids = consented_subject_ids(area, purpose, at)
    passes = _rows(loyalty_selectors.pass_subjects(area, member_ids=member_ids))
    consented = {uuid.UUID(str(pseudonym)) for _pass_id, pseudonym, *_rest in passes}
    rows = [
        (subject_of(pseudonym, key=key), point_id, carrier, at_)
        for pseudonym, point_id, carrier, at_ in parcel_selectors.pickups(area=area, start=start, end=end)
        if pseudonym is not None and uuid.UUID(str(pseudonym)) in consented
    ]
    frame = pd.DataFrame(rows, columns=["subject", "point_id", "carrier", "picked_up_at"])
    frame["subject"] = frame["subject"].astype("int64")
    frame["picked_up_at"] = (
        _aware(frame["picked_up_at"], area.tz)
        if len(frame)
        else pd.Series([], dtype=f"datetime64[ns, {area.time_zone}]")
    )
    frame["local_date"] = frame["picked_up_at"].dt.tz_localize(None).dt.normalize()
    return frame[PICKUP_COLUMNS].reset_index(drop=True)


def assert_pseudonymous(frame: pd.DataFrame) -> None:
    """Refuse a frame that carries a personal-data column (a guard for code that builds frames of its own)."""
    leaked = PERSONAL_COLUMNS & {str(column).lower() for column in frame.columns}
    if leaked:
        raise AssertionError(f"Personal-data columns in an analytics frame: {sorted(leaked)}")

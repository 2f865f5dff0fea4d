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
from shop import selectors as shop_selectors

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
ORDER_COLUMNS = ["subject", "order_key", "merchant_id", "sector", "paid_at", "local_date", "goods_cents", "fulfilment"]
REDEMPTION_COLUMNS = ["subject", "merchant_id", "channel", "kind", "value_cents", "occurred_at", "local_date"]


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


def _consented_pseudonyms(area, purpose: str, at: datetime | None) -> set[uuid.UUID]:
    """The pseudonyms of the area's members with a pass and consent to `purpose` at `at` (stays in this module)."""
    passes = _rows(loyalty_selectors.pass_subjects(area, member_ids=consented_subject_ids(area, purpose, at)))
    return {uuid.UUID(str(pseudonym)) for _pass_id, pseudonym, *_rest in passes}


def _is_in(pseudonym, consented: set[uuid.UUID]) -> bool:
    return pseudonym is not None and uuid.UUID(str(pseudonym)) in consented


def _local(frame: pd.DataFrame, column: str, tz, zone: str) -> pd.DataFrame:
    """`column` as aware local times and `local_date` as that day (naive midnight), also for an empty frame."""
    frame[column] = _aware(frame[column], tz) if len(frame) else pd.Series([], dtype=f"datetime64[ns, {zone}]")
    frame["local_date"] = frame[column].dt.tz_localize(None).dt.normalize()
    return frame


def _order_key(order_id: int, key: bytes) -> int:
    """A keyed number for an order: orders can be counted, not looked up in the webshop."""
    digest = hmac.new(key, f"order:{order_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def orders_frame(
    *, area, start: datetime, end: datetime, purpose: str = ANALYTICS, at: datetime | None = None
) -> pd.DataFrame:
    """The area's webshop orders paid in [start, end) by members with consent to `purpose`, one row per
    merchant's part: `ORDER_COLUMNS`, oldest first (`shop.selectors.paid_order_parts`). `goods_cents` are the
    part's goods after refunds; a part refunded in full is left out (no purchase is left), as is a guest order
    (no account) or one whose customer has no pass in the area or no consent. `order_key` is a keyed number
    (HMAC, like the subject): orders can be counted, not traced."""
    _check_purpose(purpose)
    key = subject_key()
    consented = _consented_pseudonyms(area, purpose, at)
    rows = [
        (subject_of(pseudonym, key=key), _order_key(order_id, key), merchant_id, paid_at, goods, fulfilment)
        for pseudonym, order_id, merchant_id, paid_at, goods, fulfilment in shop_selectors.paid_order_parts(
            area=area, start=start, end=end
        )
        if goods > 0 and _is_in(pseudonym, consented)
    ]
    frame = pd.DataFrame(rows, columns=["subject", "order_key", "merchant_id", "paid_at", "goods_cents", "fulfilment"])
    for column in ("subject", "order_key", "merchant_id", "goods_cents"):
        frame[column] = frame[column].astype("int64")
    sectors = merchants_frame(area=area)[["merchant_id", "sector"]]
    frame = frame.merge(sectors, on="merchant_id", how="left")
    frame = _local(frame, "paid_at", area.tz, area.time_zone)
    return frame[ORDER_COLUMNS].reset_index(drop=True)


def redemptions_frame(
    *, area, start: datetime, end: datetime, purpose: str = ANALYTICS, at: datetime | None = None
) -> pd.DataFrame:
    """Vouchers and rewards used in [start, end) by members of the area with consent to `purpose`:
    `REDEMPTION_COLUMNS`, oldest first. At the till (`loyalty.selectors.till_redemptions`: the merchant, what it
    paid of the purchase; undone purchases left out) and in the webshop (`loyalty.selectors.online_redemptions`
    with what the paid order took off, `shop.selectors.voucher_orders`; no merchant: an order may span several).
    `kind` is "voucher" or "reward"; `channel` "till" or "online"."""
    _check_purpose(purpose)
    key = subject_key()
    subjects = _subjects(area, purpose, at)[["pass_id", "subject"]]
    till = pd.DataFrame(
        loyalty_selectors.till_redemptions(area, start, end),
        columns=["pass_id", "merchant_id", "kind", "value_cents", "occurred_at"],
    ).merge(subjects, on="pass_id")
    till["channel"] = "till"
    online_rows = loyalty_selectors.online_redemptions(area, start, end)
    consented = _consented_pseudonyms(area, purpose, at)
    paid = {
        public_id: (pseudonym, voucher_cents)
        for public_id, pseudonym, voucher_cents in shop_selectors.voucher_orders(
            area=area, public_ids={ref for ref, _kind, _at in online_rows}
        )
        if voucher_cents > 0 and _is_in(pseudonym, consented)
    }
    online = pd.DataFrame(
        [
            (subject_of(paid[ref][0], key=key), None, kind, paid[ref][1], at_, "online")
            for ref, kind, at_ in online_rows
            if ref in paid
        ],
        columns=["subject", "merchant_id", "kind", "value_cents", "occurred_at", "channel"],
    )
    parts = [part for part in (till.drop(columns=["pass_id"]), online) if len(part)]
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["subject", "merchant_id", "kind", "value_cents", "occurred_at", "channel"])
    )
    frame["subject"] = frame["subject"].astype("int64")
    frame["merchant_id"] = frame["merchant_id"].astype("Int64")
    frame["value_cents"] = frame["value_cents"].astype("int64")
    frame = _local(frame, "occurred_at", area.tz, area.time_zone)
    frame = frame.sort_values(["occurred_at", "subject"], kind="stable")
    return frame[REDEMPTION_COLUMNS].reset_index(drop=True)


def assert_pseudonymous(frame: pd.DataFrame) -> None:
    """Refuse a frame that carries a personal-data column (a guard for code that builds frames of its own)."""
    leaked = PERSONAL_COLUMNS & {str(column).lower() for column in frame.columns}
    if leaked:
        raise AssertionError(f"Personal-data columns in an analytics frame: {sorted(leaked)}")

"""The till's hottest statements, as plain SQL built once from the models: what a scan's rules read, and the write of
a scan that only earns.

A scan that only earns (nothing paid with a voucher, a reward or gift-card value) runs on PostgreSQL in two
statements and no explicit transaction (`till._award_unlocked`):

1. `read_for_scan` reads the pass, its member, the merchant's multiplier, the name consent and every fact the rules
   need (`facts_sql`) in one query, without locking anything;
2. the rules run in Python, the same code as for a locked scan;
3. `write_purchase` writes the till transaction, the ledger entry and its lot, and moves the pass's balance, in one
   statement (data-modifying CTEs, so all of it or nothing), on one condition checked under the row lock that the
   UPDATE takes: the pass's `till_version` is still what step 1 read (and the code's step was not used since). Every
   till transaction of a pass raises its version (purchase, undo, refund, locked or not), and so does every other
   change of its balance or lots (`ledger._change_balance`: webshop points, spends in the app, corrections; the
   night's expiry), so a scan whose facts went stale in between — another scan, webshop points of the day, points
   expired or spent — writes nothing and is read again.

That is what the pass lock of a locked scan guarantees (the per-member facts are exact), in three round trips to
PostgreSQL for the whole API call instead of eleven. Everything else — spends, undos, refunds, SQLite — takes the
pass lock (`till._award`).
"""

from __future__ import annotations

from contextlib import nullcontext
from datetime import datetime, timedelta
from functools import cache

from django.db import connection, transaction

from agora import rows
from privacy.selectors import consent_exists

from ..models import (
    NAME_PURPOSE,
    ONLINE_REASON_PREFIX,
    EntryKind,
    LedgerEntry,
    MerchantLoyalty,
    Pass,
    PassStatus,
    PointLot,
    TillKind,
    TillTransaction,
)

FACT_NAMES = (
    "member_hour",
    "member_merchant_day",
    "points_today",
    "merchant_hour",
    "device_hour",
    "purchases_here",
    "undone_here",
    "receipt_purchases",
    "receipt_undone",
    "previous_id",
    "overdue",
)


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def overdue_sql(pass_id: str, now: str) -> str:
    """The points of the pass's lots past their date at the SQL `now` that the night's expiry has not taken yet: the
    member's app leaves them out of the balance (`selectors.pass_overview`), so the till's balance after does too."""
    return f"""(SELECT COALESCE(SUM(remaining), 0) FROM {_q(PointLot._meta.db_table)}
            WHERE member_pass_id = {pass_id} AND remaining > 0 AND expires_at <= {now})"""


#: How the webshop's points are told from other credits: an EARN entry whose reason starts so (`services.online`).
ONLINE_REASON = f"{ONLINE_REASON_PREFIX} "


def online_points_sql(pass_id: str) -> str:
    """The points the pass earned in the webshop since `%(day_start)s`, counted as the webshop counts them for the
    daily cap (`online._points_today`: its EARN entries). `substr` rather than LIKE: exact on SQLite too."""
    return f"""(SELECT COALESCE(SUM(points), 0) FROM {_q(LedgerEntry._meta.db_table)}
            WHERE member_pass_id = {pass_id} AND kind = %(earn)s AND occurred_at >= %(day_start)s
              AND substr(reason, 1, {len(ONLINE_REASON)}) = %(online_reason)s)"""


def facts_sql(pass_id: str) -> str:
    """The facts of `till._till_facts`, one column each (FACT_NAMES), for the pass whose id is the SQL `pass_id`:
    `%(pass)s` for a pass already known, `p.id` inside `read_for_scan`. Named parameters: `facts_params`.

    CASE rather than FILTER, so that SQLite runs it too. The webshop's points of the day (the cap is one for both) and
    the overdue points are subqueries of their own tables, in the same statement.

    The member's velocity counts (`member_hour`, `member_merchant_day`) leave out purchases that were undone: each
    undo of a purchase inside the window counts -1. An undo is a row of the same pass (and merchant) made after its
    purchase, so it is among the rows read here; whether its purchase lies in the window is a lookup of its
    `reverses_id` in the pass's purchases of that window — a subquery that does not depend on the row (PostgreSQL
    runs it once, on the `till_pass_time` index, and hashes it), not a per-row EXISTS (see `till._till_facts`).
    """
    p = pass_id
    table = _q(TillTransaction._meta.db_table)
    return f"""
        SELECT
            SUM(CASE WHEN member_pass_id = {p} AND kind = %(purchase)s AND occurred_at >= %(hour_ago)s THEN 1
                WHEN member_pass_id = {p} AND kind = %(undo)s AND reverses_id IN (SELECT id FROM {table}
                    WHERE member_pass_id = {p} AND kind = %(purchase)s AND occurred_at >= %(hour_ago)s) THEN -1
                ELSE 0 END),
            SUM(CASE WHEN member_pass_id = {p} AND merchant_id = %(merchant)s AND kind = %(purchase)s
                AND occurred_at >= %(day_start)s THEN 1
                WHEN member_pass_id = {p} AND merchant_id = %(merchant)s AND kind = %(undo)s
                AND reverses_id IN (SELECT id FROM {table} WHERE member_pass_id = {p} AND merchant_id = %(merchant)s
                    AND kind = %(purchase)s AND occurred_at >= %(day_start)s) THEN -1
                ELSE 0 END),
            COALESCE(SUM(CASE WHEN member_pass_id = {p} AND occurred_at >= %(day_start)s THEN points ELSE 0 END), 0)
                + {online_points_sql(p)},
            SUM(CASE WHEN merchant_id = %(merchant)s AND kind = %(purchase)s AND occurred_at >= %(hour_ago)s
                THEN 1 ELSE 0 END),
            SUM(CASE WHEN merchant_id = %(merchant)s AND kind = %(purchase)s AND device_id = %(device)s
                AND occurred_at >= %(hour_ago)s THEN 1 ELSE 0 END),
            SUM(CASE WHEN member_pass_id = {p} AND merchant_id = %(merchant)s AND kind = %(purchase)s
                THEN 1 ELSE 0 END),
            SUM(CASE WHEN member_pass_id = {p} AND merchant_id = %(merchant)s AND kind = %(undo)s THEN 1 ELSE 0 END),
            SUM(CASE WHEN merchant_id = %(merchant)s AND receipt_number = %(receipt)s AND kind = %(purchase)s
                THEN 1 ELSE 0 END),
            SUM(CASE WHEN merchant_id = %(merchant)s AND receipt_number = %(receipt)s AND kind = %(undo)s
                THEN 1 ELSE 0 END),
            MAX(CASE WHEN request_key = %(key)s THEN id END),
            {overdue_sql(p, "%(now)s")}
        FROM {table}
        WHERE (member_pass_id = {p} AND occurred_at >= %(window)s)
           OR (merchant_id = %(merchant)s AND kind = %(purchase)s AND occurred_at >= %(hour_ago)s)
           OR (member_pass_id = {p} AND merchant_id = %(merchant)s AND kind IN (%(purchase)s, %(undo)s))
           OR (merchant_id = %(merchant)s AND receipt_number = %(receipt)s AND receipt_number <> ''
               AND kind IN (%(purchase)s, %(undo)s))
           OR request_key = %(key)s
    """


def facts_params(
    *, merchant_id: int, device_id: str, receipt_number: str, request_key, hour_ago: datetime, day_start: datetime
) -> dict:
    """The parameters of `facts_sql` (and the pass's, `pass`, where it is one). The scan's moment is an hour after
    `hour_ago`."""
    at = TillTransaction._meta.get_field("occurred_at")
    return {
        "purchase": TillKind.PURCHASE.value,
        "undo": TillKind.UNDO.value,
        "merchant": merchant_id,
        "device": device_id,
        "receipt": receipt_number,
        "key": TillTransaction._meta.get_field("request_key").get_db_prep_value(request_key, connection),
        "hour_ago": at.get_db_prep_value(hour_ago, connection),
        "day_start": at.get_db_prep_value(day_start, connection),
        "window": at.get_db_prep_value(min(hour_ago, day_start), connection),
        "now": at.get_db_prep_value(hour_ago + timedelta(hours=1), connection),
        "earn": EntryKind.EARN.value,
        "online_reason": ONLINE_REASON,
    }


def facts_from(values) -> dict:
    facts = dict(zip(FACT_NAMES, (value or 0 for value in values), strict=True))
    facts["visits_here"] = facts["purchases_here"] - facts["undone_here"]
    facts["receipt_uses"] = facts["receipt_purchases"] - facts["receipt_undone"]
    return facts


# --- A scan that only earns: one read, one write ---------------------------------------------------------------


@cache
def _read_sql() -> str:
    from accounts.models import User

    return f"""
        SELECT {rows.columns("p", Pass)}, {rows.columns("u", User)},
            (SELECT multiplier_permille FROM {_q(MerchantLoyalty._meta.db_table)}
             WHERE merchant_id = %(merchant)s LIMIT 1),
            {{consent}},
            f.*
        FROM {_q(Pass._meta.db_table)} p
        JOIN {_q(User._meta.db_table)} u ON u.id = p.member_id
        CROSS JOIN LATERAL ({facts_sql("p.id")}) f
        WHERE p.area_id = %(area)s AND p.card_number = %(card)s
    """


def _named(sql: str, params: list, prefix: str) -> tuple[str, dict]:
    """Positional `%s` parameters as named ones, to embed SQL made elsewhere in a query with named parameters."""
    pieces = sql.split("%s")
    if len(pieces) != len(params) + 1:
        raise ValueError("Parameter count does not match the SQL.")
    names = [f"{prefix}{index}" for index in range(len(params))]
    named = pieces[0] + "".join(f"%({name})s{piece}" for name, piece in zip(names, pieces[1:], strict=True))
    return named, dict(zip(names, params, strict=True))


def read_statement(area_id: int, card_number: str, facts: dict) -> tuple[str, dict]:
    """The SQL and parameters of `read_for_scan`."""
    consent = consent_exists(NAME_PURPOSE, subject_column=f"p.{_q('member_id')}", area_id=area_id)
    consent_sql, consent_params = _named(consent.sql, list(consent.params), "consent")
    params = {**facts, **consent_params, "area": area_id, "card": card_number}
    return _read_sql().replace("{consent}", consent_sql), params


def read_row(sql: str, params: dict) -> tuple | None:
    """The one row of `read_statement`'s query (or None).

    With server-side parameters on PostgreSQL (`DJANGO_DB_PREPARED_STATEMENTS`) a statement run often is prepared,
    and PostgreSQL then plans it once (a generic plan) unless it estimates planning it for each run's values cheaper.
    For this query it always does — a merchant's last hour of purchases lies past the table's statistics, so each
    run's own plan is estimated at one row — and planning it costs twice what running it does (1.5 ms against 0.7).
    The generic plan is the same plan, so the query is run with `plan_cache_mode` forced to it, set and reset around
    it in the same round trip (a pipeline). A failed statement inside a transaction rolls the SET back with it.
    """
    if connection.vendor == "postgresql" and connection.settings_dict["OPTIONS"].get("server_side_binding"):
        with connection.cursor() as mode, connection.cursor() as cursor:
            with connection.wrap_database_errors, connection.connection.pipeline():  # raises at its end
                mode.execute("SET plan_cache_mode = force_generic_plan")
                cursor.execute(sql, params)
                mode.execute("RESET plan_cache_mode")
            return cursor.fetchone()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def read_for_scan(merchant, card_number: str, facts: dict) -> tuple[Pass, dict] | None:
    """The pass with this number in the merchant's area, with its member, `merchant_multiplier` and `name_consent`
    (as `till._lock_for_till` gives them) and the scan's facts (`facts_params`), unlocked; or None."""
    from accounts.models import User

    row = read_row(*read_statement(merchant.area_id, card_number, facts))
    if row is None:
        return None
    cut = rows.width(Pass) + rows.width(User)
    member_pass = rows.from_row(Pass, row[: rows.width(Pass)])
    member_pass.member = rows.from_row(User, row[rows.width(Pass) : cut])
    member_pass.area = merchant.area
    member_pass.merchant_multiplier, member_pass.name_consent = row[cut], bool(row[cut + 1])
    return member_pass, facts_from(row[cut + 2 :])


@cache
def write_sql() -> str:
    """The till transaction, its ledger entry and lot (when it earns) and the pass's new balance, version and code
    step, in one statement: nothing unless the pass is still at the version read and active and the step unused.
    The balance after leaves out overdue points (`overdue_sql`), read here rather than trusted from the unlocked read:
    the night's expiry and spends in the app take them without raising the till version."""
    overdue = overdue_sql("%(pass)s", "%(TillTransaction_occurred_at)s")

    def insert(model, source: str, **fixed: str) -> str:
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        columns = ", ".join(_q(field.column) for field in fields)
        values = ", ".join(fixed.get(field.attname, f"%({model.__name__}_{field.attname})s") for field in fields)
        return f"INSERT INTO {_q(model._meta.db_table)} ({columns}) SELECT {values} FROM {source}"

    return f"""
        WITH p AS (
            UPDATE {_q(Pass._meta.db_table)}
            SET points_balance = points_balance + %(points)s,
                till_version = till_version + 1,
                last_totp_step = COALESCE(%(step)s::bigint, last_totp_step)
            WHERE id = %(pass)s AND till_version = %(version)s AND status = %(active)s
              AND (%(step)s::bigint IS NULL OR last_totp_step < %(step)s::bigint)
            RETURNING points_balance
        ), t AS (
            {insert(TillTransaction, "p", balance_after=f"GREATEST(p.points_balance - {overdue}, 0)")}
            RETURNING id, balance_after
        ), e AS (
            {insert(LedgerEntry, "t WHERE %(points)s > 0", till_transaction_id="t.id")}
            RETURNING id
        ), l AS (
            {insert(PointLot, "e", entry_id="e.id")}
        )
        SELECT t.id, t.balance_after FROM t
    """


def write_purchase(
    *, member_pass: Pass, version: int, step: int | None, transaction_: dict, entry: dict, lot: dict
) -> tuple[int, int] | None:
    """Write a scan that only earns (see the module's docstring): the new till transaction's id and the balance after
    it, or None when the pass changed since it was read (nothing is written then).

    `transaction_`, `entry` and `lot` give the columns of the three rows by attribute name (a column left out gets the
    field's default, as the ORM would give it), but those the statement links itself (the balance after, the
    transaction and entry ids).
    """
    params = {"points": entry["points"], "step": step, "pass": member_pass.pk, "version": version}
    params["active"] = PassStatus.ACTIVE.value
    for model, values in ((TillTransaction, transaction_), (LedgerEntry, entry), (PointLot, lot)):
        for field in model._meta.concrete_fields:
            if not field.primary_key:
                value = values[field.attname] if field.attname in values else field.get_default()
                params[f"{model.__name__}_{field.attname}"] = field.get_db_prep_save(value, connection)
    # Inside a caller's transaction a failed statement must not take that transaction down: a savepoint then. On
    # its own (autocommit, as in a web request) the statement is its own transaction.
    with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
        cursor.execute(write_sql(), params)
        row = cursor.fetchone()
    return row

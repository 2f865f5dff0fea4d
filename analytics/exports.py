"""Downloads of the dashboards' tables (CSV, XLSX, Parquet) and the quarterly PDF report, from stored figures.

A table is a DataFrame in one long shape (`COLUMNS`): one row per figure. A suppressed figure is exported with
an empty value and its reason, never with the number; comparisons with a hidden period are empty too.
"""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
from django.utils.translation import gettext as _

from . import selectors
from .extract import ANALYTICS
from .kpis import CATALOGUE, CELL_KPIS, MONTH, PERIOD_KINDS
from .models import Scope

COLUMNS = [
    "area",
    "purpose",
    "scope",
    "scope_id",
    "scope_name",
    "kpi",
    "kpi_label",
    "unit",
    "breakdown",
    "period_kind",
    "period_start",
    "value",
    "previous_value",
    "last_year_value",
    "suppressed_reason",
]
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
TABLES = (
    "overview",
    "trend",
    "sectors",
    "merchants",
    "hours",
    "ages",
    "bands",
    "municipalities",
    "catchment",
    "counting_points",
    "comparison",
    "merchant",
)
BREAKDOWN_TABLES = {
    "hours": "visits_by_hour",
    "ages": "visitors_by_age",
    "bands": "visitors_by_band",
    "municipalities": "visitors_by_municipality",
    "catchment": "visitors_by_catchment",
}
#: The webshop's and the vouchers' KPIs (area level), on the overview and the trends.
WEBSHOP_KPIS = (
    "online_orders",
    "online_spend_cents",
    "online_spend_per_order_cents",
    "omnichannel_share",
    "voucher_redemptions",
    "voucher_redemption_cents",
    "reward_redemptions",
    "reward_redemption_cents",
)
OVERVIEW_KPIS = (
    *CELL_KPIS,
    "active_members",
    "pickups",
    "pickup_conversion",
    "capture_rate",
    "entrant_conversion",
    *WEBSHOP_KPIS,
)
SCOPE_TABLE_KPIS = ("visits", "unique_visitors", "spend_per_visit_cents", "visit_frequency", "repeat_visitors")


class UnknownTable(ValueError):
    pass


def frame(rows: list[dict], *, area, names: dict | None = None, show_unsuppressed: bool = False) -> pd.DataFrame:
    """Stored rows (selectors' dicts) as an export table. `show_unsuppressed` (platform admin) exports raw
    values of hidden cells, still with their reason."""
    names = names or {}
    records = []
    for row in rows:
        definition = CATALOGUE.get(row["kpi"])
        hidden = row["is_suppressed"]
        value = row["raw_value"] if (hidden and show_unsuppressed) else row.get("value")
        records.append(
            {
                "area": area.slug,
                "purpose": row["purpose"],
                "scope": row["scope"],
                "scope_id": row["scope_id"],
                "scope_name": names.get((row["scope"], row["scope_id"]), ""),
                "kpi": row["kpi"],
                "kpi_label": str(definition.label) if definition else row["kpi"],
                "unit": definition.unit if definition else "",
                "breakdown": row["breakdown"],
                "period_kind": row["period_kind"],
                "period_start": row["period_start"],
                "value": value,
                "previous_value": row.get("previous_value"),
                "last_year_value": row.get("last_year_value"),
                "suppressed_reason": row["suppressed_reason"],
            }
        )
    result = pd.DataFrame(records, columns=COLUMNS)
    for column in ("value", "previous_value", "last_year_value"):
        result[column] = pd.to_numeric(result[column], errors="coerce")
    return result


def table_rows(
    area,
    table: str,
    *,
    period_kind: str = MONTH,
    period_start: date | None = None,
    kpi: str = "visits",
    merchant_id: str | None = None,
    areas=None,
) -> list[dict]:
    """The stored rows behind one dashboard table."""
    if table not in TABLES or period_kind not in PERIOD_KINDS:
        raise UnknownTable(table)
    if table == "trend":
        return selectors.series(area, kpi=kpi, period_kind=period_kind)
    if table == "merchant":
        return [
            r
            for r in selectors.values(
                area,
                purpose="share_with_merchants",
                scope=Scope.MERCHANT,
                scope_id=merchant_id,
                period_kind=period_kind,
                breakdown="",
            ).order_by("period_start", "kpi")
        ]
    if period_start is None:
        return []
    if table == "overview":
        rows = selectors.figures(area, period_kind=period_kind, period_start=period_start)
        return [rows[k] for k in OVERVIEW_KPIS if k in rows]
    if table in ("sectors", "merchants"):
        scope = Scope.SECTOR if table == "sectors" else Scope.MERCHANT
        return selectors.by_scope(
            area, scope=scope, period_kind=period_kind, period_start=period_start, kpis=SCOPE_TABLE_KPIS
        )
    if table in BREAKDOWN_TABLES:
        rows = selectors.breakdown(
            area, kpi=BREAKDOWN_TABLES[table], period_kind=period_kind, period_start=period_start
        )
        if table == "ages":
            rows.sort(key=_age_rank)
        return rows
    if table == "counting_points":
        return selectors.by_scope(
            area,
            scope=Scope.COUNTING_POINT,
            period_kind=period_kind,
            period_start=period_start,
            kpis=("footfall", "store_entrants"),
        )
    raise UnknownTable(table)


def _age_rank(row: dict) -> int:
    """Age groups young to old, as the page and the profile form list them; 'unknown' last."""
    from loyalty.models import AgeBand

    values = list(AgeBand.values)
    return values.index(row["breakdown"]) if row["breakdown"] in values else len(values)


def render(table: pd.DataFrame, fmt: str) -> bytes:
    """The table as CSV (UTF-8 with BOM, for spreadsheet programs), XLSX or Parquet bytes."""
    if fmt == "csv":
        return table.to_csv(index=False).encode("utf-8-sig")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        out = table.copy()
        out["period_start"] = out["period_start"].astype(str)
        with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
            out.to_excel(writer, index=False, sheet_name=_("Figures")[:31])
        return buffer.getvalue()
    if fmt == "parquet":
        buffer = io.BytesIO()
        out = table.copy()
        out["period_start"] = pd.to_datetime(out["period_start"])
        out.to_parquet(buffer, engine="pyarrow", index=False)
        return buffer.getvalue()
    raise UnknownTable(fmt)


def filename(area, table: str, fmt: str, period_start: date | None = None) -> str:
    suffix = f"-{period_start:%Y-%m-%d}" if period_start else ""
    return f"agora-{area.slug}-{table}{suffix}.{fmt}"


__all__ = ["ANALYTICS", "COLUMNS", "FORMATS", "TABLES", "filename", "frame", "render", "table_rows"]

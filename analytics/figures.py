"""A stored figure as a page shows it: the value formatted, its comparisons, why it is hidden, its provenance.

`figure(row, …)` takes a `KpiValue` (or a dict with the same keys, from `selectors`) and gives a `Figure`
for `{% figure_tile %}` (`analytics/_figure.html`); the other analytics pages use the same helper (it is
re-exported by `analytics.views`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import count

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .kpis import CATALOGUE, CENTS, RATIO, SHARE
from .suppression import DOMINANCE, SECONDARY, SMALL_GROUP

_ids = count(1)

REASON_TEXT = {
    SMALL_GROUP: gettext_lazy("Hidden: fewer people than the small-group threshold."),
    DOMINANCE: gettext_lazy("Hidden: one person makes up too large a part of this amount."),
    SECONDARY: gettext_lazy("Hidden so that another hidden figure cannot be worked out from the totals."),
}


def rounded(value: float, decimals: int = 0) -> Decimal:
    """`value` rounded half up to `decimals` places (2.519 → 2.52, 105.5 → 106, 1.5969 → 1.6). Django's
    number_format cuts off the digits it does not show (2.519 would read "2,51", and 105.6 expected visits "105"
    above a table saying 106), so every figure on a page is rounded here first, the same way. The float is read as
    the shortest decimal that stands for it (2.515 → "2.515" → 2.52), as a person rounds what they read."""
    result = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return result.copy_abs() if result.is_zero() else result  # no "-0,0"


def format_number(value: float, decimals: int = 0, *, grouping: bool = True) -> str:
    """`value` rounded (`rounded`) and written in the page's language, with `decimals` places."""
    return number_format(rounded(value, decimals), decimal_pos=decimals, use_l10n=True, force_grouping=grouping)


def format_value(value: float | None, unit: str) -> str:
    if value is None or not math.isfinite(value):  # None, NaN or a division by zero
        return "–"
    if unit == CENTS:
        return "€ " + format_number(value / 100, 2)
    if unit == RATIO:
        return format_number(value, 2, grouping=False)
    if unit == SHARE:
        return format_number(value * 100, 1, grouping=False) + " %"
    return format_number(value, 0)


def change_text(value: float | None, base: float | None) -> tuple[str, str]:
    """The relative change from `base` to `value` as text and a CSS class ('' when it cannot be computed)."""
    if value is None or base is None or value != value or base != base or base == 0:
        return "–", ""
    change = (value - base) / abs(base) * 100
    sign = "+" if change > 0 else ""
    css = "delta--up" if change > 0 else "delta--down" if change < 0 else ""
    return f"{sign}{format_number(change, 1, grouping=False)} %", css


@dataclass
class Figure:
    kpi: str
    label: str
    unit: str
    value: float | None
    is_suppressed: bool
    reason: str
    previous_value: float | None = None
    last_year_value: float | None = None
    provenance: dict = field(default_factory=dict)
    dom_id: str = ""

    @property
    def display(self) -> str:
        return format_value(self.value, self.unit)

    @property
    def reason_text(self) -> str:
        return str(REASON_TEXT.get(self.reason, _("Hidden.")))

    @property
    def comparisons(self) -> list[dict]:
        items = []
        for label, base in ((_("previous period"), self.previous_value), (_("last year"), self.last_year_value)):
            text, css = change_text(self.value, base)
            items.append({"label": label, "text": text, "css": css})
        return items

    @property
    def provenance_items(self) -> list[tuple[str, str]]:
        p = self.provenance or {}
        suppression = p.get("suppression") or {}
        applied = self.reason and str(REASON_TEXT.get(self.reason, self.reason))
        return [
            (_("Definition"), str(CATALOGUE[self.kpi].definition) if self.kpi in CATALOGUE else ""),
            (_("Source"), p.get("source", "")),
            (_("Consent"), p.get("purpose", "")),
            (_("Method"), p.get("method", "")),
            (_("Window"), p.get("window", "")),
            (_("Suppression"), applied or _("none needed (K = %(k)s)") % {"k": suppression.get("k", "?")}),
            (_("Code version"), p.get("code_version", "")),
        ]


def figure(row, *, show_unsuppressed: bool = False, label: str | None = None) -> Figure:
    """A Figure from a KpiValue or a dict of its fields. `show_unsuppressed` (platform admin only) shows the
    raw value of a hidden cell, still marked as hidden."""
    get = row.get if isinstance(row, dict) else lambda name, default=None: getattr(row, name, default)
    kpi = get("kpi")
    definition = CATALOGUE.get(kpi)
    hidden = bool(get("is_suppressed"))
    value = get("raw_value") if (show_unsuppressed and hidden) else get("value")
    return Figure(
        kpi=kpi,
        label=label or (str(definition.label) if definition else kpi),
        unit=definition.unit if definition else "count",
        value=value,
        is_suppressed=hidden and not show_unsuppressed,
        reason=get("suppressed_reason") or "",
        previous_value=get("previous_value"),
        last_year_value=get("last_year_value"),
        provenance=get("provenance") or {},
        dom_id=f"fig{next(_ids)}",
    )

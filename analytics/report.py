"""The quarterly PDF report of an area (reportlab, like loyalty's settlement statements), from stored figures:
the quarter's area figures with their comparisons, the three months, the sectors, and how figures were made.
Suppressed figures print as "–" with the reason; nothing here computes on member data."""

from __future__ import annotations

import io
from datetime import date
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors
from .exports import OVERVIEW_KPIS, SCOPE_TABLE_KPIS
from .figures import REASON_TEXT, change_text, format_value
from .kpis import CATALOGUE, MONTH, QUARTER
from .models import Scope


def quarterly_pdf(area, *, year: int, quarter: int) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    start = date(year, 3 * (quarter - 1) + 1, 1)
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    grid = TableStyle(
        [
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e2e8f0")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ]
    )
    run = selectors.latest_run(area)
    story = [
        Paragraph(
            escape(_("Quarterly report %(quarter)s · %(area)s") % {"quarter": f"{year}-Q{quarter}", "area": area.name}),
            styles["Title"],
        ),
        p(
            _(
                "Figures from members who consented to analytics. Groups of fewer than %(k)s people are hidden, as are "
                "figures that would let a hidden one be worked out."
            )
            % {"k": run.k if run else "?"},
            small,
        ),
        Spacer(1, 4 * mm),
    ]
    figures = selectors.figures(area, period_kind=QUARTER, period_start=start)
    rows = [[_("Figure"), _("This quarter"), _("Previous quarter"), _("Same quarter last year")]]
    notes = []
    for kpi in OVERVIEW_KPIS:
        row = figures.get(kpi)
        if row is None:
            continue
        unit = CATALOGUE[kpi].unit
        if row["is_suppressed"]:
            value = "–"
            notes.append(f"{CATALOGUE[kpi].label}: {REASON_TEXT.get(row['suppressed_reason'], '')}")
        else:
            value = format_value(row["value"], unit)
        rows.append(
            [
                p(CATALOGUE[kpi].label),
                value,
                change_text(row["value"], row["previous_value"])[0],
                change_text(row["value"], row["last_year_value"])[0],
            ]
        )
    if len(rows) == 1:
        story.append(p(_("No figures have been computed for this quarter.")))
    else:
        story += [Table(rows, colWidths=[70 * mm, 35 * mm, 35 * mm, 40 * mm], style=grid), Spacer(1, 4 * mm)]
    # The three months.
    months = [date(year, start.month + i, 1) for i in range(3)]
    month_rows = [[_("Month"), *[CATALOGUE[k].label for k in ("visits", "unique_visitors", "spend_per_visit_cents")]]]
    for month in months:
        values = selectors.figures(area, period_kind=MONTH, period_start=month)
        month_rows.append(
            [
                f"{month:%Y-%m}",
                *[
                    format_value(values.get(k, {}).get("value"), CATALOGUE[k].unit)
                    for k in ("visits", "unique_visitors", "spend_per_visit_cents")
                ],
            ]
        )
    story += [Paragraph(escape(_("Months")), styles["Heading2"]), Table(month_rows, style=grid), Spacer(1, 4 * mm)]
    # Sectors.
    sector_rows = selectors.by_scope(
        area, scope=Scope.SECTOR, period_kind=QUARTER, period_start=start, kpis=SCOPE_TABLE_KPIS
    )
    if sector_rows:
        from areas.sectors import Sector

        labels = dict(Sector.choices)
        by_sector: dict[str, dict] = {}
        for row in sector_rows:
            by_sector.setdefault(row["scope_id"], {})[row["kpi"]] = row
        table = [[_("Sector"), *[p(CATALOGUE[k].label, small) for k in SCOPE_TABLE_KPIS]]]
        for code, cells in sorted(by_sector.items()):
            table.append(
                [
                    p(labels.get(code, code), small),
                    *[format_value(cells.get(k, {}).get("value"), CATALOGUE[k].unit) for k in SCOPE_TABLE_KPIS],
                ]
            )
        story += [Paragraph(escape(_("Sectors")), styles["Heading2"]), Table(table, style=grid), Spacer(1, 4 * mm)]
    story.append(Paragraph(escape(_("How the figures were made")), styles["Heading2"]))
    for kpi in OVERVIEW_KPIS:
        story.append(p(f"{CATALOGUE[kpi].label}: {CATALOGUE[kpi].definition}", small))
    for note in notes:
        story.append(p(note, small))
    if run:
        story.append(
            p(
                _("Computed %(at)s with code %(version)s.")
                % {
                    "at": timezone.localtime(run.finished_at, area.tz).strftime("%Y-%m-%d %H:%M"),
                    "version": run.code_version,
                },
                small,
            )
        )
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{area.name} {year}-Q{quarter}",
        author=area.collective_name,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
    ).build(story)
    return buffer.getvalue()

"""A carrier's monthly statement as files: CSV (every billable event, for the books) and PDF (to send).

CSV as the loyalty settlement writes it for Dutch and Flemish Excel: UTF-8 with a byte-order mark, `;` between
fields, a decimal comma in amounts (`0,25`, no currency sign), times in the area's zone as YYYY-MM-DD HH:MM:SS.
A header block (point, carrier, month, time zone), the totals per billable kind, then every event and a total
row that adds up to the same cents.

The PDF (ReportLab's built-in Helvetica) has the point, the carrier, the month, the totals per kind and one
line per day; the events themselves are in the CSV (a busy month has tens of thousands).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agora.money import csv_euros, format_euros

from .models import Billable, EventKind, ParcelEvent
from .selectors_dashboard import BILLABLE_ORDER, Statement

BOM = "\ufeff"
DELIMITER = ";"


def billable_label(billable: str) -> str:
    return str(Billable(billable).label)


def kind_label(kind: str) -> str:
    try:
        return str(EventKind(kind).label)
    except ValueError:
        return kind


def month_title(statement: Statement) -> str:
    """ "maart 2026" / "March 2026"."""
    return formats.date_format(statement.first_day, "YEAR_MONTH_FORMAT")


def filename(statement: Statement, extension: str) -> str:
    month = f"{statement.year}-{statement.month:02d}"
    return f"afrekening-{statement.carrier.code}-{statement.point.pk}-{month}.{extension}"


def _provisional(statement: Statement) -> str:
    """What a statement of a month that is not over says (the figures still change)."""
    made = formats.date_format(timezone.localtime(statement.computed_at, statement.point.area.tz), "DATETIME_FORMAT")
    return _("Provisional: the month is not over. These are the figures up to %(date)s; they will still change.") % {
        "date": made
    }


# --- CSV ----------------------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a StreamingHttpResponse."""

    def write(self, value: str) -> str:
        return value


def _local(moment, zone) -> str:
    return timezone.localtime(moment, zone).strftime("%Y-%m-%d %H:%M:%S")


def statement_csv(statement: Statement, events: Iterable[ParcelEvent]) -> Iterator[str]:
    """The statement as CSV text, streamed line by line (the BOM first)."""
    point, zone = statement.point, statement.point.area.tz

    def rows():
        yield [_("Carrier statement")]
        yield [_("Parcel point"), point.name]
        yield [_("Address"), f"{point.street}, {point.postcode} {point.city}".strip(", ")]
        yield [_("Shopping area"), point.area.name]
        yield [_("Carrier"), statement.carrier.name]
        yield [_("Month"), f"{statement.year}-{statement.month:02d}"]
        yield [_("Period"), statement.first_day.isoformat(), statement.last_day.isoformat()]
        yield [_("Time zone"), point.area.time_zone]
        yield [_("Made at"), _local(statement.computed_at, zone)]
        if statement.is_provisional:
            yield [_("Provisional"), _provisional(statement)]
        yield []
        yield [_("Billable as"), _("Events"), _("Fees (EUR)")]
        for total in statement.totals:
            yield [total.label, total.count, csv_euros(total.cents)]
        yield [_("Total"), statement.count, csv_euros(statement.total_cents)]
        yield []
        yield [_("Time"), _("Tracking code"), _("Event"), _("Billable as"), _("Fee (EUR)")]
        count = cents = 0
        for event in events:
            count += 1
            cents += event.fee_cents
            yield [
                _local(event.at, zone),
                event.parcel.tracking_code,
                kind_label(event.kind),
                billable_label(event.billable),
                csv_euros(event.fee_cents),
            ]
        yield [_("Total"), f"{count}", "", "", csv_euros(cents)]

    writer = csv.writer(_Echo(), delimiter=DELIMITER, lineterminator="\r\n")
    yield BOM
    for row in rows():
        yield writer.writerow(row)


# --- PDF ----------------------------------------------------------------------------------------------------


def statement_pdf(statement: Statement) -> bytes:
    """The statement on A4: who, which month, totals per kind, and one line per day."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    point, zone = statement.point, statement.point.area.tz
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)
    right_small = ParagraphStyle("right_small", parent=small, alignment=TA_RIGHT)

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    def bold(text, style=body):
        return Paragraph(f"<b>{escape(str(text))}</b>", style)

    address = [point.name, point.street, f"{point.postcode} {point.city}".strip(), point.area.name]
    story = [
        Paragraph("<br/>".join(escape(line) for line in address if line), body),
        Spacer(1, 6 * mm),
        Paragraph(escape(_("Carrier statement")), styles["Title"]),
        p(
            _("%(carrier)s · %(month)s (%(zone)s)")
            % {"carrier": statement.carrier.name, "month": month_title(statement), "zone": point.area.time_zone}
        ),
        Spacer(1, 4 * mm),
    ]
    if statement.is_provisional:
        story += [bold(_provisional(statement)), Spacer(1, 4 * mm)]
    totals = [[p(_("Billable as")), p(_("Events"), right), p(_("Fees"), right)]]
    for total in statement.totals:
        totals.append([p(total.label), p(total.count, right), p(format_euros(total.cents), right)])
    totals.append([bold(_("Total")), bold(statement.count, right), bold(format_euros(statement.total_cents), right)])
    grid = Table(totals, colWidths=[90 * mm, 35 * mm, 45 * mm])
    lines = [
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    grid.setStyle(TableStyle(lines))
    story += [grid, Spacer(1, 6 * mm), Paragraph(escape(_("Per day")), styles["Heading3"])]
    if statement.days:
        daily = [
            [p(_("Day"), small)]
            + [p(billable_label(kind), right_small) for kind in BILLABLE_ORDER]
            + [p(_("Fees"), right_small)]
        ]
        for day in statement.days:
            daily.append(
                [p(formats.date_format(day.day, "SHORT_DATE_FORMAT"), small)]
                + [p(day.counts.get(kind, 0), right_small) for kind in BILLABLE_ORDER]
                + [p(format_euros(day.cents), right_small)]
            )
        daily.append(
            [bold(_("Total"), small)]
            + [bold(total.count, right_small) for total in statement.totals]
            + [bold(format_euros(statement.total_cents), right_small)]
        )
        table = Table(daily, colWidths=[30 * mm] + [28 * mm] * len(BILLABLE_ORDER) + [28 * mm], repeatRows=1)
        table.setStyle(TableStyle(lines))
        story.append(table)
    else:
        story.append(p(_("No billable events in this month.")))
    story += [
        Spacer(1, 6 * mm),
        p(
            _(
                "Fees are those agreed with the carrier when each scan happened, copied onto the event. Every "
                "event behind these figures, with its time and tracking code, is in the CSV file of this statement."
            ),
            small,
        ),
        p(
            _("Made on %(date)s")
            % {"date": formats.date_format(timezone.localtime(statement.computed_at, zone), "DATETIME_FORMAT")},
            small,
        ),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{_('Carrier statement')} {statement.carrier.name} {statement.year}-{statement.month:02d}"
        + (f" ({_('provisional')})" if statement.is_provisional else ""),
        author=point.name,
        invariant=1,
    )
    document.build(story)
    return buffer.getvalue()

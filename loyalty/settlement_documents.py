"""Settlement statements and the collective's overview as files: CSV (for the books) and PDF (one A4 to send).

CSV is written for Dutch and Flemish Excel, which opens it with a double click: UTF-8 with a byte-order mark
(else Excel reads it as Windows-1252), `;` between fields and a decimal comma in amounts (`-12,50`, no
currency sign, no thousands separator), dates as YYYY-MM-DD; a text that names an amount writes it the same way,
with "EUR" (`13,32 EUR to be paid out to the merchant`, `0,01000 EUR per point`), whatever the language. A
statement's CSV has a header block (collective, merchant, KvK or enterprise number, period, status, payment,
rates), the lines, the net, and then every detail row with its share of each line and a total row, so that every
cent can be traced: till transactions (with their receipt number), webshop orders and refunds (the points of the
merchant's part, with the order number; the reference is the ledger entry) and gift-card entries, each with the
points its receipt or order shows and the campaign points in them by who pays for them.
Labels follow the active language.

On the page and in the PDF amounts, rates and days are written as everywhere on the site in the active language
(`agora.money.format_euros`, days as `j F Y`: "3 June 2026").

The PDF has the collective, the merchant's name and address, the period, the lines with quantity, rate and
amount, the net in words, the statement number (or "draft"), whether an issued statement was paid, and the date
it was made. Rendered with ReportLab's
built-in Helvetica (Windows-1252 glyphs: € and the accented letters of Dutch and French).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from agora.money import csv_euros, format_euros

from .models import GiftCardEntryKind, TillKind
from .services.settlement import (
    LINE_DEFINITIONS,
    NOTHING_TO_PAY,
    OPEN,
    PAID,
    CampaignPoints,
    DetailRow,
    Overview,
    Quantities,
    Statement,
    StatementLine,
)

BOM = "\ufeff"
DELIMITER = ";"
#: A day as the site writes it (the templates' `date:"j F Y"`): "3 June 2026", "3 juni 2026".
DAY_FORMAT = "j F Y"


# --- Numbers ------------------------------------------------------------------------------------------------


def rate_euros(millicents: int) -> str:
    """A rate per point in euros, to the 1/1000 cent, for a spreadsheet: 1500 → '0,01500'."""
    return f"{Decimal(millicents) / 100_000:.5f}".replace(".", ",")


def _rate_on_screen(millicents: int) -> str:
    """A rate per point in the active language, with the euro sign where `format_euros` puts it: "€ 0,01500" (nl),
    "€0.01500" (en)."""
    zero, number = (
        formats.number_format(value, decimal_pos, use_l10n=True)
        for value, decimal_pos in ((Decimal(0), 2), (Decimal(millicents) / 100_000, 5))
    )
    return format_euros(0).replace(zero, number)


def _percent(permille: int, *, spreadsheet: bool = False) -> str:
    """‰ as a percentage: 1000 → '100 %', 25 → '2,5 %' (for a spreadsheet, and on screen in Dutch; '2.5 %' in
    English)."""
    whole, tenths = divmod(permille, 10)
    if not tenths:
        return f"{whole} %"
    if spreadsheet:
        return f"{whole},{tenths} %"
    return formats.number_format(Decimal(permille) / 10, 1, use_l10n=True) + " %"


def percent_number(permille: int) -> str:
    """‰ as a percentage for a spreadsheet's cell, a number with the file's decimal comma and no sign (the column
    header says "%"): 25 → '2,5', 30 → '3'."""
    return f"{Decimal(permille) / 10:f}".replace(".", ",")


def line_rate(line: StatementLine, *, spreadsheet: bool = False) -> str:
    """The rate as people read it: € per point, or a percentage of the euros taken. For a spreadsheet the number
    is written as the file's amounts are ("0,01500 EUR per point")."""
    if line.unit == "points":
        rate = (
            f"{rate_euros(line.millicents_per_unit)} EUR" if spreadsheet else _rate_on_screen(line.millicents_per_unit)
        )
        return _("%(amount)s per point") % {"amount": rate}
    return _percent(line.millicents_per_unit, spreadsheet=spreadsheet)  # millicents per cent = ‰


def line_quantity(line: StatementLine, *, spreadsheet: bool = False) -> str:
    if line.unit == "points":
        return str(line.quantity) if spreadsheet else formats.number_format(line.quantity, force_grouping=True)
    return csv_euros(line.quantity) if spreadsheet else format_euros(line.quantity)


def line_unit(line: StatementLine) -> str:
    return _("points") if line.unit == "points" else _("EUR")


def net_in_words(net_cents: int, *, spreadsheet: bool = False) -> str:
    """What the net means for whom: "to be paid to the collective" / "to be paid out to the merchant". For a
    spreadsheet the amount is written as the file's amounts are ("13,32 EUR")."""

    def amount(cents: int) -> str:
        return f"{csv_euros(cents)} EUR" if spreadsheet else format_euros(cents)

    if net_cents > 0:
        return _("%(amount)s to be paid to the collective") % {"amount": amount(net_cents)}
    if net_cents < 0:
        return _("%(amount)s to be paid out to the merchant") % {"amount": amount(-net_cents)}
    return _("Nothing to be paid: the lines balance.")


@dataclass(frozen=True)
class PointsNote:
    """A row that explains the points issued, without an amount: the points members earned and the campaign
    points in them, by who pays for them."""

    label: str
    points: int


def points_notes(statement: Statement) -> tuple[list[PointsNote], list[PointsNote]]:
    """The rows shown before and after the "Points issued" line when campaigns gave points: the points earned (as
    on the receipts) less the collective's campaign points, which the merchant is not charged for, make the points
    issued; of those, the campaign points of the merchant's own campaigns. Empty where there are none."""
    campaign = statement.campaign_points
    before = (
        [
            PointsNote(_("Points earned (as on the receipts and orders)"), statement.points_earned),
            PointsNote(_("Campaign points paid by the collective: not charged"), -campaign.collective),
        ]
        if campaign.collective
        else []
    )
    after = (
        [PointsNote(_("of which campaign points paid by the merchant"), campaign.merchant)] if campaign.merchant else []
    )
    return before, after


def amount_headers() -> list[str]:
    """The overview's column headers for the lines' amounts, in LINE_DEFINITIONS' order. A column of euros says
    what the euros are for: "Fee for points issued", not "Points issued" (that is a count of points)."""
    named = {
        "points_issued": _("Fee for points issued"),
        "points_redeemed": _("Refund for points redeemed for rewards"),
    }
    return [str(named.get(code, label)) for code, label, *_rest in LINE_DEFINITIONS]


def owed_each_way(statements: Iterable) -> tuple[int, int]:
    """What statements leave to pay, in cents, each way: (owed to the collective, owed to merchants), both
    positive."""
    nets = [statement.net_cents for statement in statements]
    return sum(net for net in nets if net > 0), -sum(net for net in nets if net < 0)


def open_labels(*, this_period: bool) -> tuple[str, str]:
    """The labels of what issued statements still leave to pay, each way: of the overview's own period, or of the
    other periods. The page and the CSV say the same."""
    if this_period:
        return (
            _("This period's statements: still owed to the collective"),
            _("This period's statements: still owed to merchants"),
        )
    return (
        _("Other periods' statements: still owed to the collective"),
        _("Other periods' statements: still owed to merchants"),
    )


def points_text(points: int) -> str:
    """Points on screen, grouped in the active language: 1.234 (nl), 1,234 (en); a true minus sign."""
    text = formats.number_format(abs(points), force_grouping=True)
    return f"\u2212{text}" if points < 0 else text


def status_text(statement: Statement) -> str:
    if statement.stored:
        return _("Issued statement %(number)s") % {"number": statement.number}
    if statement.is_closed:
        return _("Draft: not issued yet")
    return _("Draft: the period has not ended yet")


def short_status(statement: Statement) -> str:
    """The status in a table's narrow column: the issued statement's number, or 'Draft' (the page says why)."""
    if statement.stored:
        return statement.number
    return _("Draft")


def _day(value) -> str:
    return formats.date_format(value, DAY_FORMAT)


def period_text(first_day, last_day) -> str:
    """ "1 November 2026 – 30 November 2026", as the site writes days."""
    return f"{_day(first_day)} – {_day(last_day)}"


def payment_text(statement: Statement) -> str:
    """Whether an issued statement was paid: "Paid on 3 June 2026, reference …" / "Not paid yet" / "Nothing to
    pay". Empty for a draft (nothing is owed before a statement is issued)."""
    status = statement.payment_status
    if status == PAID:
        payment = statement.payment
        if payment.reference:
            return _("Paid on %(date)s, reference %(reference)s") % {
                "date": _day(payment.paid_on),
                "reference": payment.reference,
            }
        return _("Paid on %(date)s") % {"date": _day(payment.paid_on)}
    if status == OPEN:
        return _("Not paid yet")
    if status == NOTHING_TO_PAY:
        return _("Nothing to pay")
    return ""


def short_payment(statement: Statement) -> str:
    """The payment in a table's column: "Paid on 3 June 2026", "Open", "Nothing to pay", or "" for a draft."""
    status = statement.payment_status
    if status == PAID:
        return _("Paid on %(date)s") % {"date": _day(statement.payment.paid_on)}
    if status == OPEN:
        return pgettext("payment", "Open")
    if status == NOTHING_TO_PAY:
        return _("Nothing to pay")
    return ""


def registration_label(area) -> str:
    return _("KvK number") if area.country == "NL" else _("Enterprise number")


def detail_kind(row: DetailRow) -> str:
    if row.source == "webshop":
        return {"order": _("Order"), "refund": _("Refund")}.get(row.kind, row.kind)
    choices = TillKind if row.source == "till" else GiftCardEntryKind
    try:
        return str(choices(row.kind).label)
    except ValueError:
        return row.kind


def detail_source(row: DetailRow) -> str:
    return {"till": _("Till"), "webshop": _("Webshop")}.get(row.source) or _("Gift card")


def campaign_payer(row: DetailRow) -> str:
    """Who pays for the row's campaign points: "the collective", "the merchant", or "" without any."""
    if row.campaign_points.collective:
        return _("the collective")
    if row.campaign_points.merchant:
        return _("the merchant")
    return ""


# --- CSV ----------------------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a StreamingHttpResponse."""

    def write(self, value: str) -> str:
        return value


def _lines(rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=DELIMITER, lineterminator="\r\n")
    yield BOM
    for row in rows:
        yield writer.writerow(row)


def _local(moment, area) -> str:
    return timezone.localtime(moment, area.tz).strftime("%Y-%m-%d %H:%M:%S")


def _header(statement: Statement) -> list[list]:
    area, details = statement.area, statement.merchant_details
    rates = statement.rates
    rows = [
        [_("Settlement statement")],
        [_("Collective"), area.collective_name],
        [_("Shopping area"), area.name],
        [_("Merchant"), details.get("trade_name", "")],
        [_("Legal name"), details.get("legal_name", "")],
        [_("Address"), f"{details.get('street', '')}, {details.get('postcode', '')} {details.get('city', '')}"],
    ]
    if details.get("registration_number"):
        rows.append([registration_label(area), details["registration_number"]])
    if details.get("vat_number"):
        rows.append([_("VAT number"), details["vat_number"]])
    rows += [
        [_("Period"), statement.first_day.isoformat(), statement.last_day.isoformat()],
        [_("Time zone"), area.time_zone],
        [_("Status"), status_text(statement)],
    ]
    if statement.stored:
        rows += [
            [_("Statement number"), statement.number],
            [_("Issued at"), _local(statement.stored.created_at, area)],
            [_("Payment"), payment_text(statement)],
        ]
        if payment := statement.payment:
            rows += [
                [_("Paid on"), payment.paid_on.isoformat()],
                [_("Payment reference"), payment.reference],
            ]
    rows += [
        [_("Made at"), _local(statement.computed_at, area)],
        [_("Fee per point issued (EUR)"), rate_euros(rates.issue_fee_millicents_per_point)],
        [_("Refund per point redeemed (EUR)"), rate_euros(rates.redeem_refund_millicents_per_point)],
        # A percentage, as the page and the lines show it (the rules store ‰).
        [_("Commission on gift cards (%)"), percent_number(rates.giftcard_commission_permille)],
        [],
        [_("Line"), _("Quantity"), _("Unit"), _("Rate"), _("Amount (EUR)")],
    ]
    before, after = points_notes(statement)
    for line in statement.lines:
        notes = (before, after) if line.code == "points_issued" else ([], [])
        rows += [[note.label, note.points, _("points"), "", ""] for note in notes[0]]
        rows.append(
            [
                line.label,
                line_quantity(line, spreadsheet=True),
                line_unit(line),
                line_rate(line, spreadsheet=True),
                csv_euros(line.amount_cents),
            ]
        )
        rows += [[note.label, note.points, _("points"), "", ""] for note in notes[1]]
    rows += [
        [_("Net (EUR)"), "", "", "", csv_euros(statement.net_cents)],
        [_("Net"), net_in_words(statement.net_cents, spreadsheet=True)],
        [_("A positive amount is owed by the merchant to the collective; a negative one is paid to the merchant.")],
    ]
    if before or after:
        rows.append([campaign_note()])
    return rows


def campaign_note() -> str:
    return _(
        "The collective pays for the points of its own campaigns: they are not charged to the merchant. Campaign "
        "points of a campaign the merchant pays for are charged with the points issued."
    )


DETAIL_HEADER_COUNT = 14


def _details(statement: Statement, rows: Iterable[DetailRow]) -> Iterator[list]:
    yield []
    yield [
        _("Time"),
        _("Source"),
        _("Reference"),
        _("Kind"),
        _("Receipt or order number"),
        _("Till transaction"),
        _("Points earned"),
        _("Campaign"),
        _("Campaign points paid by the collective (not charged)"),
        _("Campaign points paid by the merchant"),
        _("Points issued"),
        _("Points redeemed"),
        _("Vouchers of the collective (EUR)"),
        _("Gift cards taken (EUR)"),
    ]
    total, earned, campaign = Quantities(), 0, CampaignPoints()
    for row in rows:
        total += Quantities(row.points_issued, row.points_redeemed, row.voucher_cents, row.giftcard_cents)
        earned += row.points_earned
        campaign += row.campaign_points
        yield [
            _local(row.occurred_at, statement.area),
            detail_source(row),
            row.reference,
            detail_kind(row),
            row.receipt_number,
            row.till_transaction_id or "",
            row.points_earned,
            row.campaign,
            row.campaign_points.collective,
            row.campaign_points.merchant,
            row.points_issued,
            row.points_redeemed,
            csv_euros(row.voucher_cents),
            csv_euros(row.giftcard_cents),
        ]
    yield [
        _("Total"),
        "",
        "",
        "",
        "",
        "",
        earned,
        "",
        campaign.collective,
        campaign.merchant,
        total.points_issued,
        total.points_redeemed,
        csv_euros(total.voucher_cents),
        csv_euros(total.giftcard_cents),
    ]
    if total != statement.quantities:
        # Only possible for an issued statement: rows dated in its period were booked after it was issued.
        yield [
            _("Booked after the statement was issued; not in its amounts"),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            total.points_issued - statement.quantities.points_issued,
            total.points_redeemed - statement.quantities.points_redeemed,
            csv_euros(total.voucher_cents - statement.quantities.voucher_cents),
            csv_euros(total.giftcard_cents - statement.quantities.giftcard_cents),
        ]


def statement_csv(statement: Statement, detail_rows: Iterable[DetailRow]) -> Iterator[str]:
    """The statement as CSV text, streamed line by line (the BOM first)."""

    def rows():
        yield from _header(statement)
        yield from _details(statement, detail_rows)

    return _lines(rows())


def overview_csv(overview: Overview, open_elsewhere: Iterable = ()) -> Iterator[str]:
    """The collective's overview as CSV text: one row per merchant, the totals, the gift-card float, and what
    issued statements still leave to pay, of this period and of `open_elsewhere` (those of other periods)."""
    area = overview.area
    codes = [code for code, *_rest in LINE_DEFINITIONS]
    labels = amount_headers()

    def euros_label(label: str) -> str:
        return _("%(line)s (EUR)") % {"line": label}

    owed_elsewhere = owed_each_way(open_elsewhere)

    def rows():
        yield [_("Settlement overview")]
        yield [_("Collective"), area.collective_name]
        yield [_("Shopping area"), area.name]
        yield [_("Period"), overview.first_day.isoformat(), overview.last_day.isoformat()]
        yield [_("Time zone"), area.time_zone]
        yield [_("Gift cards sold in the period (EUR)"), csv_euros(overview.giftcards_sold_cents)]
        yield [
            _("Gift-card value outstanding at the end of the period (EUR)"),
            csv_euros(overview.giftcards_outstanding_cents),
        ]
        owed_here = (overview.open_to_collective_cents, overview.open_to_merchants_cents)
        for this_period, amounts in ((True, owed_here), (False, owed_elsewhere)):
            for label, cents in zip(open_labels(this_period=this_period), amounts, strict=True):
                yield [euros_label(label), csv_euros(cents)]
        yield []
        yield [
            _("Merchant"),
            registration_label(area),
            _("Status"),
            _("Points earned"),
            _("Campaign points paid by the collective (not charged)"),
            _("Campaign points paid by the merchant"),
            _("Points issued"),
            _("Points redeemed"),
            *[euros_label(label) for label in labels],
            _("Net (EUR)"),
            _("Paid on"),
            _("Payment reference"),
        ]
        for row in overview.rows:
            statement = row.statement
            yield [
                row.merchant.trade_name,
                row.merchant.registration_number,
                status_text(statement),
                statement.points_earned,
                statement.campaign_points.collective,
                statement.campaign_points.merchant,
                statement.quantities.points_issued,
                statement.quantities.points_redeemed,
                *[csv_euros(row.amounts[code]) for code in codes],
                csv_euros(statement.net_cents),
                # Empty for a draft, an open statement or one with nothing to pay: the status column says which.
                payment.paid_on.isoformat() if (payment := statement.payment) else "",
                payment.reference if payment else "",
            ]
        totals, quantities, campaign = overview.totals, overview.total_quantities, overview.total_campaign_points
        yield [
            _("Total"),
            "",
            "",
            quantities.points_issued + campaign.collective,
            campaign.collective,
            campaign.merchant,
            quantities.points_issued,
            quantities.points_redeemed,
            *[csv_euros(totals[code]) for code in codes],
            csv_euros(overview.net_cents),
        ]
        if campaign != CampaignPoints():
            yield []
            yield [campaign_note()]

    return _lines(rows())


# --- PDF ----------------------------------------------------------------------------------------------------


def statement_pdf(statement: Statement) -> bytes:
    """One A4 page: who, what period, the lines, the net in words, number or draft, and when it was made."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    area, details = statement.area, statement.merchant_details
    styles = getSampleStyleSheet()
    body, small = styles["BodyText"], ParagraphStyle("small", parent=styles["BodyText"], fontSize=8, leading=10)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    story = [
        Paragraph(f"<b>{escape(area.collective_name)}</b>", styles["Heading2"]),
        p(area.collective_address, small),
        Spacer(1, 8 * mm),
        Paragraph(escape(_("Settlement statement")), styles["Title"]),
        p(status_text(statement), right),
        *([p(payment_text(statement), right)] if statement.stored else []),
        Spacer(1, 4 * mm),
    ]
    address = [
        details.get("legal_name", ""),
        details.get("trade_name", "") if details.get("trade_name") != details.get("legal_name") else "",
        details.get("street", ""),
        f"{details.get('postcode', '')} {details.get('city', '')}".strip(),
    ]
    if details.get("registration_number"):
        address.append(f"{registration_label(area)}: {details['registration_number']}")
    if details.get("vat_number"):
        address.append(f"{_('VAT number')}: {details['vat_number']}")
    story.append(Paragraph("<br/>".join(escape(line) for line in address if line), body))
    story += [
        Spacer(1, 4 * mm),
        p(_("Period: %(first)s – %(last)s") % {"first": _day(statement.first_day), "last": _day(statement.last_day)}),
        Spacer(1, 4 * mm),
    ]
    table = [[p(_("Line")), p(_("Quantity"), right), p(_("Rate"), right), p(_("Amount"), right)]]
    before, after = points_notes(statement)
    for line in statement.lines:
        notes = (before, after) if line.code == "points_issued" else ([], [])
        table += [[p(note.label), p(points_text(note.points), right), "", ""] for note in notes[0]]
        table.append(
            [
                p(line.label),
                p(line_quantity(line), right),
                p(line_rate(line), right),
                p(format_euros(line.amount_cents), right),
            ]
        )
        table += [[p(note.label), p(points_text(note.points), right), "", ""] for note in notes[1]]
    table.append(
        [
            Paragraph(f"<b>{escape(_('Net'))}</b>", body),
            "",
            "",
            Paragraph(f"<b>{escape(format_euros(statement.net_cents))}</b>", right),
        ]
    )
    grid = Table(table, colWidths=[70 * mm, 32 * mm, 40 * mm, 28 * mm], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [
        grid,
        Spacer(1, 6 * mm),
        Paragraph(f"<b>{escape(net_in_words(statement.net_cents))}</b>", styles["Heading3"]),
        Spacer(1, 6 * mm),
        p(
            _(
                "Points issued at the till and in the webshop are charged at the fee per point; points redeemed "
                "for rewards of the collective, vouchers of the collective and gift cards taken are paid back, gift "
                "cards less the commission. Each line is rounded once to whole cents. Every transaction and webshop "
                "order behind these lines is in the CSV file of this statement."
            ),
            small,
        ),
        *([Spacer(1, 2 * mm), p(campaign_note(), small)] if before or after else []),
        Spacer(1, 2 * mm),
    ]
    made = [_("Made on %(date)s") % {"date": _day(timezone.localdate(statement.computed_at, area.tz))}]
    if statement.stored:
        made.append(_("issued on %(date)s") % {"date": _day(timezone.localdate(statement.stored.created_at, area.tz))})
    story.append(p(" · ".join(made), small))

    buffer = io.BytesIO()
    title = f"{_('Settlement statement')} {details.get('trade_name', '')} {statement.first_day}–{statement.last_day}"
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=title,
        author=area.collective_name,
        invariant=1,  # the same statement gives the same bytes (no creation time or random id in the file)
    )
    document.build(story)
    return buffer.getvalue()

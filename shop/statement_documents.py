"""A merchant's webshop statement as files: CSV for the books, PDF (A4) to keep or send.

As `loyalty/settlement_documents.py`: CSV in UTF-8 with a byte-order mark, `;` between fields and a decimal comma
(Dutch and Flemish Excel open it with a double click); a header block, the VAT per rate, the totals, then one row
per order part and a total row that equals the totals above. The PDF uses ReportLab's built-in Helvetica and
`invariant=1` (the same statement gives the same bytes).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agora.money import csv_euros, format_euros

from .services.products import percent
from .services.statements import Statement, status_label

BOM = "\ufeff"


def totals(statement: Statement) -> list[tuple[str, int]]:
    return [
        (_("Sales incl. VAT"), statement.sales_cents),
        (_("of which goods"), statement.goods_cents),
        (_("of which delivery"), statement.delivery_cents),
        (_("Refunded to customers"), -statement.refunded_cents),
        (_("Commission of the collective"), -statement.commission_cents),
        (_("Transferred to you by Stripe"), -statement.transferred_cents),
        (_("Paid by gift card or voucher: owed to you by the collective"), -statement.collective_cents),
        (_("Discount of your own vouchers"), -statement.own_voucher_cents),
        (_("Still to be paid out"), statement.outstanding_cents),
    ]


def _local(moment, area) -> str:
    return timezone.localtime(moment, area.tz).strftime("%Y-%m-%d %H:%M")


def statement_csv(statement: Statement) -> Iterator[str]:
    merchant, area = statement.merchant, statement.merchant.area
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def rows():
        yield [_("Webshop statement")]
        yield [_("Collective"), area.collective_name]
        yield [_("Merchant"), merchant.trade_name, merchant.legal_name]
        yield [_("Period"), statement.first_day.isoformat(), statement.last_day.isoformat()]
        yield [_("Time zone"), area.time_zone]
        yield [_("Made at"), _local(statement.computed_at, area)]
        yield []
        yield [_("VAT rate (%)"), _("Sales incl. VAT (EUR)"), _("Excl. VAT (EUR)"), _("VAT (EUR)")]
        for row in statement.vat:
            yield [
                percent(row.rate_bps),
                csv_euros(row.gross_cents),
                csv_euros(row.net_cents),
                csv_euros(row.vat_cents),
            ]
        yield [
            _("Total"),
            csv_euros(statement.vat_gross_cents),
            csv_euros(sum(row.net_cents for row in statement.vat)),
            csv_euros(statement.vat_cents),
        ]
        yield []
        for label, cents in totals(statement):
            yield [label, csv_euros(cents)]
        yield []
        yield [
            _("Paid at"),
            _("Order"),
            _("Status"),
            _("Goods (EUR)"),
            _("Delivery (EUR)"),
            _("Refunded (EUR)"),
            _("Commission (EUR)"),
            _("Transferred (EUR)"),
            _("Owed by the collective (EUR)"),
            _("Own voucher (EUR)"),
            _("Still to be paid out (EUR)"),
        ]
        for row in statement.rows:
            yield [
                _local(row.paid_at, area),
                row.part.order.public_id,
                status_label(row.part),
                csv_euros(row.part.goods_cents),
                csv_euros(row.part.delivery_cents),
                csv_euros(row.refunded_cents),
                csv_euros(row.commission_cents),
                csv_euros(row.transferred_cents),
                csv_euros(row.collective_cents),
                csv_euros(row.own_voucher_cents),
                csv_euros(row.outstanding_cents),
            ]
        yield [
            _("Total"),
            len(statement.rows),
            "",
            csv_euros(statement.goods_cents),
            csv_euros(statement.delivery_cents),
            csv_euros(statement.refunded_cents),
            csv_euros(statement.commission_cents),
            csv_euros(statement.transferred_cents),
            csv_euros(statement.collective_cents),
            csv_euros(statement.own_voucher_cents),
            csv_euros(statement.outstanding_cents),
        ]

    yield BOM
    for row in rows():
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def statement_pdf(statement: Statement) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    merchant, area = statement.merchant, statement.merchant.area
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10)
    right = ParagraphStyle("right", parent=body, alignment=TA_RIGHT)

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    def day(value):
        return formats.date_format(value, "DATE_FORMAT")

    grid_style = TableStyle(
        [
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    story = [
        Paragraph(f"<b>{escape(area.collective_name)}</b>", styles["Heading2"]),
        p(area.collective_address, small),
        Spacer(1, 6 * mm),
        Paragraph(escape(_("Webshop statement")), styles["Title"]),
        Paragraph("<br/>".join(escape(x) for x in (merchant.legal_name, merchant.trade_name, merchant.street,
                                                       f"{merchant.postcode} {merchant.city}") if x), body),
        Spacer(1, 3 * mm),
        p(_("Period: %(first)s – %(last)s") % {"first": day(statement.first_day), "last": day(statement.last_day)}),
        p(_("Orders paid in the period: %(count)s") % {"count": len(statement.rows)}),
        Spacer(1, 4 * mm),
    ]  # fmt: skip
    vat_table = [[p(_("VAT rate")), p(_("Incl. VAT"), right), p(_("Excl. VAT"), right), p(_("VAT"), right)]]
    for row in statement.vat:
        vat_table.append(
            [
                p(f"{percent(row.rate_bps)} %"),
                p(format_euros(row.gross_cents), right),
                p(format_euros(row.net_cents), right),
                p(format_euros(row.vat_cents), right),
            ]
        )
    gross, net = sum(r.gross_cents for r in statement.vat), sum(r.net_cents for r in statement.vat)
    vat_table.append(
        [
            p(_("Total")),
            p(format_euros(gross), right),
            p(format_euros(net), right),
            p(format_euros(statement.vat_cents), right),
        ]
    )
    grid = Table(vat_table, colWidths=[40 * mm, 40 * mm, 40 * mm, 40 * mm])
    grid.setStyle(grid_style)
    story += [Paragraph(escape(_("Sales per VAT rate, less refunds")), styles["Heading3"]), grid, Spacer(1, 5 * mm)]
    total_rows = [[p(label), p(format_euros(cents), right)] for label, cents in totals(statement)]
    grid = Table(total_rows, colWidths=[110 * mm, 50 * mm])
    grid.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)]))
    story += [Paragraph(escape(_("Totals")), styles["Heading3"]), grid, Spacer(1, 5 * mm)]
    story.append(
        p(
            _(
                "Sales are the orders paid in the period, as the customer paid them. Commission and transfers are "
                "booked when an order is handed over; refunds as they happen. What a customer paid with a gift card "
                "or a voucher of the collective is not transferred by Stripe: the collective pays it to you. Every "
                "order is in the CSV file of this statement."
            ),
            small,
        )
    )
    story.append(p(_("Made on %(date)s") % {"date": day(timezone.localdate(statement.computed_at, area.tz))}, small))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{_('Webshop statement')} {merchant.trade_name} {statement.first_day}–{statement.last_day}",
        author=area.collective_name,
        invariant=1,
    )
    document.build(story)
    return buffer.getvalue()

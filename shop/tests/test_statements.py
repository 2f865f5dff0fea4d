"""The webshop statement of a merchant: its orders paid in the period, VAT per rate, refunds, commission and
transfers, reconciling to the cent with the order rows; CSV and PDF."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from areas.tests.factories import MerchantFactory
from shop import statement_documents as documents
from shop.models import MerchantOrderStatus, OrderLine, Refund, RefundLine, Transfer
from shop.services.money import PartRefunds, payout_of_part
from shop.services.statements import merchant_statement

from .merchant_fixtures import paid_order

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def month_of_orders(area, merchant):
    other = MerchantFactory(area=area)
    handed = paid_order(
        area,
        {merchant: [("Kaas", 3, 895, 900), ("Wijn", 1, 1299, 2100)], other: [("Boek", 1, 2299, 900)]},
        status=MerchantOrderStatus.HANDED_OVER,
        paid_at=datetime(2026, 6, 3, 10, tzinfo=ZONE),
    )
    part = handed.parts.get(merchant=merchant)
    # one cheese was unavailable: refunded before the handover, then the transfer of the rest
    cheese = part.lines.get(title="Kaas")
    refund = Refund.objects.create(order=handed, part=part, idempotency_key="r1", amount_cents=895, card_cents=895)
    RefundLine.objects.create(refund=refund, line=cheese, quantity=1, amount_cents=895)
    payout = payout_of_part(part, PartRefunds(total=895, goods=895, card=895))
    Transfer.objects.create(
        part=part,
        idempotency_key="tr:1",
        amount_cents=payout.stripe,
        commission_cents=payout.commission,
        destination="acct_x",
    )
    paid_order(area, {merchant: [("Brood", 2, 425, 900)]}, paid_at=datetime(2026, 6, 30, 23, 30, tzinfo=ZONE))
    paid_order(area, {merchant: [("Later", 1, 100, 900)]}, paid_at=datetime(2026, 7, 1, 0, 30, tzinfo=ZONE))
    return merchant


def test_the_statement_reconciles_with_the_order_rows(month_of_orders):
    merchant = month_of_orders
    statement = merchant_statement(merchant=merchant, first_day=date(2026, 6, 1), last_day=date(2026, 6, 30))
    # the merchant's two parts of June (local time: 23:30 on the 30th is in, 00:30 on 1 July is not)
    assert len(statement.rows) == 2
    lines = OrderLine.objects.filter(part__merchant=merchant, part__order__paid_at__month=6)
    assert statement.goods_cents == sum(line.gross_cents for line in lines) == 3 * 895 + 1299 + 2 * 425
    # the VAT to declare: the refunded cheese is out (its VAT in proportion: 222 × 2/3 = 148, plus the bread's 70)
    assert {v.rate_bps: (v.gross_cents, v.vat_cents) for v in statement.vat} == {
        900: (2 * 895 + 2 * 425, 148 + 70),
        2100: (1299, 225),
    }
    assert statement.vat_gross_cents == statement.sales_cents - statement.refunded_cents
    transfer = Transfer.objects.get(part__merchant=merchant)
    assert statement.refunded_cents == 895
    assert (statement.transferred_cents, statement.commission_cents) == (
        transfer.amount_cents,
        transfer.commission_cents,
    )
    # handed over and paid out: nothing left for that part; the open one is still to come in full
    assert [row.outstanding_cents for row in statement.rows] == [0, 850]
    assert (
        statement.sales_cents
        == statement.refunded_cents
        + statement.commission_cents
        + statement.transferred_cents
        + statement.outstanding_cents
    )


def test_another_merchants_part_of_the_same_order_is_not_in_it(month_of_orders):
    statement = merchant_statement(merchant=month_of_orders, first_day=date(2026, 6, 1), last_day=date(2026, 6, 30))
    assert all(row.part.merchant_id == month_of_orders.pk for row in statement.rows)
    assert 2299 not in [row.sales_cents for row in statement.rows]


def test_the_csv_totals_equal_the_sum_of_its_order_rows(month_of_orders):
    statement = merchant_statement(merchant=month_of_orders, first_day=date(2026, 6, 1), last_day=date(2026, 6, 30))
    text = "".join(documents.statement_csv(statement))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    header = next(i for i, row in enumerate(rows) if len(row) == 11 and row[1] in ("Order", "Bestelling"))
    body, total = rows[header + 1 : -1], rows[-1]

    def cents(value):
        return round(float(value.replace(",", ".")) * 100)

    for column in range(3, 11):
        assert sum(cents(row[column]) for row in body) == cents(total[column])
    assert cents(total[3]) == statement.goods_cents


def test_the_pdf_is_made(month_of_orders):
    statement = merchant_statement(merchant=month_of_orders, first_day=date(2026, 6, 1), last_day=date(2026, 6, 30))
    pdf = documents.statement_pdf(statement)
    assert pdf.startswith(b"%PDF") and documents.statement_pdf(statement) == pdf

"""Settlement payments: recording that an issued statement was paid (the rules), and where it shows (the
collective's overview, the merchant's statement page, its CSV and PDF, the overview's CSV)."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, ShoppingAreaFactory
from loyalty import services
from loyalty.exceptions import (
    InvalidPaymentDate,
    InvalidPaymentReference,
    NotAllowed,
    NothingToPay,
    StatementNotIssued,
)
from loyalty.models import GiftCardEntryKind, SettlementPayment
from loyalty.services.settlement import NOTHING_TO_PAY, OPEN, PAID
from privacy.exceptions import AppendOnlyViolation

from .factories import PassFactory, manager_for, person_with, rules_for
from .test_settlement import at, gift_card, giftcard_entry, till_row
from .test_settlement_views import MAY, overview_url, parse_csv, url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FIRST, LAST = date(2026, 5, 1), date(2026, 5, 31)
#: When the statements of May are issued in these tests.
ISSUED_AT = datetime(2026, 6, 2, 10, 0, tzinfo=AMSTERDAM)


def issued(merchant, manager, net_points: int):
    """May's statement of the merchant, issued on 2 June, with `net_points` points issued at 1 ct (its net in
    cents: positive, the merchant owes; zero, nothing to pay)."""
    if net_points:
        cashier = person_with(Role.MERCHANT_STAFF, merchant=merchant)
        member_pass = PassFactory(area=merchant.area, now=at(1))
        till_row(merchant, member_pass, when=at(3), by=cashier, points=net_points)
    services.issue_statement(merchant=merchant, first_day=FIRST, last_day=LAST, by=manager, now=ISSUED_AT)
    return services.get_statement(merchant=merchant, first_day=FIRST, last_day=LAST, now=ISSUED_AT)


@pytest.fixture
def owed(merchant, manager):
    """May's issued statement: the merchant owes the collective € 2,50 (250 points at the default 1 ct)."""
    rules_for(merchant.area, issue_fee_millicents_per_point=1000)
    return issued(merchant, manager, 250)


def pay(statement, by, paid_on=date(2026, 6, 3), reference="", now=datetime(2026, 6, 10, 14, 0, tzinfo=AMSTERDAM)):
    return services.record_payment(statement=statement, paid_on=paid_on, reference=reference, by=by, now=now)


# --- The rules -------------------------------------------------------------------------------------------------------


def test_the_manager_records_the_payment_of_an_issued_statement_for_its_net(owed, manager):
    assert owed.payment_status == OPEN and owed.payment is None

    payment = pay(owed, manager, reference="  NL-2026-06-0042 ")

    assert payment.amount_cents == owed.stored.net_cents == 250
    assert (payment.paid_on, payment.reference, payment.recorded_by) == (date(2026, 6, 3), "NL-2026-06-0042", manager)
    assert owed.payment == payment and owed.payment_status == PAID
    again = services.get_statement(merchant=owed.merchant, first_day=FIRST, last_day=LAST)
    assert again.payment == payment and again.payment_status == PAID


def test_a_payment_to_the_merchant_keeps_the_nets_sign(area, other_merchant, manager):
    rules_for(area, giftcard_commission_permille=0)
    giftcard_entry(gift_card(area), GiftCardEntryKind.SPEND, -1900, when=at(5), merchant=other_merchant)
    statement = issued(other_merchant, manager, 0)
    assert statement.net_cents == -1900

    assert pay(statement, manager).amount_cents == -1900


def test_recording_again_returns_the_first_payment(owed, manager, area):
    first = pay(owed, manager, paid_on=date(2026, 6, 3), reference="first")
    second_manager = manager_for(area)
    fresh = services.get_statement(merchant=owed.merchant, first_day=FIRST, last_day=LAST)

    second = pay(fresh, second_manager, paid_on=date(2026, 6, 9), reference="second")

    assert second.pk == first.pk and (second.paid_on, second.reference) == (date(2026, 6, 3), "first")
    assert SettlementPayment.objects.count() == 1


def test_the_database_refuses_a_second_payment_of_a_statement(owed, manager):
    # What makes two managers clicking at once safe: the loser's insert fails, and record_payment returns theirs.
    payment = pay(owed, manager)
    with pytest.raises(IntegrityError), transaction.atomic():
        SettlementPayment.objects.create(
            statement=owed.stored, paid_on=payment.paid_on, amount_cents=payment.amount_cents, recorded_by=manager
        )


def test_a_draft_cannot_be_paid(merchant, manager):
    draft = services.get_statement(merchant=merchant, first_day=FIRST, last_day=LAST)
    assert draft.is_draft and draft.payment_status == ""
    with pytest.raises(StatementNotIssued):
        pay(draft, manager)
    assert not SettlementPayment.objects.exists()


def test_a_statement_with_a_zero_net_has_nothing_to_pay(merchant, manager):
    statement = issued(merchant, manager, 0)
    assert statement.net_cents == 0 and statement.payment_status == NOTHING_TO_PAY
    with pytest.raises(NothingToPay):
        pay(statement, manager)
    assert not SettlementPayment.objects.exists()


def test_only_the_areas_manager_records_a_payment(owed, merchant):
    people = [
        person_with(Role.MERCHANT_OWNER, merchant=merchant),
        person_with(Role.MERCHANT_STAFF, merchant=merchant),
        manager_for(ShoppingAreaFactory()),
        person_with(Role.PARCEL_STAFF, area=merchant.area),
    ]
    for person in people:
        with pytest.raises(NotAllowed):
            pay(owed, person)
    assert not SettlementPayment.objects.exists()


@pytest.mark.parametrize(
    ("paid_on", "now", "allowed"),
    [
        (date(2026, 6, 1), datetime(2026, 6, 10, 14, tzinfo=AMSTERDAM), False),  # before it was issued
        (date(2026, 6, 2), datetime(2026, 6, 10, 14, tzinfo=AMSTERDAM), True),  # the day it was issued
        (date(2026, 6, 10), datetime(2026, 6, 10, 14, tzinfo=AMSTERDAM), True),  # today
        (date(2026, 6, 11), datetime(2026, 6, 10, 14, tzinfo=AMSTERDAM), False),  # tomorrow
        # 22:30 UTC on 10 June is already 11 June in Amsterdam: the area's day counts, not UTC's
        (date(2026, 6, 11), datetime(2026, 6, 10, 22, 30, tzinfo=UTC), True),
        (date(2026, 6, 11), datetime(2026, 6, 10, 21, 30, tzinfo=UTC), False),
    ],
)
def test_a_payment_is_dated_from_the_day_of_issue_to_today_in_the_areas_zone(owed, manager, paid_on, now, allowed):
    if allowed:
        assert pay(owed, manager, paid_on=paid_on, now=now).paid_on == paid_on
    else:
        with pytest.raises(InvalidPaymentDate) as error:
            pay(owed, manager, paid_on=paid_on, now=now)
        assert error.value.earliest == date(2026, 6, 2)
        assert "2 June 2026" in error.value.message
        assert not SettlementPayment.objects.exists()


def test_a_reference_has_at_most_60_characters(owed, manager):
    with pytest.raises(InvalidPaymentReference):
        pay(owed, manager, reference="x" * 61)
    assert pay(owed, manager, reference="x" * 60).reference == "x" * 60


def test_payments_cannot_be_changed_or_deleted(owed, manager):
    payment = pay(owed, manager)
    with pytest.raises(AppendOnlyViolation):
        payment.save()
    with pytest.raises(AppendOnlyViolation):
        payment.delete()
    with pytest.raises(AppendOnlyViolation):
        SettlementPayment.objects.update(reference="changed")


@pytest.mark.postgres
def test_postgresql_refuses_changes_to_payments_even_in_raw_sql(owed, manager):
    pay(owed, manager)
    for sql in ("UPDATE loyalty_settlementpayment SET reference = 'x'", "DELETE FROM loyalty_settlementpayment"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_the_overview_totals_what_issued_statements_leave_open_each_way(area, merchant, other_merchant, manager):
    rules_for(area, issue_fee_millicents_per_point=1000, giftcard_commission_permille=0)
    owes = issued(merchant, manager, 250)  # + € 2,50
    giftcard_entry(gift_card(area), GiftCardEntryKind.SPEND, -1900, when=at(5), merchant=other_merchant)
    is_owed = issued(other_merchant, manager, 0)  # − € 19,00
    draft = MerchantFactory(area=area)
    cashier = person_with(Role.MERCHANT_STAFF, merchant=draft)
    till_row(draft, PassFactory(area=area, now=at(1)), when=at(3), by=cashier, points=999)  # a draft owes nothing yet

    def overview():
        return services.settlement_overview(area=area, first_day=FIRST, last_day=LAST)

    assert (overview().open_to_collective_cents, overview().open_to_merchants_cents) == (250, 1900)
    pay(is_owed, manager)
    assert (overview().open_to_collective_cents, overview().open_to_merchants_cents) == (250, 0)
    pay(owes, manager)
    statuses = {row.merchant.pk: row.statement.payment_status for row in overview().rows}
    assert statuses == {merchant.pk: PAID, other_merchant.pk: PAID, draft.pk: ""}
    assert (overview().open_to_collective_cents, overview().open_to_merchants_cents) == (0, 0)


def test_the_overview_reads_payments_without_a_query_per_statement(area, manager):
    def count():
        with CaptureQueriesContext(connection) as queries:
            rows = services.settlement_overview(area=area, first_day=FIRST, last_day=LAST).rows
            [row.statement.payment_status for row in rows]
        return len(queries)

    merchants = [MerchantFactory(area=area) for _ in range(3)]
    issued(merchants[0], manager, 0)
    before = count()
    for merchant in merchants[1:]:
        pay(issued(merchant, manager, 7), manager)
    assert count() == before == 7


# --- The screens -----------------------------------------------------------------------------------------------------


def today(area) -> date:
    return timezone.localdate(timezone=area.tz)


def payment_url(merchant_pk):
    return reverse("loyalty:settlement_payment", kwargs={"merchant_pk": merchant_pk})


def test_the_manager_records_a_payment_from_the_overview(client, area, merchant, manager, owed):
    client.force_login(manager)
    page = client.get(overview_url(area.slug, **MAY)).content.decode()
    assert "Record payment" in page and "Open" in page
    assert f'value="{today(area):%Y-%m-%d}"' in page  # the date field defaults to today

    response = client.post(
        payment_url(merchant.pk),
        {"first": "2026-05-01", "last": "2026-05-31", "paid_on": "2026-06-03", "reference": "BANK-42"},
    )

    assert response.status_code == 302
    assert response["Location"] == overview_url(area.slug, **MAY)
    payment = SettlementPayment.objects.get()
    assert (payment.amount_cents, payment.reference, payment.recorded_by) == (250, "BANK-42", manager)
    page = client.get(response["Location"])
    text = page.content.decode()
    name = escape(merchant.trade_name)
    assert f"Statement 000001 of {name}: Paid on 3 June 2026, reference BANK-42." in text
    assert [row["payment"] for row in page.context["rows"]] == ["Paid on 3 June 2026"]
    assert "Record payment" not in text
    # Settled, it folds away with the others; nothing is left open.
    assert "Every issued statement of this period is settled." in text
    assert "1 statement paid or with nothing to pay" in text
    assert f"<strong>{name}</strong> · statement 000001 · Paid on 3 June 2026</li>" in text


def test_the_overview_lists_what_other_periods_still_leave_open(client, area, merchant, other_merchant, manager, owed):
    april = (date(2026, 4, 1), date(2026, 4, 30))
    cashier = person_with(Role.MERCHANT_STAFF, merchant=other_merchant)
    till_row(other_merchant, PassFactory(area=area, now=at(1, month=4)), when=at(3, month=4), by=cashier, points=80)
    paid = MerchantFactory(area=area, trade_name="Betaald & Co")
    till_row(paid, PassFactory(area=area, now=at(1, month=4)), when=at(3, month=4), by=cashier, points=40)
    zero = MerchantFactory(area=area, trade_name="Niets te betalen")
    for each in (other_merchant, paid, zero):
        services.issue_statement(merchant=each, first_day=april[0], last_day=april[1], by=manager, now=ISSUED_AT)
    pay(services.get_statement(merchant=paid, first_day=april[0], last_day=april[1], now=ISSUED_AT), manager)
    client.force_login(manager)

    june = client.get(overview_url(area.slug, month="2026-06")).content.decode()
    may = client.get(overview_url(area.slug, **MAY)).content.decode()

    section = june[june.index("Still open from other periods") :]
    assert "This period&#x27;s statements" not in june  # June issued nothing: no totals of its own
    # April's € 0,80 and May's € 2,50
    assert "Other periods&#x27; statements: still owed to the collective</dt><dd>€3.30</dd>" in section
    assert f'href="?month=2026-04#payment-{other_merchant.pk}"><strong>{escape(other_merchant.trade_name)}' in section
    assert (
        f'href="?month=2026-05#payment-{merchant.pk}"><strong>{escape(merchant.trade_name)}</strong> · May 2026'
        in section
    )
    assert section.index("April 2026") < section.index("May 2026")  # the oldest first
    assert "€2.50 to be paid to the collective" in section and "€0.80 to be paid to the collective" in section
    assert "Betaald &amp; Co" not in section and "Niets te betalen" not in section  # paid, and nothing to pay
    # May's own open statement is in May's own list; only April's is open elsewhere.
    elsewhere = may[may.index("Still open from other periods") :]
    assert "May 2026" not in elsewhere and "April 2026" in elsewhere
    assert f'#payment-{merchant.pk}"' not in elsewhere

    pay(owed, manager)
    pay(services.get_statement(merchant=other_merchant, first_day=april[0], last_day=april[1]), manager)
    assert "Still open from other periods" not in client.get(overview_url(area.slug, month="2026-06")).content.decode()


def test_recording_twice_from_the_overview_says_what_was_recorded_first(client, area, merchant, manager, owed):
    client.force_login(manager)
    data = {"month": "2026-05", "paid_on": "2026-06-03", "reference": ""}
    client.post(payment_url(merchant.pk), data)
    response = client.post(payment_url(merchant.pk), {**data, "paid_on": "2026-06-04"}, follow=True)
    assert "was recorded already: Paid on 3 June 2026." in response.content.decode()
    assert SettlementPayment.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"paid_on": "2026-06-01"}, "Enter a payment date from 2 June 2026"),
        ({"paid_on": "2999-01-01"}, "not in the future"),
        ({"paid_on": "gisteren"}, "Paid on: Enter a valid date."),
        ({"paid_on": ""}, "Paid on: This field is required."),
        ({"paid_on": "2026-06-03", "reference": "x" * 61}, "Payment reference: Ensure this value has at most 60"),
    ],
)
def test_a_wrong_payment_is_refused_with_a_message(client, area, merchant, manager, owed, data, message):
    client.force_login(manager)
    response = client.post(payment_url(merchant.pk), {"month": "2026-05", **data}, follow=True)
    assert message in response.content.decode()
    assert not SettlementPayment.objects.exists()


def test_a_draft_or_zero_net_statement_is_not_paid_from_the_screen(client, area, merchant, other_merchant, manager):
    issued(other_merchant, manager, 0)
    client.force_login(manager)
    data = {"month": "2026-05", "paid_on": f"{today(area):%Y-%m-%d}"}
    draft = client.post(payment_url(merchant.pk), data, follow=True).content.decode()
    assert "Only an issued statement can be marked as paid" in draft
    zero = client.post(payment_url(other_merchant.pk), data, follow=True)
    assert "there is nothing to pay" in zero.content.decode()
    assert "Nothing to pay" in [row["payment"] for row in zero.context["rows"]]
    assert not SettlementPayment.objects.exists()


def test_the_owner_sees_the_status_but_cannot_record_it(client, area, merchant, manager, owner, owed):
    client.force_login(owner)
    page = client.get(url("settlement_statement", merchant.pk, **MAY)).content.decode()
    assert "Not paid yet" in page

    response = client.post(payment_url(merchant.pk), {"month": "2026-05", "paid_on": "2026-06-03"})

    assert response.status_code == 403
    assert not SettlementPayment.objects.exists()
    pay(owed, manager, reference="BANK-42")
    page = client.get(url("settlement_statement", merchant.pk, **MAY)).content.decode()
    assert "Paid on 3 June 2026, reference BANK-42" in page


def test_staff_and_people_of_other_shops_or_areas_cannot_record(client, area, merchant, other_merchant, owed):
    data = {"month": "2026-05", "paid_on": "2026-06-03"}
    client.force_login(person_with(Role.MERCHANT_STAFF, merchant=merchant))
    assert client.post(payment_url(merchant.pk), data).status_code == 403
    for person in (
        person_with(Role.MERCHANT_OWNER, merchant=other_merchant),
        person_with(Role.AREA_MANAGER, area=ShoppingAreaFactory()),
    ):
        client.force_login(person)
        assert client.post(payment_url(merchant.pk), data).status_code == 404
    assert client.get(payment_url(merchant.pk)).status_code == 405  # POST only
    assert not SettlementPayment.objects.exists()


def test_the_statement_csv_shows_the_payment(client, merchant, manager, owner, owed):
    client.force_login(owner)
    fields = {
        row[0]: row[1:] for row in parse_csv(client.get(url("settlement_statement_csv", merchant.pk, **MAY))) if row
    }
    assert fields["Payment"] == ["Not paid yet"] and "Paid on" not in fields

    pay(owed, manager, reference="BANK-42")

    fields = {
        row[0]: row[1:] for row in parse_csv(client.get(url("settlement_statement_csv", merchant.pk, **MAY))) if row
    }
    assert fields["Payment"] == ["Paid on 3 June 2026, reference BANK-42"]
    assert fields["Paid on"] == ["2026-06-03"] and fields["Payment reference"] == ["BANK-42"]


def test_the_overview_csv_has_the_paid_on_column_and_what_is_open(client, area, merchant, other_merchant, manager):
    rules_for(area, issue_fee_millicents_per_point=1000)
    statement = issued(merchant, manager, 250)
    issued(other_merchant, manager, 120)
    pay(statement, manager, reference="BANK-42")
    client.force_login(manager)

    rows = parse_csv(client.get(overview_url(area.slug, csv_=True, **MAY)))

    fields = {row[0]: row[1:] for row in rows if row}
    assert fields["This period's statements: still owed to the collective (EUR)"] == ["1,20"]
    assert fields["This period's statements: still owed to merchants (EUR)"] == ["0,00"]
    assert fields["Other periods' statements: still owed to the collective (EUR)"] == ["0,00"]
    header = next(row for row in rows if row and row[0] == "Merchant")
    assert header[-2:] == ["Paid on", "Payment reference"]
    names = {merchant.trade_name, other_merchant.trade_name}
    by_merchant = {row[0]: dict(zip(header, row, strict=True)) for row in rows if row and row[0] in names}
    assert by_merchant[merchant.trade_name]["Paid on"] == "2026-06-03"
    assert by_merchant[merchant.trade_name]["Payment reference"] == "BANK-42"
    assert by_merchant[other_merchant.trade_name]["Paid on"] == ""


def test_each_open_figure_has_its_own_label_the_same_on_the_page_and_in_the_csv(
    client, area, merchant, other_merchant, manager, owed
):
    # given: May's statement leaves € 2,50 open; April's of the other merchant € 0,80
    cashier = person_with(Role.MERCHANT_STAFF, merchant=other_merchant)
    till_row(other_merchant, PassFactory(area=area, now=at(1, month=4)), when=at(3, month=4), by=cashier, points=80)
    services.issue_statement(
        merchant=other_merchant, first_day=date(2026, 4, 1), last_day=date(2026, 4, 30), by=manager, now=ISSUED_AT
    )
    client.force_login(manager)

    # when: the manager looks at May, on the page and in its CSV
    page = client.get(overview_url(area.slug, **MAY)).content.decode()
    fields = {row[0]: row[1:] for row in parse_csv(client.get(overview_url(area.slug, csv_=True, **MAY))) if row}

    # then: May's own figure and the other periods' each have their label, and the CSV says the same figures
    shown = dict(re.findall(r"<dt>([^<]*)</dt><dd>(€[^<]*)</dd>", page.replace("&#x27;", "'")))
    assert shown["This period's statements: still owed to the collective"] == "€2.50"
    assert shown["Other periods' statements: still owed to the collective"] == "€0.80"
    assert fields["This period's statements: still owed to the collective (EUR)"] == ["2,50"]
    assert fields["Other periods' statements: still owed to the collective (EUR)"] == ["0,80"]
    assert fields["Other periods' statements: still owed to merchants (EUR)"] == ["0,00"]
    assert "Open: owed" not in page


def pdf_text(content: bytes) -> str:
    """The text of ReportLab's page streams (ASCII85, then Flate, by default)."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        try:
            text.append(zlib.decompress(base64.a85decode(stream.strip(), adobe=True)).decode("latin-1"))
        except (ValueError, zlib.error):
            text.append(stream.decode("latin-1"))
    return "".join(text)


def test_the_pdf_shows_the_payment(client, merchant, manager, owner, owed):
    client.force_login(owner)
    assert "Not paid yet" in pdf_text(client.get(url("settlement_statement_pdf", merchant.pk, **MAY)).content)
    pay(owed, manager, reference="BANK-42")
    content = client.get(url("settlement_statement_pdf", merchant.pk, **MAY)).content
    assert b"/Count 1" in content
    assert "Paid on 3 June 2026, reference BANK-42" in pdf_text(content)


def test_the_overview_speaks_dutch(client, area, merchant, manager, owed):
    pay(owed, manager, reference="BANK-42")
    client.force_login(manager)
    with translation.override("nl"):
        page = client.get(overview_url(area.slug, **MAY), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
        fields = {
            row[0]: row[1:] for row in parse_csv(client.get(url("settlement_statement_csv", merchant.pk, **MAY))) if row
        }
    assert "Betaald op 3 juni 2026" in page
    assert "Openstaand" in page or "openstaand" in page
    assert any(value == ["Betaald op 3 juni 2026, kenmerk BANK-42"] for value in fields.values())

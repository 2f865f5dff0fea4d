"""The merchant's order pages at the counter: a line marked unavailable (one at a time, the amount confirmed before
it goes, never an error after the refund is written — a failed send to Stripe is sent by the reconciliation job),
the "ready" e-mail and the part page saying what was not in it and what went back, the handover's pickup code,
edited URLs, payouts without Stripe Connect, and the statement's VAT table (refunds out, delivery in)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from shop.exceptions_merchant import PickupCodeMissing
from shop.models import Fulfilment, MerchantOrderStatus, Refund, RefundLine
from shop.services import fulfilment, payments
from shop.services.statements import merchant_statement

from .factories import contact, variant_of
from .merchant_fixtures import paid_order, staff_of
from .payment_helpers import collect, paid_with_card

pytestmark = pytest.mark.django_db
S = MerchantOrderStatus


@pytest.fixture(autouse=True)
def english():
    """These tests read the pages and e-mails in English (/en/ URLs, an English-speaking customer)."""
    with translation.override("en"):
        yield


def url(name, *args):
    return reverse(f"shop_merchant:{name}", args=args)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def shirt(baker):
    return variant_of(
        baker, stock=10, price_cents=2995, vat_rate_bps=2100, title_nl="T-shirt biokatoen", title_en="Organic T-shirt"
    )


@pytest.fixture
def socks(baker):
    return variant_of(baker, stock=10, price_cents=995, vat_rate_bps=2100, title_nl="Sokken", title_en="Socks")


@pytest.fixture
def counter(client, baker):
    staff = staff_of(baker)
    client.force_login(staff)
    return staff


def _card_order(fake, area, items):
    return paid_with_card(fake, area, items, fulfilment=collect(), contact=contact(language="en"))


def _unavailable(client, part, line, quantity, *, key=None, reason=""):
    """The two steps at the counter: the amount shown, then confirmed (the same request key)."""
    data = {"request_key": str(key or uuid.uuid4()), "quantity": quantity, "reason": reason}
    shown = client.post(url("line_unavailable", part.merchant_id, part.pk, line.pk), data)
    done = client.post(url("line_unavailable", part.merchant_id, part.pk, line.pk), {**data, "confirmed": "True"})
    return shown, done


# --- 4: the refund is written; when Stripe fails the merchant is told it will be sent, never "try again" ---------


# Committed for real (transaction=True): the send runs after the commit inside the request, as in the demo
# (CELERY_TASK_ALWAYS_EAGER), so what the view says is what the merchant would read.
@pytest.mark.django_db(transaction=True)
def test_a_refund_stripe_refuses_is_left_for_the_retry_and_the_merchant_is_not_told_to_try_again(
    client, area, baker, shirt, counter, fake
):
    order = _card_order(fake, area, [(shirt, 2)])
    part = order.parts.get()
    line = part.lines.get()
    fake.fail_next("refund")  # Stripe answers an error when the refund goes out after the commit
    mail.outbox.clear()

    _shown, done = _unavailable(client, part, line, 1, reason="Sold out, sorry!")

    # then: marked and written once, not yet at Stripe, and the merchant reads that it will be sent
    assert done.status_code == 302
    line.refresh_from_db()
    refund = Refund.objects.get(order=order)
    assert (line.unavailable_quantity, refund.amount_cents, refund.provider_refund_id) == (1, 2995, "")
    messages = said(done)
    assert messages == ["Marked unavailable; the refund of €29.95 will be sent to the customer. Nothing more to do."]
    assert not any("try again" in message.lower() for message in messages)
    assert not [m for m in mail.outbox if "Money back" in m.subject]

    # when: the reconciliation job runs (every few minutes; the refund is older than its cut-off)
    Refund.objects.update(created_at=timezone.now() - timedelta(hours=1))
    payments.reconcile_payments()

    # then: sent with the same key, once, and the customer gets the "money back" e-mail
    refund.refresh_from_db()
    assert refund.provider_refund_id == next(iter(fake.refunds)) and len(fake.refunds) == 1
    assert [key for call, key in fake.calls if call == "refund"] == [f"re:{refund.idempotency_key}"] * 2
    money_back = [m for m in mail.outbox if m.to == [order.email] and "Money back" in m.subject]
    assert len(money_back) == 1 and "€29.95" in money_back[0].body
    line.refresh_from_db()
    assert line.unavailable_quantity == 1  # nothing marked twice


@pytest.mark.django_db(transaction=True)
def test_a_refund_stripe_takes_says_it_is_refunded(client, area, baker, shirt, counter, fake):
    order = _card_order(fake, area, [(shirt, 2)])
    part = order.parts.get()
    _shown, done = _unavailable(client, part, part.lines.get(), 1)
    assert said(done) == ["Marked unavailable; €29.95 is refunded to the customer."]
    assert Refund.objects.get(order=order).provider_refund_id


# --- 19: one at a time, and the amount confirmed before it goes ---------------------------------------------------


def test_marking_unavailable_starts_at_one_and_shows_the_amount_before_anything_is_refunded(
    client, area, baker, shirt, socks, counter, fake, django_capture_on_commit_callbacks
):
    order = _card_order(fake, area, [(shirt, 3), (socks, 1)])
    part = order.parts.get()
    line = part.lines.get(title_en__startswith="Organic")
    page = client.get(url("part", baker.pk, part.pk)).content.decode()
    assert 'name="quantity" value="1"' in page
    assert "Next: check the refund" in page and "Unavailable: refund" not in page

    # when: the merchant asks for 2 (the first step)
    key = uuid.uuid4()
    shown = client.post(
        url("line_unavailable", baker.pk, part.pk, line.pk), {"request_key": str(key), "quantity": 2, "reason": ""}
    )
    # then: the amount to confirm, and nothing written yet
    assert shown.status_code == 200
    text = shown.content.decode()
    assert "The customer gets €59.90 back. This cannot be undone." in text
    assert "Unavailable: refund €59.90" in text and 'name="confirmed"' in text and str(key) in text
    line.refresh_from_db()
    assert line.unavailable_quantity == 0 and not Refund.objects.exists() and not fake.refunds

    # when: confirmed — twice (a double tap): one refund of 2
    with django_capture_on_commit_callbacks(execute=True):
        for _tap in range(2):
            client.post(
                url("line_unavailable", baker.pk, part.pk, line.pk),
                {"request_key": str(key), "quantity": 2, "reason": "", "confirmed": "True"},
            )
    line.refresh_from_db()
    assert line.unavailable_quantity == 2
    assert list(Refund.objects.values_list("amount_cents", flat=True)) == [5990] and len(fake.refunds) == 1


def test_the_confirmation_refuses_more_than_is_left(client, area, baker, shirt, counter, fake):
    order = _card_order(fake, area, [(shirt, 1)])
    part = order.parts.get()
    response = client.post(
        url("line_unavailable", baker.pk, part.pk, part.lines.get().pk),
        {"request_key": str(uuid.uuid4()), "quantity": 2, "reason": ""},
    )
    assert response.status_code == 302 and said(response) == ["Between 1 and 1 of this line can be marked unavailable."]
    assert not Refund.objects.exists()


# --- 10: what is in the part, and what was not -------------------------------------------------------------------


def test_the_ready_email_and_the_part_page_name_what_was_unavailable_and_refunded(
    client, area, baker, shirt, socks, counter, fake, django_capture_on_commit_callbacks
):
    order = _card_order(fake, area, [(shirt, 1), (socks, 2)])
    part = order.parts.get()
    with django_capture_on_commit_callbacks(execute=True):
        _unavailable(client, part, part.lines.get(title_en__startswith="Organic"), 1)
        fulfilment.accept_part(part=part, by=counter)
        mail.outbox.clear()
        fulfilment.mark_ready(part=part, by=counter)

    (ready,) = [m for m in mail.outbox if "Ready for you" in m.subject]
    body = ready.body
    assert "In it:\n  2 × Socks\n" in body
    assert "Not available, so not in it:\n  1 × Organic T-shirt  €29.95\n" in body
    assert "We refund €29.95 to you for this" in body
    html = ready.alternatives[0][0]
    assert "2 × Socks" in html and "1 × Organic T-shirt — €29.95" in html

    page = client.get(url("part", baker.pk, part.pk)).content.decode()
    # paid 49.85 (29.95 + 2 × 9.95); 29.95 back; 19.90 left
    assert "Refunded to the customer" in page and "−€29.95" in page
    assert "Total after refunds" in page and "€19.90" in page


def test_a_ready_email_without_missing_items_lists_the_items_only(
    area, baker, socks, counter, fake, django_capture_on_commit_callbacks
):
    order = _card_order(fake, area, [(socks, 2)])
    part = fulfilment.accept_part(part=order.parts.get(), by=counter)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.mark_ready(part=part, by=counter)
    (ready,) = mail.outbox
    assert "2 × Socks" in ready.body and "Not available" not in ready.body and "We refund" not in ready.body
    assert f"Your pickup code: {part.pickup_code}" in ready.body


# --- 5 and 21: the pickup code stays the customer's; an empty one is asked for -----------------------------------


def test_the_pick_list_of_a_parcel_point_part_has_its_label_and_no_pickup_code(client, area, baker, counter):
    part = paid_order(
        area, {baker: [("Kaas", 1, 895, 900)]}, status=S.ACCEPTED, fulfilment=Fulfilment.PARCEL_POINT
    ).parts.get()
    part.pickup_code = "K7M3QX"  # even if a part had one, the sheet does not show it
    part.save(update_fields=["pickup_code"])
    page = client.get(url("pick_list", baker.pk), {"part": part.pk}).content.decode()
    code = fulfilment.parcel_code_for(part)
    assert "Parcel label for the parcel point" in page and code in page and "<svg" in page
    assert "K7M3QX" not in page


def test_an_empty_pickup_code_is_asked_for_not_called_wrong(client, area, baker, counter):
    part = paid_order(area, {baker: [("Kaas", 1, 895, 900)]}, status=S.READY).parts.get()
    with pytest.raises(PickupCodeMissing):
        fulfilment.hand_over_part(part=part, by=counter, to="customer", pickup_code="  ")
    response = client.post(url("part_hand_over", baker.pk, part.pk), {"to": "customer", "pickup_code": ""})
    assert said(response) == ["Enter the pickup code from the customer's e-mail."]
    client.get(url("part", baker.pk, part.pk))  # the message is read
    response = client.post(url("part_hand_over", baker.pk, part.pk), {"to": "customer", "pickup_code": "AAAAAA"})
    assert said(response) == [
        "This is not the pickup code of this order. Ask the customer for the code in their e-mail."
    ]
    part.refresh_from_db()
    assert part.status == S.READY


# --- 15: edited URLs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2026-13", "2026-00", "１２３４-０１", "x"])
def test_an_edited_month_gives_the_current_month(client, area, baker, month):
    client.force_login(staff_of(baker, Role.MERCHANT_OWNER))
    today = timezone.localdate(timezone=area.tz)
    response = client.get(url("statement", baker.pk), {"month": month})
    assert response.status_code == 200
    assert response.context["statement"].first_day == today.replace(day=1)
    assert client.get(url("statement_csv", baker.pk), {"month": month}).status_code == 200


def test_the_first_and_last_months_have_neighbours_that_do_not_overflow(client, area, baker):
    client.force_login(staff_of(baker, Role.MERCHANT_OWNER))
    first = client.get(url("statement", baker.pk), {"month": "2000-01"})
    last = client.get(url("statement", baker.pk), {"month": "2999-12"})
    assert (first.status_code, first.context["previous"]) == (200, "1999-12")
    assert (last.status_code, last.context["following"]) == (200, "3000-01")


@pytest.mark.parametrize("value", ["99999999999999999999", "²", "-1", "1e3"])
def test_an_edited_pick_list_part_is_an_empty_list(client, area, baker, counter, value):
    response = client.get(url("pick_list", baker.pk), {"part": value})
    assert response.status_code == 200


def test_a_huge_part_number_in_the_path_is_a_404(client, baker, counter):
    assert client.get(url("part", baker.pk, 99999999999999999999)).status_code == 404


# --- 20: payouts without Stripe Connect --------------------------------------------------------------------------


def test_without_stripe_connect_the_pages_say_the_collective_arranges_the_payouts(client, area, baker, fake):
    fake.supports_connect = False  # as STRIPE_CONNECT off (the demo's localstripe)
    owner = staff_of(baker, Role.MERCHANT_OWNER)
    client.force_login(owner)
    page = client.get(url("payouts", baker.pk)).content.decode()
    assert f"In this webshop {area.collective_name} arranges your payouts" in page
    assert "Set up payouts with Stripe" not in page
    response = client.post(url("payouts_start", baker.pk))
    assert said(response) == [
        "Payouts do not go through Stripe in this webshop: the collective arranges them with you."
    ]

    part = paid_order(area, {baker: [("Kaas", 1, 895, 900)]}, status=S.READY).parts.get()
    fulfilment.hand_over_part(part=part, by=owner, to="customer", pickup_code=part.pickup_code)
    page = client.get(url("part", baker.pk, part.pk)).content.decode()
    assert f"{area.collective_name} arranges your payout." in page
    assert "The payout follows automatically" not in page


def test_with_stripe_connect_the_handed_over_part_says_the_payout_follows(client, area, baker, fake):
    owner = staff_of(baker, Role.MERCHANT_OWNER)
    client.force_login(owner)
    part = paid_order(area, {baker: [("Kaas", 1, 895, 900)]}, status=S.READY).parts.get()
    fulfilment.hand_over_part(part=part, by=owner, to="customer", pickup_code=part.pickup_code)
    page = client.get(url("part", baker.pk, part.pk)).content.decode()
    assert "The payout follows automatically." in page  # the baker's shop can be paid out (SellingMerchantFactory)


# --- 12: the VAT table is what was kept: refunds out, delivery in at the goods' rates -----------------------------


def test_the_vat_table_leaves_refunds_out_and_puts_delivery_in_at_the_rates_of_its_goods(area, baker):
    zone = ZoneInfo("Europe/Amsterdam")
    order = paid_order(
        area,
        {baker: [("Jas", 2, 1000, 2100), ("Boek", 1, 500, 900)]},
        paid_at=datetime(2026, 6, 3, 10, tzinfo=zone),
    )
    part = order.parts.get()
    part.delivery_cents = 495
    part.save(update_fields=["delivery_cents"])
    coat = part.lines.get(title="Jas")  # 2 × 10.00 at 21 %: VAT 347
    refund = Refund.objects.create(order=order, part=part, idempotency_key="r-coat", amount_cents=1000)
    RefundLine.objects.create(refund=refund, line=coat, quantity=1, amount_cents=1000)
    # a second part, every line and its delivery refunded before it left: nothing of it to declare
    gone = paid_order(
        area, {baker: [("Kaart", 1, 300, 600)]}, paid_at=datetime(2026, 6, 4, 10, tzinfo=zone)
    ).parts.get()
    gone.delivery_cents = 200
    gone.save(update_fields=["delivery_cents"])
    back = Refund.objects.create(order=gone.order, part=gone, idempotency_key="r-card", amount_cents=500)
    RefundLine.objects.create(refund=back, line=gone.lines.get(), quantity=1, amount_cents=300)

    statement = merchant_statement(merchant=baker, first_day=date(2026, 6, 1), last_day=date(2026, 6, 30))

    # kept: one coat 10.00 (VAT 347 × ½ = 173.5 → 174) and the book 5.00 (VAT 41); the delivery 4.95 over the
    # goods as sold (and as the receipt said), 20.00 : 5.00 → 3.96 at 21 % (VAT 69) and 0.99 at 9 % (VAT 8)
    assert [(row.rate_bps, row.gross_cents, row.vat_cents) for row in statement.vat] == [
        (2100, 1000 + 396, 174 + 69),
        (900, 500 + 99, 41 + 8),
    ]
    assert statement.sales_cents == 2995 + 500 and statement.refunded_cents == 1500
    assert statement.vat_gross_cents == statement.sales_cents - statement.refunded_cents == 1995


def test_delivery_of_a_part_refunded_after_it_was_delivered_keeps_its_rates(area, baker):
    order = paid_order(area, {baker: [("Jas", 1, 1000, 2100)]}, paid_at=datetime(2026, 6, 3, 10, tzinfo=UTC))
    part = order.parts.get()
    part.delivery_cents, part.status = 400, S.HANDED_OVER
    part.save(update_fields=["delivery_cents", "status"])
    refund = Refund.objects.create(order=order, part=part, idempotency_key="r-all", amount_cents=1000)
    RefundLine.objects.create(refund=refund, line=part.lines.get(), quantity=1, amount_cents=1000)
    statement = merchant_statement(merchant=baker, first_day=date(2026, 6, 1), last_day=date(2026, 6, 30))
    # the goods went back, the delivery was made and kept: 4.00 at the coat's 21 % (VAT 69)
    assert [(row.rate_bps, row.gross_cents, row.vat_cents) for row in statement.vat] == [(2100, 400, 69)]


def test_the_statement_page_and_csv_show_the_vat_total(client, area, baker):
    client.force_login(staff_of(baker, Role.MERCHANT_OWNER))
    order = paid_order(area, {baker: [("Jas", 2, 1000, 2100)]})
    part = order.parts.get()
    refund = Refund.objects.create(order=order, part=part, idempotency_key="r-page", amount_cents=1000)
    RefundLine.objects.create(refund=refund, line=part.lines.get(), quantity=1, amount_cents=1000)
    page = client.get(url("statement", baker.pk)).content.decode()
    assert "Sales per VAT rate, less refunds" in page
    assert "sales incl. VAT €20.00 less €10.00 refunded" in page
    text = b"".join(client.get(url("statement_csv", baker.pk)).streaming_content).decode()
    assert "\r\nTotal;10,00;8,26;1,74\r\n" in text

"""An order line keeps its title in Dutch and in English as they were at the time of the order, so the order page
and the e-mails show it in their own language, whichever language the checkout was in; older lines (one title, in
the checkout's language) are shown as stored."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from shop.models import Fulfilment, OrderLine
from shop.selectors import order_token
from shop.services import notices
from shop.services.checkout import FulfilmentChoice

from .factories import ProductFactory, VariantFactory, contact, paid_order, place, variant_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirt(baker):
    product = ProductFactory(merchant=baker, title_nl="T-shirt biokatoen", title_en="Organic cotton T-shirt")
    return VariantFactory(product=product, label="M")


@pytest.fixture
def loaf(baker):
    return variant_of(baker, title_nl="Desembrood volkoren", title_en="Wholewheat sourdough loaf")


def line_of(order, variant) -> OrderLine:
    return OrderLine.objects.get(part__order=order, variant=variant)


def test_a_line_keeps_both_titles_whatever_the_checkout_language(area, baker, shirt, now):
    waffles = variant_of(baker, title_nl="Stroopwafels", title_en="")

    order = place(area, [(shirt, 1), (waffles, 1)], now=now, contact=contact(language="en"))

    line, no_english = line_of(order, shirt), line_of(order, waffles)
    assert (line.title, line.title_en) == ("T-shirt biokatoen – M", "Organic cotton T-shirt – M")
    assert (no_english.title, no_english.title_en) == ("Stroopwafels", "")
    with translation.override("nl"):
        assert line.shown_title == "T-shirt biokatoen – M"
    with translation.override("en"):
        assert (line.shown_title, no_english.shown_title) == ("Organic cotton T-shirt – M", "Stroopwafels")


def order_page(client, order, language: str) -> str:
    with translation.override(language):
        url = reverse("shop:order", args=[order.public_id])
    return client.get(url, {"t": order_token(order)}).content.decode()


def test_the_order_page_shows_the_line_in_the_pages_language(client, area, baker, loaf, now):
    # given: an order placed on the English pages
    order = paid_order(area, [(loaf, 1)], now=now, contact=contact(language="en"))

    dutch, english = order_page(client, order, "nl"), order_page(client, order, "en")

    assert "Desembrood volkoren" in dutch and "Wholewheat sourdough loaf" not in dutch
    assert "Wholewheat sourdough loaf" in english and "Desembrood volkoren" not in english


def test_a_line_of_before_shows_its_one_stored_title(client, area, baker, loaf, now):
    order = paid_order(area, [(loaf, 1)], now=now, contact=contact(language="en"))
    OrderLine.objects.filter(part__order=order).update(title="Wholewheat sourdough loaf", title_en="")

    assert "Wholewheat sourdough loaf" in order_page(client, order, "nl")
    assert "Wholewheat sourdough loaf" in order_page(client, order, "en")


def test_the_e_mails_show_the_line_in_the_recipients_language(area, baker, loaf, now):
    # given: an English customer; the merchant reads the area's language (Dutch)
    type(baker).objects.filter(pk=baker.pk).update(email="bakker@example.org")
    collect = FulfilmentChoice(kind=Fulfilment.CLICK_AND_COLLECT)
    order = paid_order(area, [(loaf, 2)], now=now, fulfilment=collect, contact=contact(language="en"))

    # when: the confirmation, the merchant's "new order" and the "ready" e-mail leave
    notices.send_paid_notices(order_id=order.pk)
    notices.part_ready(order.parts.get())

    sent = {message.to[0]: message for message in mail.outbox[:2]}
    confirmation, new_order, ready = sent["sanne@example.org"], sent["bakker@example.org"], mail.outbox[2]
    for message in (confirmation, ready):
        assert "2 × Wholewheat sourdough loaf" in message.body
        assert "Wholewheat sourdough loaf" in message.alternatives[0][0]
        assert "Desembrood" not in message.body
    assert "2 × Desembrood volkoren" in new_order.body and "Wholewheat" not in new_order.body

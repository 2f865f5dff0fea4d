"""The shop's e-mails link to the order's own area site (a Mechelen order's link opens on Mechelen's host, where the
order is, not on the platform's first site, which answers 404), the merchant's "new order" e-mail links to the order
in their queue, and every e-mail's HTML part names its language and carries the subject as its title."""

import re
from datetime import time

import pytest
from django.core import mail
from django.test import Client

from areas.models import OpeningHours
from cms.services import create_area_site
from parcels.tests.factories import ParcelPointFactory
from shop.models import Fulfilment
from shop.services import notices
from shop.services.checkout import FulfilmentChoice

from .factories import SellingMerchantFactory, contact, paid_order, shop_rules, variant_of

pytestmark = pytest.mark.django_db

MECHELEN = "http://mechelen.localhost:8000"


@pytest.fixture
def mechelen(area, flemish_area):
    """Two areas with their sites, as in the demo: Amersfoort's is the default (the platform's own host)."""
    create_area_site(area=area, hostname="localhost", port=8000, is_default=True)
    create_area_site(area=flemish_area, hostname="mechelen.localhost", port=8000)
    shop_rules(flemish_area, parcel_point=ParcelPointFactory(area=flemish_area, name="Pakketpunt Bruul"))
    return flemish_area


@pytest.fixture
def jeweller(mechelen):
    return SellingMerchantFactory(
        area=mechelen,
        trade_name="Juwelier Van Aken",
        street="Haverwerf 29",
        postcode="2800",
        city="Mechelen",
        email="juwelier@example.be",
    )


def _link(text: str) -> str:
    return re.search(r"(http://\S+/winkelen/bestelling/\S+)", text).group(1)


def _html(message) -> str:
    return message.alternatives[0][0]


def test_a_mechelen_orders_confirmation_links_to_the_mechelen_site_where_the_order_opens(mechelen, jeweller, now):
    # given: a paid Mechelen order
    order = paid_order(mechelen, [(variant_of(jeweller), 1)], now=now)

    # when: the confirmation and the merchant's e-mail leave
    notices.send_paid_notices(order_id=order.pk)

    # then: the customer's link is on Mechelen's host, and it opens the order there (not on the default host)
    confirmation = next(m for m in mail.outbox if m.to == [order.email])
    link = _link(confirmation.body)
    assert link.startswith(f"{MECHELEN}/nl/winkelen/bestelling/{order.public_id}/?t=")
    assert f'href="{link}"' in _html(confirmation)
    path = link.removeprefix(MECHELEN)
    assert Client(HTTP_HOST="mechelen.localhost:8000").get(path).status_code == 200
    assert Client(HTTP_HOST="localhost:8000").get(path).status_code == 404  # the old global base URL's host


def test_the_ready_and_handed_over_e_mails_link_to_the_mechelen_site_too(mechelen, jeweller, now):
    collect = FulfilmentChoice(kind=Fulfilment.CLICK_AND_COLLECT)
    order = paid_order(mechelen, [(variant_of(jeweller), 1)], now=now, fulfilment=collect)
    part = order.parts.get()

    assert notices.part_ready(part)
    assert notices.part_handed_over(part)

    for message in mail.outbox:
        assert _link(message.body).startswith(f"{MECHELEN}/nl/winkelen/bestelling/{order.public_id}/?t=")


@pytest.mark.usefixtures("english")
def test_the_merchants_new_order_e_mail_links_to_the_order_in_their_queue(mechelen, jeweller, now):
    order = paid_order(mechelen, [(variant_of(jeweller), 1)], now=now)
    part = order.parts.get()

    notices.send_paid_notices(order_id=order.pk)

    message = next(m for m in mail.outbox if m.to == ["juwelier@example.be"])
    queue_link = f"{MECHELEN}/nl/winkel-beheer/{jeweller.pk}/bestellingen/{part.pk}/"
    assert queue_link in message.body
    assert f'href="{queue_link}"' in _html(message)
    # the merchant reads it in Dutch
    assert "Accepteer de bestelling, dan ziet de klant op de bestelpagina dat je ermee bezig bent:" in message.body
    assert "order queue" not in message.body


@pytest.mark.parametrize(("language", "subject"), [("en", "Your order"), ("nl", "Je bestelling")])
def test_the_html_part_names_its_language_and_has_the_subject_as_its_title(mechelen, jeweller, now, language, subject):
    order = paid_order(
        mechelen, [(variant_of(jeweller), 1)], now=now, contact=contact(name="Anon Mechelen", language=language)
    )

    notices.send_paid_notices(order_id=order.pk)

    confirmation = next(m for m in mail.outbox if m.to == [order.email])
    html = _html(confirmation)
    assert f'<html lang="{language}">' in html
    assert confirmation.subject.startswith(subject)
    assert f"<title>{confirmation.subject}</title>" in html


def test_the_greeting_is_a_line_of_its_own_so_the_next_sentence_starts_with_a_capital(mechelen, jeweller, now):
    order = paid_order(mechelen, [(variant_of(jeweller), 1)], now=now, contact=contact(name="Anon", language="en"))

    notices.send_paid_notices(order_id=order.pk)

    html = _html(next(m for m in mail.outbox if m.to == [order.email]))
    assert "<p>Hello Anon,</p>\n<p>We have received your payment.</p>" in html
    assert "Hello Anon, We" not in html


def test_the_confirmation_and_the_order_page_say_where_and_when_to_pick_up(mechelen, jeweller, now):
    # given: the jeweller's hours (Tuesday to Saturday, a lunch break) and a parcel point with its notes
    for weekday in range(1, 6):
        OpeningHours.objects.create(merchant=jeweller, weekday=weekday, opens_at=time(10), closes_at=time(12, 30))
        OpeningHours.objects.create(merchant=jeweller, weekday=weekday, opens_at=time(13, 30), closes_at=time(17, 30))
    point = shop_rules(mechelen).parcel_point
    point.street, point.postcode, point.city = "Bruul 42", "2800", "Mechelen"
    point.opening_notes = "Maandag tot vrijdag 9.00–18.00"
    point.save()
    florist = SellingMerchantFactory(area=mechelen, trade_name="Bloemen Lies")
    collect = FulfilmentChoice(kind=Fulfilment.CLICK_AND_COLLECT)
    order = paid_order(
        mechelen,
        [(variant_of(jeweller), 1), (variant_of(florist), 1)],
        now=now,
        fulfilment={jeweller.pk: collect},  # the florist's part: the parcel point
        contact=contact(language="en"),
    )

    # when: the confirmation leaves, and the jeweller's part is ready
    notices.send_paid_notices(order_id=order.pk)
    notices.part_ready(order.parts.get(merchant=jeweller))

    # then: the shop's address and week, and the point's name, address and hours, in both e-mails' parts
    confirmation, ready = (next(m for m in mail.outbox if m.subject.startswith(s)) for s in ("Your order", "Ready"))
    shop_hours = "Tuesday–Saturday: 10:00–12:30, 13:30–17:30"
    for text in (confirmation.body, _html(confirmation)):
        assert "Haverwerf 29, 2800 Mechelen" in text
        assert shop_hours in text
        assert "Sunday–Monday" not in text and "Monday: closed" in text
        assert "Pakketpunt Bruul" in text and "Bruul 42, 2800 Mechelen" in text
        assert "Maandag tot vrijdag 9.00–18.00" in text
    for text in (ready.body, _html(ready)):
        assert "Haverwerf 29, 2800 Mechelen" in text and shop_hours in text
        assert "Pakketpunt Bruul" not in text

    # and the order page says the same
    page = Client(HTTP_HOST="mechelen.localhost:8000").get(_link(confirmation.body).removeprefix(MECHELEN))
    content = page.content.decode()
    assert "Where and when to collect it" in content and "Where and when to pick it up" in content
    assert "Haverwerf 29, 2800 Mechelen" in content and "Bruul 42, 2800 Mechelen" in content
    assert "Tuesday–Saturday</th><td>10:00–12:30, 13:30–17:30" in content
    assert "Maandag tot vrijdag 9.00–18.00" in content

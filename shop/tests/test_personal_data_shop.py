"""The webshop's personal data: a person's orders are in their export, and erasure blanks their name, e-mail,
phone and delivery address while the order's money stays."""

import pytest
from allauth.account.models import EmailAddress

from areas.tests.factories import UserFactory
from privacy import services
from shop.models import Fulfilment, Order

from .merchant_fixtures import paid_order

pytestmark = pytest.mark.django_db

EMAIL = "quirijntje.zwanenburg@example.org"


def test_an_order_placed_with_a_confirmed_address_is_exported_and_erased(area, merchant):
    person = UserFactory(email=EMAIL, first_name="Quirijntje", last_name="Zwanenburg")
    EmailAddress.objects.create(user=person, email=EMAIL, verified=True, primary=True)
    order = paid_order(area, {merchant: [("Kaas", 1, 895, 900)]}, fulfilment=Fulfilment.BIKE_COURIER, email=EMAIL)
    Order.objects.filter(pk=order.pk).update(name="Quirijntje Zwanenburg", phone="0612345678")
    order.parts.update(delivery_street="Zwanenburgstraat 1", delivery_postcode="3811 AB", delivery_city="Amersfoort")
    someone_else = paid_order(area, {merchant: [("Brood", 1, 425, 900)]}, email="ander@example.org")

    exported = services.export_personal_data(subject=person, requested_by=person)
    assert "Quirijntje Zwanenburg" in str(exported) and "Zwanenburgstraat 1" in str(exported)

    services.erase_person(subject=person, requested_by=person)
    order.refresh_from_db()
    assert (order.name, order.email, order.phone, order.user_id) == ("", "", "", None)
    assert order.parts.get().delivery_street == ""
    assert order.total_cents == 895 and order.parts.get().lines.count() == 1  # the bookkeeping stays
    someone_else.refresh_from_db()
    assert someone_else.email == "ander@example.org"

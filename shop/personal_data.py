"""Registers the webshop's personal data with the privacy registry.

An order holds the customer's contact details (name, e-mail, phone) and its account; a courier part holds the
delivery address. They are the person's own when the order is linked to the account or was placed with one of
its confirmed e-mail addresses. On erasure (and by `orders.erase_contact_data` after the retention period) they
are blanked; the order, its lines and its money stay, unlinked, as the bookkeeping of the sale.
"""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from privacy.registry import register

from .models import MerchantOrder, Order


def _emails(person) -> list[str]:
    from parcels.selectors import verified_emails  # the one definition of "this person's confirmed addresses"

    return list(verified_emails(person))


def _orders_of(person) -> Q:
    emails = _emails(person)
    return Q(user=person.pk) | (Q(email__in=emails) if emails else Q(pk__in=[]))


def _parts_of(person) -> Q:
    emails = _emails(person)
    return Q(order__user=person.pk) | (Q(order__email__in=emails) if emails else Q(pk__in=[]))


register(
    Order,
    label=_("Your webshop orders"),
    subject_path=_orders_of,
    fields=["public_id", "status", "name", "email", "phone", "goods_cents", "total_cents", "created_at", "paid_at"],
    on_erase="anonymise",
    anonymise={"name": "", "email": "", "phone": "", "user": None},
    order=50,
)

register(
    MerchantOrder,
    label=_("Delivery addresses of your webshop orders"),
    subject_path=_parts_of,
    fields=["merchant", "fulfilment", "delivery_street", "delivery_postcode", "delivery_city", "slot_starts_at"],
    on_erase="anonymise",
    anonymise={"delivery_street": "", "delivery_postcode": "", "delivery_city": ""},
    order=49,  # before the orders: once an order is blanked and unlinked, its parts can no longer be found
)

"""Registers the webshop's personal data with the privacy registry.

An order holds the customer's name, e-mail and phone (and their account, when signed in); a merchant's part of it
holds the delivery address for the bike courier. They are the person's own when linked to the account or placed
with one of its confirmed e-mail addresses (an unconfirmed address could be someone else's). On erasure the
name, e-mail, phone, address and account link are blanked; the order itself stays, with its lines and amounts, as
the collective's and the merchants' bookkeeping (payments, refunds, transfers and VAT must be kept). Carts hold no
text about the person and go with the account's cascade.
"""

from allauth.account.models import EmailAddress
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from privacy.registry import register

from .models import MerchantOrder, Order


def _emails(person) -> list[str]:
    return list(EmailAddress.objects.filter(user=person, verified=True).values_list("email", flat=True))


def _orders_of(person, prefix: str = "") -> Q:
    emails = _emails(person)
    mine = Q(**{f"{prefix}user": person.pk})
    for email in emails:
        mine |= Q(**{f"{prefix}email__iexact": email})
    return mine


register(
    Order,
    label=_("Your webshop orders"),
    subject_path=_orders_of,
    fields=["public_id", "status", "name", "email", "phone", "language", "total_cents", "created_at", "paid_at"],
    on_erase="anonymise",
    anonymise={"name": "", "email": "", "phone": "", "user": None},
    order=40,
)
register(
    MerchantOrder,
    label=_("Delivery addresses of your webshop orders"),
    subject_path=lambda person: _orders_of(person, "order__"),
    fields=["order", "merchant", "fulfilment", "delivery_street", "delivery_postcode", "delivery_city"],
    on_erase="anonymise",
    anonymise={"delivery_street": "", "delivery_postcode": "", "delivery_city": ""},
    order=30,  # before the orders: once an order is anonymised its parts can no longer be found by its e-mail
)

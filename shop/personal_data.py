"""Registers the webshop's personal data with the privacy registry.

An order holds the customer's contact details (name, e-mail, phone) and its account; a courier part holds the
delivery address. They are the person's own when the order is linked to the account or was placed with one of
its confirmed e-mail addresses. On erasure (and by `orders.erase_contact_data` after the retention period) they
are blanked; the order, its lines and its money stay, unlinked, as the bookkeeping of the sale.
"""

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agora.money import format_euros
from privacy.registry import BLOCKS, OpenItem, register, register_open_items

from .models import Fulfilment, MerchantOrder, MerchantOrderStatus, Order, OrderStatus
from .selectors import order_token

#: Orders whose parts are being fulfilled.
_PAID = (OrderStatus.PAID, OrderStatus.PARTIALLY_FULFILLED, OrderStatus.COMPLETED)


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


# --- What erasure would cut off (the erasure page lists it before the person confirms) ---------------------------
# An order not yet paid, or a part not yet in the customer's hands, still needs the contact details erasure blanks:
# to take the payment, to hand it over at the shop, to deliver it, to tell them it is at the parcel point. The
# erasure waits for these (BLOCKS). A part handed to the parcel point counts until the point has taken it in: from
# then on it is a parcel waiting there, which the parcel point's own hook lists.

#: How long a part handed to the parcel point is looked for there: past this, one never scanned in is the desk's case.
_ON_ITS_WAY_DAYS = 14


def _order_url(order) -> str:
    return f"{reverse('shop:order', args=[order.public_id])}?t={order_token(order)}"


def _part_text(part) -> str:
    values = {"number": part.order.public_id, "merchant": part.merchant.trade_name}
    if part.status == MerchantOrderStatus.HANDED_OVER:
        return _("Webshop order %(number)s from %(merchant)s is on its way to the parcel point") % values
    if part.status != MerchantOrderStatus.READY:
        return _("Webshop order %(number)s from %(merchant)s is being prepared") % values
    if part.fulfilment == Fulfilment.CLICK_AND_COLLECT:
        return _("Webshop order %(number)s from %(merchant)s is ready to collect at the shop") % values
    if part.fulfilment == Fulfilment.BIKE_COURIER:
        return _("Webshop order %(number)s from %(merchant)s is ready for delivery") % values
    return _("Webshop order %(number)s from %(merchant)s is ready to go to the parcel point") % values


def _open_items(person) -> list[OpenItem]:
    from parcels.selectors import member_parcels  # shop may read parcels; not the other way round

    now = timezone.now()
    items = []
    for order in Order.objects.filter(_orders_of(person), status=OrderStatus.PENDING).order_by("created_at", "pk"):
        items.append(
            OpenItem(
                ref=f"shop.order:{order.pk}:pending",
                effect=BLOCKS,
                text=_("Webshop order %(number)s of %(amount)s is not paid yet")
                % {"number": order.public_id, "amount": format_euros(order.total_cents)},
                advice=_("Finish paying it, or let it go: an unpaid order is cancelled by itself within the hour."),
                url=_order_url(order),
            )
        )
    open_parts = Q(status__in=[MerchantOrderStatus.NEW, MerchantOrderStatus.ACCEPTED, MerchantOrderStatus.READY]) | Q(
        status=MerchantOrderStatus.HANDED_OVER,
        fulfilment=Fulfilment.PARCEL_POINT,
        handed_over_at__gte=now - timedelta(days=_ON_ITS_WAY_DAYS),
    )
    parts = list(
        MerchantOrder.objects.filter(_parts_of(person), open_parts, order__status__in=_PAID)
        .select_related("order", "merchant")
        .order_by("order__created_at", "order__pk", "merchant__trade_name")
    )
    on_its_way = [part.parcel_code for part in parts if part.status == MerchantOrderStatus.HANDED_OVER]
    at_the_point = set(
        member_parcels(person).filter(tracking_code__in=on_its_way).values_list("tracking_code", flat=True)
        if on_its_way
        else ()
    )
    for part in parts:
        if part.status == MerchantOrderStatus.HANDED_OVER and part.parcel_code in at_the_point:
            continue
        items.append(
            OpenItem(
                ref=f"shop.part:{part.pk}:{part.status}",
                effect=BLOCKS,
                text=_part_text(part),
                advice=_(
                    "Wait until you have it, or ask the shop to cancel it: until then we need your name and e-mail "
                    "address to hand it over."
                ),
                url=_order_url(part.order),
            )
        )
    return items


register_open_items("shop", _open_items)

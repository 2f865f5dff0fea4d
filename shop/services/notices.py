"""The webshop's e-mails: to the customer (confirmation, ready for pickup/collection, handed over, refunded, not
paid in time), to each merchant ("new order") and to the area's managers (a payment disputed, a dispute decided).

- Each e-mail is a `Notice` row with a unique `key` (kind + what it is about), claimed *before* it leaves: a job
  run twice, or the webhook and the success page both confirming a payment, send it once. When sending fails,
  the claim is given back so a retry sends it.
- HTML with a plain-text alternative (`shop/email/<template>.html|.txt`), in the customer's language (the order's
  `language`; a merchant's e-mail in the area's first language), with the area's time zone.
- Links open the order's own area site (`areas.selectors.site_url`): a Mechelen order's link goes to Mechelen's
  host, where the order exists. The customer's e-mails say where and when to pick up (`selectors_pickup`).
- Called after the commit of what they tell about: `send_paid_notices` by `tasks.send_paid_notices_task`;
  `part_ready`, `part_handed_over` by shop-sell's fulfilment, `refunded` by shop-pay's refunds.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from areas.selectors import site_url

from ..models import Fulfilment, MerchantOrder, Notice, NoticeKind, Order
from ..selectors_pickup import pickup_place
from ..vat import vat_summary

logger = logging.getLogger(__name__)


def _claim(key: str, *, kind: str, order: Order, part: MerchantOrder | None) -> bool:
    try:
        with transaction.atomic():
            Notice.objects.create(key=key[:80], kind=kind, order=order, part=part)
    except IntegrityError:
        return False
    return True


def _send(*, key, kind, order, part=None, to: str, language: str, subject, template: str, context: dict) -> bool:
    """Claim, render in `language`, send; give the claim back when sending fails. True if it was sent now."""
    if not to or not _claim(key, kind=kind, order=order, part=part):
        return False
    try:
        with translation.override(language), timezone.override(order.area.tz):
            subject = str(subject() if callable(subject) else subject)
            context = {
                "order": order,
                "part": part,
                "area": order.area,
                "site_url": site_url(order.area),
                "subject": subject,  # the HTML part's <title>
                **context,
            }
            text = render_to_string(f"shop/email/{template}.txt", context)
            html = render_to_string(f"shop/email/{template}.html", context)
            message = EmailMultiAlternatives(
                subject=subject,
                body=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=to if isinstance(to, list) else [to],
            )
            message.attach_alternative(html, "text/html")
            message.send()
    except Exception:
        Notice.objects.filter(key=key[:80]).delete()
        logger.exception("Shop e-mail %s could not be sent", key)
        raise
    return True


def _order(order_id: int) -> Order:
    return Order.objects.select_related("area__site").get(pk=order_id)


def _parts(order: Order) -> list[MerchantOrder]:
    return list(order.parts.select_related("merchant").prefetch_related("lines").order_by("merchant__trade_name"))


def order_link(order: Order) -> str:
    """The customer's link to the order page on the order's area site, signed (works without logging in)."""
    from ..selectors import order_token

    with translation.override(order.language):
        path = reverse("shop:order", kwargs={"public_id": order.public_id})
    return site_url(order.area, f"{path}?t={order_token(order)}")


def merchant_order_link(part: MerchantOrder, *, language: str) -> str:
    """The merchant's link to the part in their order queue, on the area's site (they log in there)."""
    with translation.override(language):
        path = reverse("shop_merchant:part", kwargs={"merchant_pk": part.merchant_id, "part_pk": part.pk})
    return site_url(part.order.area, path)


def send_paid_notices(*, order_id: int) -> int:
    """The customer's order confirmation and each merchant's "new order" e-mail; returns how many were sent now."""
    order = _order(order_id)
    parts = _parts(order)
    for part in parts:
        part.order = order
        part.pickup = pickup_place(part)
    sent = 0
    sent += _send(
        key=f"confirmation:{order.pk}",
        kind=NoticeKind.CONFIRMATION,
        order=order,
        to=order.email,
        language=order.language,
        subject=lambda: _("Your order %(number)s at %(area)s") % {"number": order.public_id, "area": order.area.name},
        template="confirmation",
        context={
            # the VAT of everything the part charges: its goods and its delivery (`shop.vat`)
            "parts": [(part, vat_summary(part.lines.all(), delivery_cents=part.delivery_cents)) for part in parts],
            "link": order_link(order),
        },
    )
    for part in parts:
        merchant = part.merchant
        to = getattr(merchant, "email", "") or ""
        language = (order.area.languages or ["nl"])[0]
        sent += _send(
            key=f"new_order:{part.pk}",
            kind=NoticeKind.NEW_ORDER,
            order=order,
            part=part,
            to=to,
            language=language,
            subject=lambda: _("New webshop order %(number)s") % {"number": order.public_id},
            template="new_order",
            context={
                "vat": vat_summary(part.lines.all(), delivery_cents=part.delivery_cents),
                "link": merchant_order_link(part, language=language),
            },
        )
    return sent


def part_contents(part: MerchantOrder) -> dict:
    """What is in the part as it leaves the shop, and what is not: `items` (quantity, title) still in it,
    `missing` (quantity, title, amount in cents) unavailable or refunded before it left, and `refunded_cents`, the
    part's refunds so far. The titles are in the customer's language (the order's). Two queries."""
    from django.db.models import Sum

    from ..models import Refund, RefundLine

    refunded_qty = dict(
        RefundLine.objects.filter(line__part=part).values("line").annotate(n=Sum("quantity")).values_list("line", "n")
    )
    items, missing = [], []
    language = part.order.language
    for line in part.lines.all():
        gone = min(max(line.unavailable_quantity, refunded_qty.get(line.pk, 0)), line.quantity)
        if line.quantity > gone:
            items.append({"quantity": line.quantity - gone, "title": line.title_in(language)})
        if gone:
            missing.append(
                {"quantity": gone, "title": line.title_in(language), "amount_cents": gone * line.unit_price_cents}
            )
    refunded = Refund.objects.filter(part=part).aggregate(total=Sum("amount_cents"))["total"] or 0
    return {"items": items, "missing": missing, "refunded_cents": refunded}


def part_ready(part: MerchantOrder) -> bool:
    """The customer's "ready to collect at the shop" e-mail (click-and-collect), or "on its way" for the courier,
    with what is in it and what was unavailable and refunded. A parcel-point part is told by the parcel point
    itself when its staff take it in (parcels' ready notice)."""
    if part.fulfilment == Fulfilment.PARCEL_POINT:
        return False
    order = _order(part.order_id)
    part.order = order
    return _send(
        key=f"ready:{part.pk}",
        kind=NoticeKind.READY,
        order=order,
        part=part,
        to=order.email,
        language=order.language,
        subject=lambda: (
            _("Ready for you: %(merchant)s, order %(number)s")
            % {"merchant": part.merchant.trade_name, "number": order.public_id}
        ),
        template="ready",
        context={"link": order_link(order), "place": pickup_place(part), **part_contents(part)},
    )


def part_handed_over(part: MerchantOrder) -> bool:
    """The customer's "handed over" e-mail: collected at the shop, delivered by the courier, or (parcel point) on
    its way to the point — where the point's own notice with the pickup code follows when its staff take it in."""
    order = _order(part.order_id)
    return _send(
        key=f"handed_over:{part.pk}",
        kind=NoticeKind.HANDED_OVER,
        order=order,
        part=part,
        to=order.email,
        language=order.language,
        subject=lambda: (
            _("%(merchant)s handed over your order %(number)s")
            % {"merchant": part.merchant.trade_name, "number": order.public_id}
        ),
        template="handed_over",
        context={"link": order_link(order)},
    )


def refunded(refund) -> bool:
    """The customer's "money back" e-mail for a refund (card part and gift-card part)."""
    order = _order(refund.order_id)
    return _send(
        key=f"refunded:{refund.pk}",
        kind=NoticeKind.REFUNDED,
        order=order,
        part=refund.part,
        to=order.email,
        language=order.language,
        subject=lambda: _("Money back for order %(number)s") % {"number": order.public_id},
        template="refunded",
        context={"refund": refund, "lines": list(refund.lines.select_related("line")), "link": order_link(order)},
    )


def _area_managers(area) -> list[str]:
    from accounts.roles import Role
    from areas.models import StaffMembership

    return sorted(
        set(
            StaffMembership.objects.filter(area=area, role=Role.AREA_MANAGER, ended_at__isnull=True)
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def _dispute_notice(dispute, *, kind: str, key: str, subject, template: str) -> bool:
    order = _order(dispute.order_id)
    return _send(
        key=key,
        kind=kind,
        order=order,
        to=_area_managers(order.area),
        language=(order.area.languages or ["nl"])[0],
        subject=subject,
        template=template,
        context={"dispute": dispute, "parts": _parts(order)},
    )


def dispute_opened(dispute) -> bool:
    """The area's managers: the customer's bank disputes an order's payment; payouts not made yet are held."""
    return _dispute_notice(
        dispute,
        kind=NoticeKind.DISPUTE,
        key=f"dispute:{dispute.provider_dispute_id}",
        subject=lambda: _("Payment of webshop order %(number)s disputed") % {"number": dispute.order.public_id},
        template="dispute",
    )


def dispute_closed(dispute) -> bool:
    """The area's managers: the bank decided (won: payouts released; lost: the money stays with the customer)."""
    return _dispute_notice(
        dispute,
        kind=NoticeKind.DISPUTE_CLOSED,
        key=f"dispute-closed:{dispute.provider_dispute_id}",
        subject=lambda: _("Dispute on webshop order %(number)s decided") % {"number": dispute.order.public_id},
        template="dispute_closed",
    )

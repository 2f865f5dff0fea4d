"""Helpers for gift-card tests: cards are sold through the real service, by the area's manager."""

from __future__ import annotations

import uuid
from datetime import datetime

from loyalty import services
from loyalty.models import GiftCard

from .factories import manager_for

PIN = "4711"


def sell(
    area, amount_cents: int = 2500, *, at: datetime, by=None, member_pass=None, pin: str | None = None, **extra
) -> GiftCard:
    """A gift card of `amount_cents` sold at the desk at `at` (standalone with PIN 4711 unless on a pass)."""
    if pin is None:
        pin = "" if member_pass is not None else PIN
    return services.sell_gift_card(
        area=area,
        amount_cents=amount_cents,
        by=by or manager_for(area),
        request_key=extra.pop("request_key", None) or uuid.uuid4(),
        member_pass=member_pass,
        pin=pin,
        now=at,
        **extra,
    )


def pay(merchant, card: GiftCard, amount_cents: int, *, at: datetime, by, pin: str = PIN, request_key=None):
    """Pay `amount_cents` with the card at the merchant's till, by its number and PIN."""
    return services.spend_gift_card(
        merchant=merchant,
        number=card.number,
        pin=pin,
        amount_cents=amount_cents,
        request_key=request_key or uuid.uuid4(),
        by=by,
        now=at,
    )


def balance(card: GiftCard) -> int:
    return GiftCard.objects.values_list("balance_cents", flat=True).get(pk=card.pk)

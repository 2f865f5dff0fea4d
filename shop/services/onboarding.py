"""A merchant's payout account (Stripe Connect): created once, set up on Stripe's pages, kept in step.

- `start_onboarding(merchant, by, return_url, refresh_url)`: creates the connected account the first time
  (key `acct:<merchant id>`, so a double click makes one) and returns a fresh account link (single use).
- `refresh_account(merchant)` / `refresh_account_by_id(account_id)`: Stripe's `charges_enabled` and
  `payouts_enabled` onto `MerchantShop` — called on return from Stripe and by the `account.updated` webhook.
  When payouts become possible, parts handed over meanwhile are paid out.
- `connect_available()` / `payout_route(merchant)`: whether payouts go through Stripe Connect here at all (not
  with STRIPE_CONNECT off, as in the demo: then the collective pays its merchants itself), so the pages say so.
"""

from __future__ import annotations

import logging

from django.db import transaction

from ..models import MerchantOrder, MerchantOrderStatus, MerchantShop
from ..payments import AccountStatus, get_gateway, keys
from ..payments.exceptions import OnboardingUnavailable

logger = logging.getLogger(__name__)


def connect_available() -> bool:
    """Do payouts go through Stripe Connect in this deployment (else the collective arranges them)?"""
    return get_gateway().supports_connect


def payout_route(merchant) -> str:
    """How a handed-over part's money reaches `merchant`: "stripe" (paid out by itself), "not_set_up" (Stripe
    Connect, but the merchant's payouts are not enabled yet: paid out once they are) or "collective"."""
    if not connect_available():
        return "collective"
    enabled = MerchantShop.objects.filter(merchant=merchant, payouts_enabled=True).exclude(stripe_account_id="")
    return "stripe" if enabled.exists() else "not_set_up"


def start_onboarding(*, merchant, by, return_url: str, refresh_url: str) -> str:
    """The URL of Stripe's onboarding for the merchant. Raises `OnboardingUnavailable` (no Connect here)."""
    gateway = get_gateway()
    if not gateway.supports_connect:
        raise OnboardingUnavailable()
    shop, _created = MerchantShop.objects.get_or_create(merchant=merchant)
    account_id = shop.stripe_account_id
    if not account_id:
        # The Stripe call is made without a lock; the key makes a concurrent second call get the same account.
        account_id = gateway.create_account(
            merchant_ref=str(merchant.pk),
            email=merchant.email,
            country=merchant.area.country,
            idempotency_key=keys.account_key(merchant.pk),
        )
        MerchantShop.objects.filter(pk=shop.pk, stripe_account_id="").update(stripe_account_id=account_id)
        logger.info(
            "merchant %s: Connect account %s created by user %s", merchant.pk, account_id, getattr(by, "pk", None)
        )
    return gateway.account_link(account_id=account_id, refresh_url=refresh_url, return_url=return_url)


def refresh_account(*, merchant) -> MerchantShop | None:
    shop = MerchantShop.objects.filter(merchant=merchant).first()
    if shop is None or not shop.stripe_account_id or not get_gateway().supports_connect:
        return shop
    return refresh_account_by_id(account_id=shop.stripe_account_id)


def refresh_account_by_id(*, account_id: str, status: AccountStatus | None = None) -> MerchantShop | None:
    """Apply Stripe's view of the account, re-fetched unless the caller just did (an event may be old)."""
    from ..tasks_payments import pay_out_part_task

    status = status or get_gateway().retrieve_account(account_id)
    with transaction.atomic():
        shop = MerchantShop.objects.select_for_update().filter(stripe_account_id=account_id).first()
        if shop is None:
            return None
        could_pay_out = shop.payouts_enabled
        shop.charges_enabled = status.charges_enabled
        shop.payouts_enabled = status.payouts_enabled
        shop.save(update_fields=["charges_enabled", "payouts_enabled", "updated_at"])
        if shop.payouts_enabled and not could_pay_out:
            waiting = MerchantOrder.objects.filter(
                merchant_id=shop.merchant_id, status=MerchantOrderStatus.HANDED_OVER, transfer__isnull=True
            ).values_list("pk", flat=True)
            for part_id in waiting:
                transaction.on_commit(lambda part_id=part_id: pay_out_part_task.delay(part_id=part_id))
    return shop

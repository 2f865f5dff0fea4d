"""Background jobs of the loyalty app (scheduled by Celery beat, see settings.CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def expire_points_task() -> int:
    """Nightly: expire every lot past its date whose member was told 30 days before (the others get a new date).
    Safe to run twice (or at once): a lot expires once."""
    return services.expire_points()


@shared_task(acks_late=True)
def check_ledger_task() -> int:
    """Nightly: compare every pass's balance and lots with its ledger, and every gift card's balance with its
    entries; returns (and logs) the number of mismatches.

    Read-only: a mismatch is a bug to look into, so it is repaired by a person (`check_ledger(fix=True)`,
    `check_gift_cards(fix=True)`).
    """
    mismatches = services.check_ledger()
    if mismatches:
        logger.error(
            "check_ledger found %d mismatches on %d passes", len(mismatches), len({m.pass_id for m in mismatches})
        )
    card_mismatches = services.check_gift_cards()
    if card_mismatches:
        logger.error("check_gift_cards found %d gift cards whose balance disagrees", len(card_mismatches))
    return len(mismatches) + len(card_mismatches)


@shared_task(acks_late=True)
def expire_gift_cards_task() -> int:
    """Nightly: expire the value left on gift cards past their date. Safe to run twice (or at once)."""
    return services.expire_gift_cards()


@shared_task(acks_late=True)
def send_expiry_notices_task() -> int:
    """Daily: tell members about points that expire within their area's notice period (each lot once, marked when
    its e-mail left; a failed one is tried again by the next run)."""
    return services.send_expiry_notices()

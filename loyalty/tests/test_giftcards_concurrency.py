"""Concurrent gift-card requests on PostgreSQL: the card's row lock and the entries' unique keys.

Each call runs on a pool of threads with a connection each (`run_together`, shared with the points tests), all
started together at a barrier. The pool is smaller than the number of calls: PostgreSQL's 100 connections are shared
with the other workers of the run (and other runs on the same server), and 20 threads racing for one row lock show
the same races as 50.
"""

import uuid

import pytest
from django.db import transaction

from areas.tests.factories import MerchantFactory
from loyalty import services
from loyalty.exceptions import InsufficientGiftCardBalance
from loyalty.models import GiftCard, GiftCardEntry, GiftCardEntryKind
from loyalty.services.ledger import lock_pass

from .factories import PassFactory, cashier_for, manager_for
from .giftcard_factories import PIN, balance, sell
from .test_concurrency import run_together

# One group: on one xdist worker, so two of these never hold 50+ connections each at the same time.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("postgres_concurrency"),
]

THREADS = 20


@pytest.fixture
def till(area):
    merchant = MerchantFactory(area=area)
    return merchant, cashier_for(merchant)


def spend_call(merchant, cashier, card, amount_cents, request_key, now):
    return lambda: services.spend_gift_card(
        merchant=merchant,
        number=card.number,
        pin=PIN,
        amount_cents=amount_cents,
        request_key=request_key,
        by=cashier,
        now=now,
    )


def test_fifty_identical_payments_make_exactly_one_entry(area, till, now):
    merchant, cashier = till
    card = sell(area, 5000, at=now)
    request_key = uuid.uuid4()

    results = run_together([spend_call(merchant, cashier, card, 1250, request_key, now)] * 50, threads=THREADS)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({r.entry_id for r in results}) == 1
    assert sorted(r.is_replay for r in results) == [False] + [True] * 49
    assert {r.balance_after_cents for r in results} == {3750}
    assert GiftCardEntry.objects.filter(kind=GiftCardEntryKind.SPEND).count() == 1
    assert balance(card) == 3750


def test_a_hundred_payments_of_ten_euros_on_a_ten_euro_card_leave_one_success(area, till, now):
    merchant, cashier = till
    card = sell(area, 1000, at=now)

    results = run_together(
        [spend_call(merchant, cashier, card, 1000, uuid.uuid4(), now) for _ in range(100)], threads=THREADS
    )

    successes = [r for r in results if isinstance(r, services.GiftCardResult)]
    refused = [r for r in results if isinstance(r, InsufficientGiftCardBalance)]
    assert (len(successes), len(refused)) == (1, 99), [r for r in results if isinstance(r, Exception)][:3]
    assert balance(card) == 0
    assert GiftCardEntry.objects.filter(kind=GiftCardEntryKind.SPEND).count() == 1
    assert services.check_gift_cards() == []


def test_twenty_identical_sales_make_one_card(area, now):
    manager, request_key = manager_for(area), uuid.uuid4()

    def sale():
        return services.sell_gift_card(
            area=area, amount_cents=2500, by=manager, request_key=request_key, pin="1234", now=now
        )

    results = run_together([sale] * 20, threads=THREADS)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({card.pk for card in results}) == 1
    assert GiftCard.objects.count() == 1 and GiftCardEntry.objects.count() == 1


def test_concurrent_checkouts_debit_two_cards_of_a_pass_without_overdrawing(area, till, now):
    merchant, cashier = till
    member_pass = PassFactory(area=area, now=now)
    first = sell(area, 3000, at=now, member_pass=member_pass)
    second = sell(area, 2000, at=now, member_pass=member_pass)

    def checkout():
        # What the till's checkout does: the pass lock, then the cards' locks, then the debit.
        with transaction.atomic():
            lock_pass(pk=member_pass.pk)
            cards = services.gift_cards_of_pass(member_pass, now=now, lock=True)
            return services.debit_gift_cards(
                cards, 1500, merchant=merchant, request_key=uuid.uuid4(), by=cashier, now=now
            )

    results = run_together([checkout] * 20, threads=10)

    successes = [r for r in results if isinstance(r, list)]
    assert len(successes) == 3, [r for r in results if not isinstance(r, (list, InsufficientGiftCardBalance))][:3]
    assert all(isinstance(r, InsufficientGiftCardBalance) for r in results if not isinstance(r, list))
    assert balance(first) + balance(second) == 500
    assert services.check_gift_cards() == []


def test_two_expiry_runs_at_once_expire_each_card_once(area, till, now):
    cards = [sell(area, 1000, at=now) for _ in range(20)]
    later = cards[0].expires_at

    results = run_together([lambda: services.expire_gift_cards(now=later, chunk_size=6)] * 4, threads=4)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 20
    assert GiftCardEntry.objects.filter(kind=GiftCardEntryKind.EXPIRE).count() == 20
    assert not GiftCard.objects.filter(balance_cents__gt=0).exists()

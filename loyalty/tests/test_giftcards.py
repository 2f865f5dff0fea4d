"""Gift cards ("cadeaukaart"): selling at the desk, paying at a till, undo, expiry, the nightly check."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from accounts.roles import Role
from areas.models import Merchant, MerchantStatus
from areas.tests.factories import MerchantFactory, ShoppingAreaFactory, StaffMembershipFactory
from loyalty import codes, selectors, services, tasks
from loyalty.exceptions import (
    AlreadyUndone,
    GiftCardBlocked,
    GiftCardBlockReasonMissing,
    GiftCardExpired,
    GiftCardNoPin,
    GiftCardNotFound,
    GiftCardPinLocked,
    GiftCardUndoWindowClosed,
    InsufficientGiftCardBalance,
    InvalidGiftCardAmount,
    InvalidGiftCardNumber,
    InvalidPin,
    NotAllowed,
    PassBlocked,
    PassNotFound,
    RequestKeyReused,
    TransactionNotFound,
)
from loyalty.models import (
    GiftCard,
    GiftCardChange,
    GiftCardChangeKind,
    GiftCardEntry,
    GiftCardEntryKind,
    GiftCardStatus,
    LoyaltySettings,
    PassStatus,
)
from privacy.exceptions import AppendOnlyViolation
from privacy.models import AuditEntry
from privacy.registry import registered

from .factories import PassFactory, manager_for, rules_for
from .giftcard_factories import PIN, balance, pay, sell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def kinds(card) -> list[tuple[str, int]]:
    return list(card.entries.order_by("pk").values_list("kind", "amount_cents"))


# --- Numbers ---------------------------------------------------------------------------------------------------


def test_a_gift_card_number_has_16_digits_starts_with_9_and_a_check_digit():
    numbers = {codes.new_gift_card_number() for _ in range(200)}
    assert len(numbers) == 200
    for number in numbers:
        assert len(number) == 16 and number[0] == "9" and codes.is_valid_gift_card_number(number)
        assert not codes.is_valid_card_number(number)  # a pass number has 12 digits: never confused
    number = numbers.pop()
    assert codes.parse_gift_card_number(f" {number[:4]} {number[4:8]}-{number[8:12]}.{number[12:]} ") == number
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    for raw in (wrong, number[:12], "", "abcd" * 4, "1" + number[1:]):
        with pytest.raises(InvalidGiftCardNumber):
            codes.parse_gift_card_number(raw)


# --- Selling ---------------------------------------------------------------------------------------------------


def test_a_sold_card_is_valid_at_least_two_years_with_one_load_entry(area, now):
    card = sell(area, 2500, at=now)
    assert card.balance_cents == 2500 and card.status == GiftCardStatus.ACTIVE
    assert kinds(card) == [(GiftCardEntryKind.LOAD, 2500)]
    valid_until = card.expires_at.astimezone(area.tz)
    assert valid_until.date() == now.date().replace(year=now.year + 2)
    assert card.expires_at - card.issued_at >= timedelta(days=2 * 365)
    assert card.pin_hash and PIN not in card.pin_hash
    rules_for(area, giftcard_validity_months=36)
    assert sell(area, at=now).expires_at.astimezone(area.tz).date() == now.date().replace(year=now.year + 3)


def test_the_database_refuses_a_validity_under_two_years(area):
    rules = LoyaltySettings.for_area(area)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoyaltySettings.objects.filter(pk=rules.pk).update(giftcard_validity_months=23)


def test_the_amount_must_be_between_five_euros_and_the_areas_limit(area, now):
    rules_for(area, giftcard_max_load_cents=15000)
    for amount in (499, 15001):
        with pytest.raises(InvalidGiftCardAmount):
            sell(area, amount, at=now)
    assert sell(area, 500, at=now).balance_cents == 500
    assert sell(area, 15000, at=now).balance_cents == 15000


def test_the_refused_value_says_the_range_in_the_pages_language(area, now):
    rules_for(area, giftcard_max_load_cents=15000)
    with pytest.raises(InvalidGiftCardAmount) as refused:
        sell(area, 499, at=now)
    assert refused.value.message == "A gift card's value must be between €5.00 and €150.00."
    with translation.override("nl"), pytest.raises(InvalidGiftCardAmount) as refused:
        sell(area, 15001, at=now)
    assert "€\u00a05,00" in refused.value.message and "€\u00a0150,00" in refused.value.message


def test_a_card_on_a_pass_refuses_a_pin_rather_than_dropping_it(area, member_pass, now):
    with pytest.raises(InvalidPin) as refused:
        sell(area, at=now, member_pass=member_pass, pin="2468")
    assert "needs no PIN" in refused.value.message
    assert not GiftCard.objects.exists()


def test_a_standalone_card_needs_a_pin_of_4_to_6_digits(area, now):
    for pin in ("", "123", "1234567", "12a4"):
        with pytest.raises(InvalidPin):
            sell(area, at=now, pin=pin)
    assert not GiftCard.objects.exists()


def test_selling_is_idempotent_for_the_same_key(area, now):
    manager, request_key = manager_for(area), uuid.uuid4()
    first = sell(area, 2000, at=now, by=manager, request_key=request_key)
    again = sell(area, 2000, at=now, by=manager, request_key=request_key)
    assert again.pk == first.pk and GiftCard.objects.count() == 1 and GiftCardEntry.objects.count() == 1
    with pytest.raises(RequestKeyReused):
        sell(area, 3000, at=now, by=manager, request_key=request_key)


def test_only_the_areas_manager_sells(area, merchant, now):
    other_manager = manager_for(ShoppingAreaFactory())
    owner = StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=merchant).user
    staff = StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=merchant).user
    for person in (other_manager, owner, staff):
        with pytest.raises(NotAllowed):
            sell(area, at=now, by=person)
    assert not GiftCard.objects.exists()


def test_a_card_on_a_pass_needs_an_active_pass_of_the_area_and_is_audited(area, member_pass, now):
    manager = manager_for(area)
    card = sell(area, 4000, at=now, by=manager, member_pass=member_pass)
    assert card.member_pass == member_pass and not card.pin_hash
    assert AuditEntry.objects.filter(actor=manager, subject=member_pass.member).exists()
    with pytest.raises(PassNotFound):
        sell(ShoppingAreaFactory(), at=now, member_pass=member_pass)
    member_pass.status = PassStatus.BLOCKED
    with pytest.raises(PassBlocked):
        sell(area, at=now, member_pass=member_pass)


# --- Paying at a till by number and PIN ------------------------------------------------------------------------


def test_partial_payments_down_to_zero(area, merchant, cashier, now):
    card = sell(area, 2500, at=now)
    first = pay(merchant, card, 1000, at=now, by=cashier)
    assert (first.amount_cents, first.balance_after_cents, first.is_replay) == (1000, 1500, False)
    assert first.card_number_display == " ".join(card.number[i : i + 4] for i in range(0, 16, 4))
    second = pay(merchant, card, 1500, at=now, by=cashier)
    assert second.balance_after_cents == 0 and balance(card) == 0
    with pytest.raises(InsufficientGiftCardBalance) as refused:
        pay(merchant, card, 1, at=now, by=cashier)
    assert (refused.value.needed, refused.value.available) == (1, 0)
    assert kinds(card) == [("load", 2500), ("spend", -1000), ("spend", -1500)]
    assert GiftCardEntry.objects.filter(kind="spend", merchant=merchant).count() == 2


def test_paying_more_than_the_balance_is_refused_and_says_what_is_left(area, merchant, cashier, now):
    card = sell(area, 2500, at=now)
    pay(merchant, card, 1750, at=now, by=cashier)
    with pytest.raises(InsufficientGiftCardBalance) as refused:
        pay(merchant, card, 1000, at=now, by=cashier)
    assert "€7.50" in refused.value.message
    assert balance(card) == 750


def test_a_payment_is_idempotent_for_the_same_key(area, merchant, cashier, now):
    card, request_key = sell(area, 2500, at=now), uuid.uuid4()
    first = pay(merchant, card, 1000, at=now, by=cashier, request_key=request_key)
    again = pay(merchant, card, 1000, at=now, by=cashier, request_key=request_key)
    assert again.entry_id == first.entry_id and again.is_replay and again.balance_after_cents == 1500
    assert balance(card) == 1500
    with pytest.raises(RequestKeyReused):
        pay(merchant, card, 500, at=now, by=cashier, request_key=request_key)


def test_a_wrong_pin_is_counted_and_five_lock_the_card(area, merchant, cashier, now):
    card = sell(area, 2500, at=now)
    with pytest.raises(InvalidPin):
        pay(merchant, card, 100, at=now, by=cashier, pin="0000")
    pay(merchant, card, 100, at=now, by=cashier)  # the right PIN starts the count again
    assert GiftCard.objects.get(pk=card.pk).failed_pin_attempts == 0
    for _attempt in range(5):
        with pytest.raises(InvalidPin):
            pay(merchant, card, 100, at=now, by=cashier, pin="9999")
    with pytest.raises(GiftCardPinLocked):
        pay(merchant, card, 100, at=now, by=cashier)  # even with the right PIN
    assert balance(card) == 2400


def test_a_card_on_a_pass_without_pin_cannot_be_paid_with_by_number(area, merchant, cashier, member_pass, now):
    card = sell(area, 2500, at=now, member_pass=member_pass)
    with pytest.raises(GiftCardNoPin):
        pay(merchant, card, 100, at=now, by=cashier, pin="")


def test_expired_and_blocked_cards_are_refused(area, merchant, cashier, now):
    card = sell(area, 2500, at=now)
    with pytest.raises(GiftCardExpired):
        pay(merchant, card, 100, at=card.expires_at, by=cashier)
    assert pay(merchant, card, 100, at=card.expires_at - timedelta(seconds=1), by=cashier).balance_after_cents == 2400
    GiftCard.objects.filter(pk=card.pk).update(status=GiftCardStatus.BLOCKED)
    with pytest.raises(GiftCardBlocked):
        pay(merchant, card, 100, at=now, by=cashier)


def test_a_card_of_another_area_is_not_found_and_only_this_shops_staff_may_take_it(area, merchant, cashier, now):
    foreign = sell(ShoppingAreaFactory(), 2500, at=now)
    with pytest.raises(GiftCardNotFound):
        pay(merchant, foreign, 100, at=now, by=cashier)
    card = sell(area, 2500, at=now)
    with pytest.raises(NotAllowed):
        pay(MerchantFactory(area=area), card, 100, at=now, by=cashier)
    with pytest.raises(NotAllowed):
        pay(merchant, card, 100, at=now, by=manager_for(area))
    assert balance(card) == 2500 and balance(foreign) == 2500


def test_a_shop_that_is_not_active_takes_no_gift_cards(area, merchant, cashier, now):
    card = sell(area, 2500, at=now)
    Merchant.objects.filter(pk=merchant.pk).update(status=MerchantStatus.PAUSED)
    merchant.refresh_from_db()
    with pytest.raises(NotAllowed):
        pay(merchant, card, 100, at=now, by=cashier)


# --- The desk: blocking, unblocking, clearing a PIN lock ------------------------------------------------------


def test_a_blocked_card_is_refused_at_the_till_keeps_its_balance_and_can_pay_again_once_unblocked(
    area, merchant, cashier, now
):
    # given a card with value on it
    manager, card = manager_for(area), sell(area, 2500, at=now)
    # when the desk blocks it as lost
    change = services.giftcards.block_gift_card(area=area, card_id=card.pk, reason="lost", by=manager, now=now)
    # then no till takes it, and its value stays
    assert (change.kind, change.reason, change.by, change.reason_display) == (
        GiftCardChangeKind.BLOCK,
        "lost",
        manager,
        "Lost",
    )
    with pytest.raises(GiftCardBlocked):
        pay(merchant, card, 100, at=now, by=cashier)
    assert GiftCard.objects.get(pk=card.pk).status == GiftCardStatus.BLOCKED and balance(card) == 2500
    assert kinds(card) == [(GiftCardEntryKind.LOAD, 2500)]
    # and once unblocked it pays again
    services.giftcards.unblock_gift_card(area=area, card_id=card.pk, by=manager, now=now)
    assert pay(merchant, card, 100, at=now, by=cashier).balance_after_cents == 2400
    assert list(card.changes.values_list("kind", flat=True)) == [GiftCardChangeKind.BLOCK, GiftCardChangeKind.UNBLOCK]


def test_blocking_a_blocked_card_and_unblocking_an_active_one_change_nothing(area, now):
    manager, card = manager_for(area), sell(area, 2500, at=now)
    block = services.giftcards.block_gift_card
    assert block(area=area, card_id=card.pk, reason="stolen", by=manager, now=now) is not None
    audited = AuditEntry.objects.filter(object_type="loyalty.giftcard", object_id=str(card.pk), action="change")
    assert audited.get().actor == manager  # a card of its own is audited too (no member: no subject)
    assert block(area=area, card_id=card.pk, reason="lost", by=manager, now=now) is None
    assert GiftCardChange.objects.get().reason == "stolen" and audited.count() == 1
    services.giftcards.unblock_gift_card(area=area, card_id=card.pk, by=manager, now=now)
    assert services.giftcards.unblock_gift_card(area=area, card_id=card.pk, by=manager, now=now) is None
    assert GiftCardChange.objects.count() == 2 and audited.count() == 2


def test_blocking_needs_a_reason_the_desks_action_and_a_card_of_the_area(area, merchant, now):
    manager, card = manager_for(area), sell(area, 2500, at=now)
    for says_nothing in ("  ", " x ", "kwij"):  # words say why (read in the audit); "lost" and "stolen" are keys
        with pytest.raises(GiftCardBlockReasonMissing):
            services.giftcards.block_gift_card(area=area, card_id=card.pk, reason=says_nothing, by=manager, now=now)
    assert not GiftCardChange.objects.exists()
    for person in (
        manager_for(ShoppingAreaFactory()),
        StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=merchant).user,
    ):
        for action in (services.giftcards.unblock_gift_card, services.giftcards.clear_gift_card_pin_lock):
            with pytest.raises(NotAllowed):
                action(area=area, card_id=card.pk, by=person, now=now)
        with pytest.raises(NotAllowed):
            services.giftcards.block_gift_card(area=area, card_id=card.pk, reason="lost", by=person, now=now)
    foreign = sell(ShoppingAreaFactory(), at=now)
    with pytest.raises(GiftCardNotFound):
        services.giftcards.block_gift_card(area=area, card_id=foreign.pk, reason="lost", by=manager, now=now)
    assert not GiftCardChange.objects.exists() and GiftCard.objects.get(pk=card.pk).status == GiftCardStatus.ACTIVE


def test_a_blocked_card_past_its_date_cannot_be_unblocked_into_spending(area, now):
    manager, card = manager_for(area), sell(area, 2500, at=now)
    services.giftcards.block_gift_card(area=area, card_id=card.pk, reason="lost", by=manager, now=now)
    with pytest.raises(GiftCardExpired):
        services.giftcards.unblock_gift_card(area=area, card_id=card.pk, by=manager, now=card.expires_at)
    assert GiftCard.objects.get(pk=card.pk).status == GiftCardStatus.BLOCKED


def test_the_desk_clears_a_pin_lock_and_the_holder_pays_with_the_pin_again(area, merchant, cashier, member_pass, now):
    manager, card = manager_for(area), sell(area, 2500, at=now)
    for _attempt in range(5):
        with pytest.raises(InvalidPin):
            pay(merchant, card, 100, at=now, by=cashier, pin="9999")
    with pytest.raises(GiftCardPinLocked):
        pay(merchant, card, 100, at=now, by=cashier)
    change = services.giftcards.clear_gift_card_pin_lock(area=area, card_id=card.pk, by=manager, now=now)
    assert change.kind == GiftCardChangeKind.CLEAR_PIN_LOCK
    assert GiftCard.objects.get(pk=card.pk).failed_pin_attempts == 0
    assert pay(merchant, card, 100, at=now, by=cashier).balance_after_cents == 2400
    # nothing to clear: nothing noted
    assert services.giftcards.clear_gift_card_pin_lock(area=area, card_id=card.pk, by=manager, now=now) is None
    assert GiftCardChange.objects.count() == 1
    # a card on a pass: the change is audited against its member
    on_pass = sell(area, 1000, at=now, member_pass=member_pass)
    services.giftcards.block_gift_card(area=area, card_id=on_pass.pk, reason="stolen", by=manager, now=now)
    assert AuditEntry.objects.filter(actor=manager, subject=member_pass.member, object_id=str(on_pass.pk)).exists()


# --- Undo ----------------------------------------------------------------------------------------------------


def undo(merchant, result, *, at, by, request_key=None):
    return services.undo_gift_card_spend(
        merchant=merchant, entry_id=result.entry_id, request_key=request_key or uuid.uuid4(), by=by, now=at
    )


def test_undo_within_the_window_gives_the_amount_back_once(area, merchant, cashier, now):
    card = sell(area, 2500, at=now)
    paid = pay(merchant, card, 1000, at=now, by=cashier)
    request_key = uuid.uuid4()
    undone = undo(merchant, paid, at=now + timedelta(minutes=9), by=cashier, request_key=request_key)
    assert (undone.amount_cents, undone.balance_after_cents, undone.kind) == (1000, 2500, "reverse")
    assert undo(merchant, paid, at=now, by=cashier, request_key=request_key).is_replay  # a retry
    with pytest.raises(AlreadyUndone):
        undo(merchant, paid, at=now + timedelta(minutes=9), by=cashier)
    assert balance(card) == 2500
    reversal = GiftCardEntry.objects.get(kind="reverse")
    assert reversal.reverses_id == paid.entry_id and reversal.merchant == merchant


def test_undo_after_the_window_or_at_another_shop_is_refused(area, merchant, cashier, now):
    rules_for(area, undo_window_minutes=5)
    card = sell(area, 2500, at=now)
    paid = pay(merchant, card, 1000, at=now, by=cashier)
    with pytest.raises(GiftCardUndoWindowClosed):
        undo(merchant, paid, at=now + timedelta(minutes=6), by=cashier)
    other = MerchantFactory(area=area)
    with pytest.raises(TransactionNotFound):
        services.undo_gift_card_spend(
            merchant=other,
            entry_id=paid.entry_id,
            request_key=uuid.uuid4(),
            by=StaffMembershipFactory(role=Role.MERCHANT_STAFF, merchant=other).user,
            now=now,
        )
    assert balance(card) == 1500


# --- The till's checkout primitives ------------------------------------------------------------------------------


def test_debit_draws_from_the_soonest_expiring_card_first_across_two_cards(area, merchant, cashier, member_pass, now):
    later = sell(area, 3000, at=now, member_pass=member_pass)
    sooner = sell(area, 1000, at=now - timedelta(days=100), member_pass=member_pass)
    sell(ShoppingAreaFactory(), at=now)  # another area's card: never among the pass's
    request_key = uuid.uuid4()
    with transaction.atomic():
        cards = services.gift_cards_of_pass(member_pass, now=now, lock=True)
        assert [c.pk for c in cards] == [sooner.pk, later.pk]
        entries = services.debit_gift_cards(
            cards, 2500, merchant=merchant, request_key=request_key, by=cashier, now=now
        )
    assert [(e.card_id, e.amount_cents) for e in entries] == [(sooner.pk, -1000), (later.pk, -1500)]
    assert (balance(sooner), balance(later)) == (0, 1500)
    assert services.gift_cards_of_pass(member_pass, now=now) == [later]
    with pytest.raises(InsufficientGiftCardBalance) as refused, transaction.atomic():
        locked = [services.lock_gift_card(pk=later.pk)]  # the caller passes cards it read under their locks
        services.debit_gift_cards(locked, 1501, merchant=merchant, request_key=uuid.uuid4(), by=cashier, now=now)
    assert (refused.value.needed, refused.value.available) == (1501, 1500)
    # the same checkout cannot draw twice: the entries' keys are derived from its key and the card
    with pytest.raises(IntegrityError), transaction.atomic():
        locked = [services.lock_gift_card(pk=later.pk)]
        services.debit_gift_cards(locked, 100, merchant=merchant, request_key=request_key, by=cashier, now=now)

    # Reversing the checkout gives back to each card what was taken from it, never twice.
    undo_key = uuid.uuid4()
    made = services.reverse_gift_card_entries(entries, request_key=undo_key, by=cashier, now=now)
    assert sorted((e.card_id, e.amount_cents) for e in made) == sorted([(sooner.pk, 1000), (later.pk, 1500)])
    assert services.reverse_gift_card_entries(entries, request_key=uuid.uuid4(), by=cashier, now=now) == []
    assert (balance(sooner), balance(later)) == (1000, 3000)
    assert services.check_gift_cards() == []


def test_debit_passes_over_blocked_and_expired_cards(area, merchant, cashier, member_pass, now):
    blocked = sell(area, 1000, at=now, member_pass=member_pass)
    GiftCard.objects.filter(pk=blocked.pk).update(status=GiftCardStatus.BLOCKED)
    blocked.refresh_from_db()
    good = sell(area, 1000, at=now, member_pass=member_pass)
    assert services.gift_cards_of_pass(member_pass, now=now) == [good]
    with pytest.raises(InsufficientGiftCardBalance), transaction.atomic():
        services.debit_gift_cards(
            [blocked, good], 1500, merchant=merchant, request_key=uuid.uuid4(), by=cashier, now=now
        )
    assert services.gift_cards_of_pass(member_pass, now=good.expires_at) == []


# --- Expiry and the nightly check --------------------------------------------------------------------------------


def test_expiry_takes_what_is_left_once_even_when_run_twice(area, merchant, cashier, now):
    cards = [sell(area, 2000, at=now) for _ in range(5)]
    pay(merchant, cards[0], 500, at=now, by=cashier)
    pay(merchant, cards[1], 2000, at=now, by=cashier)  # nothing left to expire
    fresh = sell(area, 2000, at=now + timedelta(days=30))
    later = cards[0].expires_at + timedelta(days=1)

    assert services.expire_gift_cards(now=later, chunk_size=2) == 4
    assert services.expire_gift_cards(now=later, chunk_size=2) == 0
    assert tasks.expire_gift_cards_task.apply().get() == 0  # the nightly task runs the same service
    assert GiftCardEntry.objects.filter(kind="expire").count() == 4
    assert kinds(cards[0])[-1] == ("expire", -1500)
    assert all(balance(card) == 0 for card in cards) and balance(fresh) == 2000
    assert services.check_gift_cards() == []


def test_value_given_back_after_expiry_expires_as_well(area, merchant, cashier, now):
    card = sell(area, 2000, at=now)
    paid = pay(merchant, card, 500, at=card.expires_at - timedelta(minutes=1), by=cashier)
    assert services.expire_gift_cards(now=card.expires_at) == 1
    undo(merchant, paid, at=card.expires_at + timedelta(minutes=2), by=cashier)
    assert balance(card) == 500
    assert services.expire_gift_cards(now=card.expires_at + timedelta(minutes=3)) == 1
    assert balance(card) == 0 and services.check_gift_cards() == []


def test_the_check_finds_a_tampered_balance_and_repairs_it_on_request(area, merchant, cashier, now):
    card = sell(area, 2500, at=now)
    pay(merchant, card, 1000, at=now, by=cashier)
    GiftCard.objects.filter(pk=card.pk).update(balance_cents=9999)  # someone "fixed" it by hand
    assert [(m.card_id, m.expected, m.actual) for m in services.check_gift_cards()] == [(card.pk, 1500, 9999)]
    assert tasks.check_ledger_task.apply().get() == 1  # the nightly check covers gift cards too
    assert balance(card) == 9999
    services.check_gift_cards(fix=True)
    assert balance(card) == 1500 and services.check_gift_cards() == []


# --- Append-only, selectors, privacy -------------------------------------------------------------------------


def test_gift_card_entries_cannot_be_changed_or_deleted(area, now):
    sell(area, 2500, at=now)
    entry = GiftCardEntry.objects.get()
    with pytest.raises(AppendOnlyViolation):
        GiftCardEntry.objects.update(amount_cents=1)
    with pytest.raises(AppendOnlyViolation):
        GiftCardEntry.objects.all().delete()
    with pytest.raises(AppendOnlyViolation):
        entry.save()
    with pytest.raises(AppendOnlyViolation):
        entry.delete()


@pytest.mark.postgres
def test_postgresql_refuses_changes_to_gift_card_entries_even_in_raw_sql(area, now):
    sell(area, 2500, at=now)
    for statement in ("UPDATE loyalty_giftcardentry SET amount_cents = 100000", "DELETE FROM loyalty_giftcardentry"):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


def test_the_database_refuses_a_negative_balance(area, now):
    card = sell(area, 2500, at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        GiftCard.objects.filter(pk=card.pk).update(balance_cents=-1)


def test_the_cards_on_a_pass_in_one_query(area, member_pass, now, django_assert_num_queries):
    second = sell(area, 1000, at=now - timedelta(days=10), member_pass=member_pass)
    first = sell(area, 3000, at=now, member_pass=member_pass)
    gone = sell(area, 1000, at=now - timedelta(days=800), member_pass=member_pass)
    with django_assert_num_queries(1):
        cards = selectors.gift_cards_for_pass(member_pass, now=now)
    assert [c["id"] for c in cards] == [second.pk, first.pk] and gone.pk not in {c["id"] for c in cards}
    assert cards[1] == {
        "id": first.pk,
        "number_display": str(first),
        "balance_cents": 3000,
        "expires_at": first.expires_at,
        "status": "active",
        "is_usable": True,
        "is_blocked": False,
        "is_used_up": False,
    }


def test_gift_cards_are_registered_as_personal_data_and_lose_their_pin_on_erasure(area, member_pass, now):
    specs = {spec.key: spec for spec in registered()}
    card_spec, entry_spec = specs["loyalty.giftcard"], specs["loyalty.giftcardentry"]
    assert card_spec.on_erase == "anonymise" and card_spec.anonymise == {"pin_hash": "", "failed_pin_attempts": 0}
    assert "pin_hash" not in card_spec.fields and entry_spec.on_erase == "keep"
    card = sell(area, 1000, at=now, member_pass=member_pass)
    assert list(card_spec.rows_of(member_pass.member)) == [card]
    assert entry_spec.rows_of(member_pass.member).count() == 1
    assert not card_spec.rows_of(PassFactory(area=area).member).exists()

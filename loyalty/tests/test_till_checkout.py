"""A purchase at the till paid partly otherwise than in money: voucher, reward for points, gift card; campaigns.

Only the part paid in money earns points; everything happens together or not at all; an undo gives
every part back.
"""

import uuid
from datetime import timedelta

import pytest
from django.utils import translation

from areas.tests.factories import MerchantFactory
from loyalty import selectors, services
from loyalty.codes import group_card_number as group_gift_card
from loyalty.exceptions import (
    GiftCardNoPin,
    GiftCardWrongPin,
    InsufficientGiftCardBalance,
    InsufficientPoints,
    InvalidAmount,
    InvalidGiftCardPayment,
    InvalidPin,
    RewardNotAvailable,
    VoucherAlreadyUsed,
)
from loyalty.models import (
    Campaign,
    CampaignKind,
    EntryKind,
    Funder,
    GiftCard,
    GiftCardEntry,
    GiftCardEntryKind,
    LedgerEntry,
    Reward,
    TillTransaction,
    Voucher,
    VoucherKind,
)
from privacy.services import give_consent

from .factories import award, cashier_for, key, rules_for
from .giftcard_factories import PIN, balance, pay, sell

pytestmark = pytest.mark.django_db


def _voucher(area, manager, now, **terms):
    terms = {"kind": VoucherKind.FIXED, "value_cents": 500, **terms}
    return services.issue_voucher(
        area=area, expires_at=now + timedelta(days=30), by=manager, request_key=key(), valid_from=now, **terms
    )


def _campaign(area, now, **fields):
    fields = {"kind": CampaignKind.MULTIPLIER, "multiplier_permille": 2000, **fields}
    return Campaign.objects.create(
        area=area, name="Koopavond", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1), **fields
    )


def _earn(merchant, member_pass, cashier, now, euros):
    award(merchant, member_pass, euros * 100, at=now, by=cashier)
    member_pass.refresh_from_db()


def test_a_voucher_pays_part_and_only_the_rest_earns(area, merchant, cashier, member_pass, manager, now):
    voucher = _voucher(area, manager, now)

    result = award(merchant, member_pass, 3000, at=now, by=cashier, voucher_code=voucher.code)

    assert (result.voucher_cents, result.to_pay_cents, result.points_awarded) == (500, 2500, 25)
    voucher.refresh_from_db()
    assert voucher.redeemed_by_id == result.transaction_id
    with pytest.raises(VoucherAlreadyUsed):
        award(merchant, member_pass, 3000, at=now + timedelta(minutes=1), by=cashier, voucher_code=voucher.code)
    # the refused second purchase left nothing behind
    assert TillTransaction.objects.count() == 1


def test_a_percentage_voucher_is_capped(area, merchant, cashier, member_pass, manager, now):
    voucher = _voucher(area, manager, now, kind=VoucherKind.PERCENT, value_cents=0, percent=20, max_discount_cents=400)

    result = award(merchant, member_pass, 5000, at=now, by=cashier, voucher_code=voucher.code)

    assert (result.voucher_cents, result.points_awarded) == (400, 46)


def test_a_reward_at_the_till_spends_points_and_the_rest_earns(area, merchant, cashier, member_pass, now):
    _earn(merchant, member_pass, cashier, now - timedelta(days=1), 80)
    reward = Reward.objects.create(area=area, title="Koffie", cost_points=50, value_cents=300, stock=2)

    result = award(merchant, member_pass, 1000, at=now, by=cashier, reward_id=reward.pk)

    assert (result.reward_cents, result.points_spent, result.points_awarded) == (300, 50, 7)
    assert result.balance == 80 - 50 + 7
    member_pass.refresh_from_db()
    assert member_pass.points_balance == result.balance
    spend = LedgerEntry.objects.get(member_pass=member_pass, kind=EntryKind.SPEND)
    assert (spend.points, spend.till_transaction_id, spend.merchant_id) == (-50, result.transaction_id, merchant.pk)
    reward.refresh_from_db()
    assert reward.stock == 1
    assert services.check_ledger() == []


def test_a_reward_needs_enough_points_and_nothing_is_written_otherwise(area, merchant, cashier, member_pass, now):
    _earn(merchant, member_pass, cashier, now - timedelta(days=1), 120)
    reward = Reward.objects.create(area=area, title="Taart", cost_points=500, value_cents=1500)

    with translation.override("en"), pytest.raises(InsufficientPoints) as error:
        award(merchant, member_pass, 2000, at=now, by=cashier, reward_id=reward.pk)

    # what the cashier tells the member: what the reward costs, what the pass has
    assert error.value.message == "Not enough points: this reward costs 500 points and the pass has 120."
    assert (error.value.needed, error.value.available) == (500, 120)
    assert TillTransaction.objects.count() == 1  # the earlier purchase only


def test_another_merchants_reward_cannot_be_redeemed_here(area, merchant, cashier, member_pass, now):
    reward = Reward.objects.create(
        area=area, merchant=MerchantFactory(area=area), title="Bloemen", cost_points=1, value_cents=100
    )
    with pytest.raises(RewardNotAvailable):
        award(merchant, member_pass, 2000, at=now, by=cashier, reward_id=reward.pk)


@pytest.mark.usefixtures("english")
def test_a_printed_card_spends_only_with_its_pin(area, merchant, cashier, member_pass, now):
    _earn(merchant, member_pass, cashier, now - timedelta(days=1), 80)
    reward = Reward.objects.create(area=area, title="Koffie", cost_points=50, value_cents=300)
    services.set_pin(pass_id=member_pass.pk, pin="4711", by=member_pass.member)

    # no PIN typed (the field is folded away at the till): asked for, not counted as a guess
    with pytest.raises(InvalidPin) as missing:
        award(merchant, member_pass, 1000, at=now, by=cashier, code=member_pass.card_number, reward_id=reward.pk)
    assert "Enter the PIN" in str(missing.value.message)
    member_pass.refresh_from_db()
    assert member_pass.failed_pin_attempts == 0
    # a wrong one is counted
    with pytest.raises(InvalidPin):
        award(
            merchant,
            member_pass,
            1000,
            at=now,
            by=cashier,
            code=member_pass.card_number,
            reward_id=reward.pk,
            pin="0000",
        )
    member_pass.refresh_from_db()
    assert member_pass.failed_pin_attempts == 1
    result = award(
        merchant, member_pass, 1000, at=now, by=cashier, code=member_pass.card_number, reward_id=reward.pk, pin="4711"
    )
    assert result.points_spent == 50


def test_the_gift_card_on_the_pass_pays_part_without_points(area, merchant, cashier, member_pass, manager, now):
    card = services.sell_gift_card(
        area=area, amount_cents=2500, by=manager, request_key=key(), member_pass=member_pass, now=now
    )

    result = award(merchant, member_pass, 4000, at=now, by=cashier, giftcard_cents=2500)

    assert (result.giftcard_cents, result.to_pay_cents, result.points_awarded) == (2500, 1500, 15)
    card.refresh_from_db()
    assert card.balance_cents == 0
    entry = GiftCardEntry.objects.get(card=card, kind="spend")
    assert (entry.amount_cents, entry.merchant_id, entry.till_transaction_id) == (
        -2500,
        merchant.pk,
        result.transaction_id,
    )
    with pytest.raises(InsufficientGiftCardBalance):
        award(merchant, member_pass, 1000, at=now + timedelta(minutes=1), by=cashier, giftcard_cents=100)


def test_undo_gives_every_part_back(area, merchant, cashier, member_pass, manager, now):
    _earn(merchant, member_pass, cashier, now - timedelta(days=1), 100)
    reward = Reward.objects.create(area=area, title="Koffie", cost_points=50, value_cents=300, stock=5)
    services.sell_gift_card(
        area=area, amount_cents=1000, by=manager, request_key=key(), member_pass=member_pass, now=now
    )
    purchase = award(merchant, member_pass, 5000, at=now, by=cashier, reward_id=reward.pk, giftcard_cents=1000)
    assert purchase.balance == 100 - 50 + 37

    undone = services.undo_till_transaction(
        merchant=merchant, transaction_id=purchase.transaction_id, request_key=key(), by=cashier, now=now
    )

    assert undone.balance == 100
    assert (undone.points_spent, undone.giftcard_cents, undone.reward_cents) == (-50, -1000, -300)
    assert GiftCard.objects.get(member_pass=member_pass).balance_cents == 1000
    reward.refresh_from_db()
    assert reward.stock == 5
    assert services.check_ledger() == [] and services.check_gift_cards() == []


def test_undo_makes_the_voucher_usable_again(area, merchant, cashier, member_pass, manager, now):
    voucher = _voucher(area, manager, now)
    purchase = award(merchant, member_pass, 3000, at=now, by=cashier, voucher_code=voucher.code)

    services.undo_till_transaction(
        merchant=merchant, transaction_id=purchase.transaction_id, request_key=key(), by=cashier, now=now
    )

    assert Voucher.objects.get(pk=voucher.pk).redeemed_by_id is None
    again = award(merchant, member_pass, 3000, at=now + timedelta(minutes=1), by=cashier, voucher_code=voucher.code)
    assert again.voucher_cents == 500


def test_a_chosen_reward_is_a_voucher_whose_points_the_till_records(area, merchant, cashier, member_pass, now):
    _earn(merchant, member_pass, cashier, now - timedelta(days=1), 80)
    reward = Reward.objects.create(area=area, title="Koffie", cost_points=50, value_cents=300)
    voucher = services.choose_reward(
        pass_id=member_pass.pk, reward_id=reward.pk, by=member_pass.member, request_key=key(), now=now
    )

    result = award(merchant, member_pass, 1000, at=now + timedelta(minutes=5), by=cashier, voucher_code=voucher.code)

    purchase = TillTransaction.objects.get(pk=result.transaction_id)
    assert (purchase.voucher_cents, purchase.points_spent, purchase.reward_id) == (300, 50, reward.pk)
    assert result.balance == 80 - 50 + 7  # the points went when the reward was chosen, not again now
    # the till names the reward chosen in the app (nothing is spent now); one chosen at the till is not so
    assert (result.reward_chosen_in_app, result.reward_title, result.points_spent) == (True, "Koffie", 50)
    tea = Reward.objects.create(area=area, title="Thee", cost_points=20, value_cents=200)
    at_till = award(merchant, member_pass, 1000, at=now + timedelta(minutes=6), by=cashier, reward_id=tea.pk)
    assert (at_till.reward_chosen_in_app, at_till.reward_title, at_till.points_spent) == (False, "Thee", 20)


def test_a_reward_chosen_in_app_is_not_counted_again_in_the_days_figures(area, merchant, cashier, member_pass, now):
    _earn(merchant, member_pass, cashier, now - timedelta(days=1), 80)
    reward = Reward.objects.create(area=area, title="Koffie", cost_points=50, value_cents=300)
    voucher = services.choose_reward(
        pass_id=member_pass.pk, reward_id=reward.pk, by=member_pass.member, request_key=key(), now=now
    )

    award(merchant, member_pass, 1000, at=now + timedelta(minutes=5), by=cashier, voucher_code=voucher.code)

    summary = selectors.till_summary(merchant, now.date())
    # the day's points are those the till gave (7 on the 7 euros paid in money), not less the reward's 50
    assert (summary["count"], summary["points"], summary["voucher_cents"], summary["reward_cents"]) == (1, 7, 300, 0)
    # the member's points went once, in the app
    spends = LedgerEntry.objects.filter(member_pass=member_pass, kind=EntryKind.SPEND)
    assert [entry.points for entry in spends] == [-50]


def test_the_best_campaign_adds_its_points_and_is_recorded(area, merchant, cashier, member_pass, now):
    _campaign(area, now, multiplier_permille=2000, funded_by=Funder.COLLECTIVE)
    _campaign(area, now, kind=CampaignKind.BONUS, bonus_points=5, multiplier_permille=1000)

    result = award(merchant, member_pass, 2000, at=now, by=cashier)

    assert (result.points_awarded, result.campaign_points, result.campaign_name) == (40, 20, "Koopavond")


def test_campaign_points_stay_within_the_daily_cap(area, merchant, cashier, member_pass, now):
    rules_for(area, daily_cap_points=30)
    _campaign(area, now, multiplier_permille=3000)

    result = award(merchant, member_pass, 2000, at=now, by=cashier)

    assert (result.points_awarded, result.campaign_points) == (30, 30)


def test_a_segment_campaign_only_counts_for_members_who_consented(area, merchant, cashier, member_pass, now):
    _campaign(area, now, segment="new", multiplier_permille=2000)

    assert award(merchant, member_pass, 2000, at=now, by=cashier).campaign_points == 0

    give_consent(subject=member_pass.member, area=area, purpose_code="marketing", method="settings", language="nl")
    assert award(merchant, member_pass, 2000, at=now + timedelta(minutes=1), by=cashier).campaign_points == 20


def test_a_gift_card_cannot_pay_more_than_is_left_to_pay_and_says_how_much_is_left(
    area, merchant, cashier, member_pass, manager, now
):
    voucher = _voucher(area, manager, now)
    services.sell_gift_card(
        area=area, amount_cents=5000, by=manager, request_key=key(), member_pass=member_pass, now=now
    )

    with translation.override("en"), pytest.raises(InvalidGiftCardPayment) as error:
        award(merchant, member_pass, 4000, at=now, by=cashier, voucher_code=voucher.code, giftcard_cents=4500)

    # 40.00 less the voucher's 5.00
    assert error.value.message == "The gift card cannot pay more than what is left to pay: €35.00."
    assert isinstance(error.value, InvalidAmount)  # the API answers as for any wrong amount
    assert not TillTransaction.objects.exists()


def test_no_campaign_points_on_what_a_gift_card_paid(area, merchant, cashier, member_pass, manager, now):
    _campaign(area, now, kind=CampaignKind.BONUS, bonus_points=25, multiplier_permille=1000, min_amount_cents=1000)
    services.sell_gift_card(
        area=area, amount_cents=2000, by=manager, request_key=key(), member_pass=member_pass, now=now
    )

    result = award(merchant, member_pass, 2500, at=now, by=cashier, giftcard_cents=2000)

    assert (result.points_awarded, result.campaign_points) == (5, 0)


def test_a_retried_checkout_is_applied_once(area, merchant, cashier, member_pass, manager, now):
    voucher = _voucher(area, manager, now)
    request_key = uuid.uuid4()
    first = award(merchant, member_pass, 3000, at=now, by=cashier, voucher_code=voucher.code, request_key=request_key)
    again = award(
        merchant, member_pass, 3000, at=now, by=cashier, voucher_code=voucher.code, request_key=request_key, code=None
    )
    assert again.is_replay and again.transaction_id == first.transaction_id


def test_a_campaign_starts_and_ends_on_the_second_though_the_till_caches_the_list(
    area, merchant, cashier, member_pass, now
):
    starts = now.replace(second=30)
    Campaign.objects.create(
        area=area,
        name="Happy hour",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        kind=CampaignKind.BONUS,
        bonus_points=7,
        multiplier_permille=1000,
    )

    assert award(merchant, member_pass, 1000, at=starts - timedelta(seconds=20), by=cashier).campaign_points == 0
    assert award(merchant, member_pass, 1000, at=starts + timedelta(seconds=1), by=cashier).campaign_points == 7
    late = starts + timedelta(minutes=30, seconds=5)
    assert award(merchant, member_pass, 1000, at=late, by=cashier).campaign_points == 0


def test_the_settlement_counts_a_checkout_through_the_real_till(area, merchant, cashier, member_pass, manager, now):
    """One purchase with every part, one undone, one standalone gift-card payment: the four rules' quantities."""
    from loyalty.services.settlement import merchant_quantities

    _earn(merchant, member_pass, cashier, now - timedelta(days=1), 100)  # 100 points issued here
    _campaign(area, now, multiplier_permille=2000, funded_by=Funder.COLLECTIVE)
    reward = Reward.objects.create(area=area, title="Koffie", cost_points=50, value_cents=300)  # the collective's
    services.sell_gift_card(
        area=area, amount_cents=1000, by=manager, request_key=key(), member_pass=member_pass, now=now
    )
    voucher = _voucher(area, manager, now)
    # 60.00 − 5.00 voucher − 3.00 reward − 10.00 gift card = 42.00 in money: 42 points, 42 more from the campaign
    purchase = award(
        merchant,
        member_pass,
        6000,
        at=now,
        by=cashier,
        voucher_code=voucher.code,
        reward_id=reward.pk,
        giftcard_cents=1000,
    )
    assert (purchase.points_awarded, purchase.campaign_points) == (84, 42)
    # A second purchase, undone: it nets out everywhere.
    undone = award(merchant, member_pass, 2000, at=now + timedelta(minutes=1), by=cashier)
    services.undo_till_transaction(
        merchant=merchant,
        transaction_id=undone.transaction_id,
        request_key=key(),
        by=cashier,
        now=now + timedelta(minutes=2),
    )
    # A standalone gift card paid with by number and PIN.
    card = services.sell_gift_card(area=area, amount_cents=2000, by=manager, request_key=key(), pin="4711", now=now)
    services.spend_gift_card(
        merchant=merchant, number=card.number, pin="4711", amount_cents=750, request_key=key(), by=cashier, now=now
    )

    day = now.astimezone(area.tz).date()
    quantities = merchant_quantities(merchant, day - timedelta(days=1), day)
    # Points the merchant pays for: 100 + 84 − 42 of the collective's campaign; the undone purchase nets to 0.
    assert quantities.points_issued == 100 + 84 - 42
    assert quantities.points_redeemed == 50
    assert quantities.voucher_cents == 500
    assert quantities.giftcard_cents == 1000 + 750


# --- A gift card with its own number, at the main till ---------------------------------------------------------------


def test_a_gift_card_by_its_number_pays_part_of_the_purchase_without_points(area, merchant, cashier, member_pass, now):
    card = sell(area, 2500, at=now - timedelta(days=1))
    # the printed card's number alone: the gift card has its own PIN, the pass needs none
    result = award(
        merchant,
        member_pass,
        4000,
        at=now,
        by=cashier,
        code=member_pass.card_number,
        giftcard_cents=1500,
        giftcard_number=group_gift_card(card.number),
        giftcard_pin=PIN,
    )
    assert (result.giftcard_cents, result.to_pay_cents, result.points_awarded) == (1500, 2500, 25)
    assert balance(card) == 1000
    entry = GiftCardEntry.objects.get(card=card, kind=GiftCardEntryKind.SPEND)
    assert (entry.amount_cents, entry.merchant_id, entry.till_transaction_id) == (
        -1500,
        merchant.pk,
        result.transaction_id,
    )
    # the day's figures count it once, as part of the purchase
    assert selectors.till_summary(merchant, now.date())["giftcard_cents"] == 1500


def test_undoing_the_purchase_gives_the_numbered_gift_card_its_value_back(area, merchant, cashier, member_pass, now):
    card = sell(area, 2500, at=now - timedelta(days=1))
    result = award(
        merchant,
        member_pass,
        4000,
        at=now,
        by=cashier,
        giftcard_cents=2500,
        giftcard_number=card.number,
        giftcard_pin=PIN,
    )
    assert balance(card) == 0
    services.undo_till_transaction(
        merchant=merchant, transaction_id=result.transaction_id, request_key=key(), by=cashier, now=now
    )
    assert balance(card) == 2500
    assert selectors.till_summary(merchant, now.date())["giftcard_cents"] == 0
    assert services.check_gift_cards() == []


def test_a_wrong_gift_card_pin_writes_nothing_but_counts(area, merchant, cashier, member_pass, now):
    card = sell(area, 2500, at=now - timedelta(days=1))
    with pytest.raises(GiftCardWrongPin):
        award(
            merchant,
            member_pass,
            4000,
            at=now,
            by=cashier,
            giftcard_cents=1000,
            giftcard_number=card.number,
            giftcard_pin="0000",
        )
    assert not TillTransaction.objects.exists() and balance(card) == 2500
    assert GiftCard.objects.get(pk=card.pk).failed_pin_attempts == 1
    # too much for the card: refused, and the purchase with it
    with pytest.raises(InsufficientGiftCardBalance):
        award(
            merchant,
            member_pass,
            4000,
            at=now,
            by=cashier,
            giftcard_cents=3000,
            giftcard_number=card.number,
            giftcard_pin=PIN,
        )
    assert not TillTransaction.objects.exists() and balance(card) == 2500
    # a card on a pass has no PIN: it is paid with its pass
    on_pass = sell(area, 1000, at=now - timedelta(days=1), member_pass=member_pass)
    with pytest.raises(GiftCardNoPin):
        award(
            merchant,
            member_pass,
            4000,
            at=now,
            by=cashier,
            giftcard_cents=500,
            giftcard_number=on_pass.number,
            giftcard_pin=PIN,
        )


def test_the_day_counts_gift_cards_paid_on_the_gift_card_page_too(area, merchant, other_merchant, cashier, now):
    card = sell(area, 5000, at=now - timedelta(days=1))
    pay(merchant, card, 1200, at=now, by=cashier)
    undone = pay(merchant, card, 800, at=now + timedelta(minutes=1), by=cashier)
    services.undo_gift_card_spend(
        merchant=merchant, entry_id=undone.entry_id, request_key=key(), by=cashier, now=now + timedelta(minutes=2)
    )
    pay(other_merchant, card, 500, at=now, by=cashier_for(other_merchant))  # another shop's
    summary = selectors.till_summary(merchant, now.date())
    assert summary["giftcard_cents"] == summary["giftcard_by_number_cents"] == 1200
    assert selectors.till_summary(merchant, (now + timedelta(days=1)).date())["giftcard_cents"] == 0

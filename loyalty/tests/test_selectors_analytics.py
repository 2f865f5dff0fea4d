"""Loyalty's reads for analytics: vouchers and rewards used at the till and in the webshop."""

from datetime import timedelta

import pytest

from loyalty import selectors, services
from loyalty.models import Reward, VoucherKind

from .factories import award, key, manager_for, rules_for
from .rewards_helpers import give_points

pytestmark = pytest.mark.django_db


def _voucher(area, now, **terms):
    terms = {"kind": VoucherKind.FIXED, "value_cents": 500, **terms}
    return services.issue_voucher(
        area=area,
        expires_at=now + timedelta(days=30),
        by=manager_for(area),
        request_key=key(),
        valid_from=now - timedelta(days=1),
        **terms,
    )


def test_till_redemptions_are_vouchers_and_rewards_used_in_purchases_that_stand(
    area, merchant, cashier, member_pass, now
):
    # given: a fixed voucher (5 euros) used on a purchase; a reward chosen in the app (a voucher of kind reward,
    # 3 euros) used on another; a reward redeemed for points at the till (2 euros) together with a voucher
    # (5 euros) on a third; and a voucher used on a purchase that was undone
    rules_for(area, undo_window_minutes=60)
    give_points(member_pass, 500, now=now - timedelta(days=2))
    at = [now + timedelta(minutes=m) for m in (0, 10, 20, 30)]
    first = award(merchant, member_pass, 3_000, at=at[0], by=cashier, voucher_code=_voucher(area, now).code)
    app_reward = Reward.objects.create(area=area, title="Taart", cost_points=100, value_cents=300)
    chosen = services.choose_reward(
        pass_id=member_pass.pk, reward_id=app_reward.pk, by=member_pass.member, request_key=key(), now=now
    )
    award(merchant, member_pass, 2_000, at=at[1], by=cashier, voucher_code=chosen.code)
    till_reward = Reward.objects.create(area=area, title="Koffie", cost_points=50, value_cents=200)
    award(
        merchant,
        member_pass,
        4_000,
        at=at[2],
        by=cashier,
        voucher_code=_voucher(area, now).code,
        reward_id=till_reward.pk,
    )
    undone = award(merchant, member_pass, 2_500, at=at[3], by=cashier, voucher_code=_voucher(area, now).code)
    services.undo_till_transaction(
        merchant=merchant, transaction_id=undone.transaction_id, request_key=key(), by=cashier, now=at[3]
    )

    # when: analytics reads the hour's redemptions
    rows = selectors.till_redemptions(area, now - timedelta(minutes=1), now + timedelta(hours=1))

    # then: four rows (pass, merchant, kind, value, time); the undone purchase gives none
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in rows] == [
        (member_pass.pk, merchant.pk, "voucher", 500, at[0]),
        (member_pass.pk, merchant.pk, "reward", 300, at[1]),
        (member_pass.pk, merchant.pk, "voucher", 500, at[2]),
        (member_pass.pk, merchant.pk, "reward", 200, at[2]),
    ]
    assert first.voucher_cents == 500
    assert selectors.till_redemptions(area, now + timedelta(hours=1), now + timedelta(hours=2)) == []


def test_online_redemptions_name_the_order_and_the_kind(area, member_pass, now):
    # given: a voucher and a reward voucher used by two webshop orders, and a voucher whose order gave it back
    give_points(member_pass, 500, now=now - timedelta(days=2))
    fixed = _voucher(area, now)
    reward = Reward.objects.create(area=area, title="Taart", cost_points=100, value_cents=300)
    chosen = services.choose_reward(
        pass_id=member_pass.pk, reward_id=reward.pk, by=member_pass.member, request_key=key(), now=now
    )
    released = _voucher(area, now)
    services.redeem_voucher_online(fixed, order_ref="A1", now=now)
    services.redeem_voucher_online(chosen, order_ref="B2", now=now + timedelta(minutes=5))
    services.redeem_voucher_online(released, order_ref="C3", now=now + timedelta(minutes=6))
    services.release_voucher_online(area=area, code=released.code, order_ref="C3")

    # when: analytics reads the hour's online redemptions
    rows = selectors.online_redemptions(area, now - timedelta(minutes=1), now + timedelta(hours=1))

    # then: the two that stand, oldest first
    assert rows == [("A1", "voucher", now), ("B2", "reward", now + timedelta(minutes=5))]

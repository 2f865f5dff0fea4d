"""Campaigns: which apply at a merchant, the best one's extra points, segment targeting, campaign vouchers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from areas.sectors import Sector
from areas.tests.factories import MerchantFactory
from loyalty.exceptions import NotAllowed
from loyalty.models import CampaignKind, Funder, Voucher, VoucherKind
from loyalty.selectors import campaigns_between, offers_for
from loyalty.services.campaigns import active_campaigns, campaign_extra, issue_campaign_vouchers

from .factories import PassFactory, manager_for
from .rewards_helpers import consent, make_campaign

pytestmark = pytest.mark.django_db


def extra(campaigns, member_pass, merchant, now, *, earning_cents=2000, base_points=20):
    return campaign_extra(
        campaigns=campaigns,
        member_pass=member_pass,
        merchant=merchant,
        earning_cents=earning_cents,
        base_points=base_points,
        now=now,
    )


def test_active_campaigns_match_everyone_merchants_or_sectors_in_one_query(
    area, merchant, now, django_assert_num_queries
):
    bakery = MerchantFactory(area=area, sector=Sector.FOOD_SPECIALTY)
    everywhere = make_campaign(area, now=now, name="everywhere")
    at_merchant = make_campaign(area, now=now, name="merchant", merchants=[merchant])
    at_bakeries = make_campaign(area, now=now, name="bakeries", sectors=[Sector.FOOD_SPECIALTY])
    make_campaign(area, now=now, name="other shop", merchants=[bakery])
    make_campaign(area, now=now, name="ended", starts_at=now - timedelta(days=9), ends_at=now)
    make_campaign(area, now=now, name="later", starts_at=now + timedelta(seconds=1))
    make_campaign(area, now=now, name="off", is_active=False)

    with django_assert_num_queries(1):
        at_fashion = active_campaigns(area_id=area.pk, merchant=merchant, now=now)
    at_bakery = active_campaigns(area_id=area.pk, merchant=bakery, now=now)

    assert {c.pk for c in at_fashion} == {everywhere.pk, at_merchant.pk}
    assert {c.name for c in at_bakery} == {"everywhere", "bakeries", "other shop"}
    assert at_bakeries.pk in {c.pk for c in at_bakery}


def test_a_multiplier_adds_the_extra_part_of_the_base_points(area, merchant, member_pass, now):
    campaign = make_campaign(area, now=now, multiplier_permille=1500)

    assert extra([campaign], member_pass, merchant, now, base_points=25) == (campaign, 12)


def test_a_bonus_adds_fixed_points_from_the_smallest_amount(area, merchant, member_pass, now):
    campaign = make_campaign(area, now=now, kind=CampaignKind.BONUS, bonus_points=50, min_amount_cents=2500)

    assert extra([campaign], member_pass, merchant, now, earning_cents=2499) == (None, 0)
    assert extra([campaign], member_pass, merchant, now, earning_cents=2500) == (campaign, 50)
    assert extra([campaign], member_pass, merchant, now, earning_cents=0, base_points=0) == (None, 0)


def test_only_the_best_campaign_counts(area, merchant, member_pass, now):
    double = make_campaign(area, now=now, multiplier_permille=2000)
    bonus = make_campaign(area, now=now, kind=CampaignKind.BONUS, bonus_points=30)

    assert extra([double, bonus], member_pass, merchant, now, base_points=20) == (bonus, 30)
    assert extra([double, bonus], member_pass, merchant, now, base_points=40) == (double, 40)


def test_ties_go_to_the_earliest_ending_then_the_oldest(area, merchant, member_pass, now):
    late = make_campaign(area, now=now, kind=CampaignKind.BONUS, bonus_points=10, ends_at=now + timedelta(days=9))
    early = make_campaign(area, now=now, kind=CampaignKind.BONUS, bonus_points=10, ends_at=now + timedelta(days=2))
    twin = make_campaign(area, now=now, kind=CampaignKind.BONUS, bonus_points=10, ends_at=now + timedelta(days=2))

    assert extra([late, twin, early], member_pass, merchant, now) == (early, 10)


def test_a_segment_campaign_counts_only_with_marketing_consent(area, merchant, member_pass, now):
    # member_pass joined at `now`: in "new"
    targeted = make_campaign(area, now=now, kind=CampaignKind.BONUS, bonus_points=100, segment="new")
    general = make_campaign(area, now=now, kind=CampaignKind.BONUS, bonus_points=10)

    assert extra([targeted, general], member_pass, merchant, now) == (general, 10)
    consent(member_pass)
    assert extra([targeted, general], member_pass, merchant, now) == (targeted, 100)
    consent(member_pass, given=False)
    assert extra([targeted, general], member_pass, merchant, now) == (general, 10)


def test_a_campaign_with_an_unknown_segment_is_skipped(area, merchant, member_pass, now):
    consent(member_pass)
    broken = make_campaign(area, now=now, kind=CampaignKind.BONUS, bonus_points=100, segment="gone")

    assert extra([broken], member_pass, merchant, now) == (None, 0)


def test_offers_show_general_campaigns_and_segment_ones_only_to_their_members(area, member_pass, now):
    general = make_campaign(area, now=now - timedelta(minutes=1), name="for all")
    targeted = make_campaign(area, now=now - timedelta(minutes=1), name="for new", segment="new")
    make_campaign(area, now=now - timedelta(minutes=1), name="for lapsed", segment="lapsed")

    assert [c.pk for c in offers_for(member_pass, now=now)] == [general.pk]
    consent(member_pass)
    assert {c.pk for c in offers_for(member_pass, now=now)} == {general.pk, targeted.pk}


def test_campaigns_between_returns_those_overlapping_the_window(area, flemish_area, now):
    inside = make_campaign(area, now=now)
    make_campaign(area, now=now, starts_at=now - timedelta(days=30), ends_at=now - timedelta(days=20))
    make_campaign(flemish_area, now=now)

    assert [c.pk for c in campaigns_between(area, now - timedelta(days=2), now)] == [inside.pk]


# --- Campaign vouchers -----------------------------------------------------------------------------------------


def test_vouchers_for_everyone_need_no_consent_and_are_issued_once(area, merchant, now):
    campaign = make_campaign(area, now=now, merchants=[merchant], funded_by=Funder.MERCHANT)
    first, second = PassFactory(area=area, now=now), PassFactory(area=area, now=now)
    manager = manager_for(area)
    issue = {"campaign": campaign, "kind": VoucherKind.FIXED, "value_cents": 250, "valid_days": 14, "by": manager}

    assert issue_campaign_vouchers(**issue, now=now) == 2
    assert issue_campaign_vouchers(**issue, now=now) == 0
    PassFactory(area=area, now=now)
    assert issue_campaign_vouchers(**issue, now=now) == 1
    assert issue_campaign_vouchers(**issue, now=now, batch="second") == 3

    vouchers = Voucher.objects.filter(campaign=campaign)
    assert {v.member_pass_id for v in vouchers} >= {first.pk, second.pk}
    voucher = vouchers.first()
    assert list(voucher.merchants.all()) == [merchant]
    assert voucher.funded_by_merchant == merchant
    assert voucher.expires_at == now + timedelta(days=14)


def test_segment_vouchers_go_only_to_consenting_members_of_the_segment(area, now):
    campaign = make_campaign(area, now=now, segment="new")
    consenting, silent = PassFactory(area=area, now=now), PassFactory(area=area, now=now)
    old = PassFactory(area=area, now=now - timedelta(days=200))
    consent(consenting)
    consent(old)

    issued = issue_campaign_vouchers(
        campaign=campaign, kind=VoucherKind.PERCENT, percent=10, valid_days=7, by=manager_for(area), now=now
    )

    assert issued == 1
    assert list(Voucher.objects.values_list("member_pass_id", flat=True)) == [consenting.pk]
    assert silent.pk != consenting.pk


def test_a_manager_of_another_area_may_not_issue_campaign_vouchers(area, flemish_area, now):
    campaign = make_campaign(area, now=now)
    with pytest.raises(NotAllowed):
        issue_campaign_vouchers(
            campaign=campaign, kind=VoucherKind.FIXED, value_cents=100, valid_days=7, by=manager_for(flemish_area)
        )

"""Campaigns: which apply at a merchant, the best one's extra points, segment targeting, campaign vouchers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.roles import Role
from areas.sectors import Sector
from areas.tests.factories import MerchantFactory, StaffMembershipFactory
from loyalty.exceptions import InvalidCampaign, NotAllowed
from loyalty.models import Campaign, CampaignKind, Funder, Voucher, VoucherKind
from loyalty.selectors import campaigns_between, offers_for
from loyalty.services import end_campaign, save_campaign
from loyalty.services.campaigns import active_campaigns, campaign_extra, issue_campaign_vouchers

from .factories import PassFactory, award, manager_for
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


# --- Running campaigns: save_campaign, end_campaign ------------------------------------------------------------


def new_campaign(area, now, **fields):
    """The fields of a valid multiplier campaign from tomorrow for a week."""
    return {
        "name": "Koopweek",
        "starts_at": now + timedelta(days=1),
        "ends_at": now + timedelta(days=8),
        "kind": CampaignKind.MULTIPLIER,
        "multiplier_permille": 1500,
        **fields,
    }


def refused(error) -> set[str]:
    return set(error.value.errors)


def test_a_manager_creates_a_campaign_of_their_area(area, merchant, now):
    manager = manager_for(area)

    campaign = save_campaign(area=area, by=manager, now=now, **new_campaign(area, now, merchants=[merchant]))

    campaign.refresh_from_db()
    assert (campaign.area, campaign.created_by, campaign.multiplier_permille) == (area, manager, 1500)
    assert campaign.bonus_points == 0 and campaign.is_active
    assert list(campaign.merchants.all()) == [merchant]


def test_only_a_manager_of_the_area_may_save_or_end_its_campaigns(area, flemish_area, merchant, now):
    owner = StaffMembershipFactory(role=Role.MERCHANT_OWNER, merchant=merchant).user
    campaign = make_campaign(area, now=now)
    for person in (manager_for(flemish_area), owner):
        with pytest.raises(NotAllowed):
            save_campaign(area=area, by=person, now=now, **new_campaign(area, now))
        with pytest.raises(NotAllowed):
            save_campaign(area=area, by=person, campaign=campaign, now=now, name="Taken over")
        with pytest.raises(NotAllowed):
            end_campaign(campaign=campaign, by=person, now=now)
    assert Campaign.objects.get().name == "Double points"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_at": "starts"}, "ends_at"),
        ({"multiplier_permille": 1000}, "multiplier_permille"),
        ({"multiplier_permille": 10_001}, "multiplier_permille"),
        ({"kind": CampaignKind.BONUS, "bonus_points": 0}, "bonus_points"),
        ({"segment": "no-such-group"}, "segment"),
        ({"sectors": ["no-such-sector"]}, "sectors"),
        ({"funded_by": "the-council"}, "funded_by"),
        ({"name": "  "}, "name"),
        ({"starts_at": "yesterday"}, "starts_at"),
    ],
)
def test_invalid_terms_are_refused_on_their_field_and_nothing_is_written(area, now, fields, field):
    values = new_campaign(area, now)
    if fields.get("ends_at") == "starts":
        fields = {"ends_at": values["starts_at"]}
    if fields.get("starts_at") == "yesterday":
        fields = {"starts_at": now - timedelta(days=1)}

    with pytest.raises(InvalidCampaign) as error:
        save_campaign(area=area, by=manager_for(area), now=now, **{**values, **fields})

    assert refused(error) == {field}
    assert not Campaign.objects.exists()


def test_a_campaign_may_start_today_but_not_before(area, now):
    today = now.replace(hour=0, minute=0)  # `now` is 14:00 in Amsterdam, the area's zone

    campaign = save_campaign(area=area, by=manager_for(area), now=now, **new_campaign(area, now, starts_at=today))
    assert campaign.starts_at == today
    with pytest.raises(InvalidCampaign) as error:
        save_campaign(
            area=area, by=manager_for(area), now=now, **new_campaign(area, now, starts_at=today - timedelta(minutes=1))
        )
    assert refused(error) == {"starts_at"}


def test_merchants_of_another_area_are_refused(area, flemish_area, merchant, now):
    elsewhere = MerchantFactory(area=flemish_area)

    with pytest.raises(InvalidCampaign) as error:
        save_campaign(
            area=area, by=manager_for(area), now=now, **new_campaign(area, now, merchants=[merchant, elsewhere])
        )

    assert refused(error) == {"merchants"}
    assert not Campaign.objects.exists()


@pytest.mark.usefixtures("english")
@pytest.mark.parametrize("where", ["whole area", "sectors only", "merchants and a sector"])
def test_a_campaign_the_merchants_pay_for_must_name_them(area, merchant, now, where):
    """The settlement charges each merchant its campaign points: the whole area or a sector would make merchants
    pay who never agreed (also those who join later)."""
    places = {
        "whole area": {},
        "sectors only": {"sectors": [Sector.FOOD_SPECIALTY]},
        "merchants and a sector": {"merchants": [merchant], "sectors": [Sector.FLOWERS]},
    }[where]
    manager = manager_for(area)

    with pytest.raises(InvalidCampaign) as error:
        save_campaign(area=area, by=manager, now=now, **new_campaign(area, now, funded_by=Funder.MERCHANT, **places))

    assert error.value.errors == {
        "funded_by": [
            "A campaign the merchants pay for must name them: choose the merchants who agreed to pay (not the whole"
            " area, and no sectors)."
        ]
    }
    assert not Campaign.objects.exists()
    # The collective may pay for any of them; the merchants for the ones named.
    save_campaign(area=area, by=manager, now=now, **new_campaign(area, now, **places))
    named = new_campaign(area, now, funded_by=Funder.MERCHANT, merchants=[merchant])
    assert save_campaign(area=area, by=manager, now=now, **named).funded_by == Funder.MERCHANT


def test_a_campaign_paid_by_the_collective_becomes_the_merchants_only_once_it_names_them(area, merchant, now):
    manager = manager_for(area)
    campaign = save_campaign(area=area, by=manager, now=now, **new_campaign(area, now))

    with pytest.raises(InvalidCampaign) as error:
        save_campaign(area=area, by=manager, campaign=campaign, now=now, funded_by=Funder.MERCHANT)
    changed = save_campaign(
        area=area, by=manager, campaign=campaign, now=now, funded_by=Funder.MERCHANT, merchants=[merchant]
    )

    assert refused(error) == {"funded_by"}
    assert changed.funded_by == Funder.MERCHANT and list(changed.merchants.all()) == [merchant]


def test_before_it_starts_everything_may_change(area, merchant, now):
    manager = manager_for(area)
    campaign = save_campaign(area=area, by=manager, now=now, **new_campaign(area, now))

    changed = save_campaign(
        area=area,
        by=manager,
        campaign=campaign,
        now=now,
        kind=CampaignKind.BONUS,
        bonus_points=50,
        starts_at=now + timedelta(days=2),
        merchants=[merchant],
        segment="new",
        funded_by=Funder.MERCHANT,
    )

    changed.refresh_from_db()
    assert (changed.kind, changed.bonus_points, changed.segment, changed.funded_by) == (
        CampaignKind.BONUS,
        50,
        "new",
        Funder.MERCHANT,
    )
    assert changed.starts_at == now + timedelta(days=2) and list(changed.merchants.all()) == [merchant]


@pytest.mark.parametrize(
    "change",
    [
        {"multiplier_permille": 3000},
        {"kind": CampaignKind.BONUS, "bonus_points": 10},
        {"min_amount_cents": 500},
        {"starts_at": "later"},
        {"merchants": "one"},
        {"sectors": [Sector.FOOD_SPECIALTY]},
        {"segment": "new"},
        {"funded_by": Funder.MERCHANT},
        {"is_active": False},
    ],
)
def test_once_started_what_decided_the_points_given_is_refused(area, merchant, now, change):
    campaign = make_campaign(area, now=now)  # started yesterday
    if change.get("starts_at") == "later":
        change = {"starts_at": now + timedelta(hours=1)}
    if change.get("merchants") == "one":
        change = {"merchants": [merchant]}

    with pytest.raises(InvalidCampaign) as error:
        save_campaign(area=area, by=manager_for(area), campaign=campaign, now=now, name="New name", **change)

    assert refused(error) == set(change)
    stored = Campaign.objects.get()
    assert (stored.name, stored.multiplier_permille, stored.starts_at) == ("Double points", 2000, campaign.starts_at)


def test_once_started_the_name_description_and_end_may_change_but_the_end_not_into_the_past(area, now):
    campaign = make_campaign(area, now=now, ends_at=now + timedelta(days=7))
    manager = manager_for(area)

    save_campaign(
        area=area,
        by=manager,
        campaign=campaign,
        now=now,
        name="Longer",
        description="Two more days",
        ends_at=now + timedelta(days=9),
    )
    save_campaign(area=area, by=manager, campaign=campaign, now=now, ends_at=now + timedelta(hours=2))
    with pytest.raises(InvalidCampaign) as error:
        save_campaign(area=area, by=manager, campaign=campaign, now=now, ends_at=now - timedelta(minutes=1))

    assert refused(error) == {"ends_at"}
    stored = Campaign.objects.get()
    assert (stored.name, stored.description, stored.ends_at) == ("Longer", "Two more days", now + timedelta(hours=2))


def test_an_ended_campaign_is_not_extended(area, now):
    campaign = make_campaign(area, now=now, starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=2))

    with pytest.raises(InvalidCampaign) as error:
        save_campaign(area=area, by=manager_for(area), campaign=campaign, now=now, ends_at=now + timedelta(days=2))

    assert refused(error) == {"ends_at"}
    assert Campaign.objects.get().ends_at == now - timedelta(days=2)


def test_a_campaign_stays_in_its_area(area, flemish_area, now):
    campaign = make_campaign(area, now=now, starts_at=now + timedelta(days=1))
    admin = StaffMembershipFactory(role=Role.PLATFORM_ADMIN).user

    with pytest.raises(InvalidCampaign) as error:
        save_campaign(area=flemish_area, by=admin, campaign=campaign, now=now, name="Moved")

    assert refused(error) == {"area"}


def test_ending_a_running_campaign_ends_it_now_and_the_till_no_longer_finds_it(area, merchant, now):
    campaign = make_campaign(area, now=now)

    ended = end_campaign(campaign=campaign, by=manager_for(area), now=now)

    assert (ended.ends_at, ended.is_active) == (now, True)
    assert Campaign.objects.get().ends_at == now
    assert active_campaigns(area_id=area.pk, merchant=merchant, now=now) == []
    assert active_campaigns(area_id=area.pk, merchant=merchant, now=now - timedelta(minutes=1)) == [campaign]


def test_ending_a_campaign_that_has_not_started_switches_it_off_and_a_second_end_changes_nothing(area, now):
    later = make_campaign(area, now=now, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=3))
    manager = manager_for(area)

    end_campaign(campaign=later, by=manager, now=now)
    end_campaign(campaign=later, by=manager, now=now + timedelta(minutes=5))

    stored = Campaign.objects.get()
    assert (stored.is_active, stored.starts_at, stored.ends_at) == (False, later.starts_at, later.ends_at)


def test_the_till_sees_an_ended_campaign_at_its_next_scan_not_a_minute_later(
    area, merchant, member_pass, cashier, now, django_capture_on_commit_callbacks
):
    campaign = make_campaign(area, now=now - timedelta(minutes=5), multiplier_permille=2000)
    scan = now.replace(second=5)  # and the next scan at :35: the same minute, the pass's next code
    first = award(merchant, member_pass, 2000, at=scan, by=cashier)  # the till keeps the minute's campaigns
    assert first.campaign_points > 0

    with django_capture_on_commit_callbacks(execute=True):
        end_campaign(campaign=campaign, by=manager_for(area), now=scan + timedelta(seconds=1))
    after = award(merchant, member_pass, 2000, at=scan + timedelta(seconds=30), by=cashier)

    assert (after.campaign_points, after.points_awarded) == (0, first.points_awarded - first.campaign_points)


def test_the_till_sees_a_new_campaign_at_its_next_scan(
    area, merchant, member_pass, cashier, now, django_capture_on_commit_callbacks
):
    scan = now.replace(second=5)  # and the next scan at :35: the same minute, the pass's next code
    assert award(merchant, member_pass, 2000, at=scan, by=cashier).campaign_points == 0

    with django_capture_on_commit_callbacks(execute=True):
        save_campaign(
            area=area, by=manager_for(area), now=scan, **new_campaign(area, now, starts_at=scan + timedelta(seconds=20))
        )

    assert award(merchant, member_pass, 2000, at=scan + timedelta(seconds=30), by=cashier).campaign_points > 0

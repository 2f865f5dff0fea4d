"""The member app's rewards, wallet and offers pages, over the real services."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, StaffMembershipFactory, UserFactory, give_totp
from loyalty import services
from loyalty.models import Campaign, Pass, Voucher
from loyalty.services.rewards import choose_reward
from loyalty.services.vouchers import group_voucher_code

from .rewards_helpers import consent, give_points, make_campaign, make_reward

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def member_pass(area) -> Pass:
    return services.join_pass(user=UserFactory(first_name="Sanne"), area=area)


@pytest.fixture
def app(client, member_pass):
    client.force_login(member_pass.member)
    return client


def test_pages_need_a_login_and_a_pass(client, area):
    for name in ("loyalty:rewards", "loyalty:wallet", "loyalty:offers"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(UserFactory())
    assert client.get(reverse("loyalty:wallet"))["Location"] == reverse("loyalty:join")


def test_the_catalogue_shows_balance_cost_value_and_stock(app, area, merchant, member_pass):
    give_points(member_pass, 120, now=timezone.now())
    make_reward(area, title="Cinnamon roll", merchant=merchant, cost_points=100, value_cents=350, stock=7)
    make_reward(area, title="Dinner", cost_points=1000, value_cents=5000)

    response = app.get(reverse("loyalty:rewards"))

    page = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
    assert "<strong>120</strong> points" in page
    assert "Cinnamon roll" in page and merchant.trade_name in page and "7" in page
    assert "You need 1000 points for this." in page


def test_choosing_asks_to_confirm_then_the_voucher_is_in_the_wallet(app, area, member_pass):
    give_points(member_pass, 120, now=timezone.now())
    reward = make_reward(area, title="Cinnamon roll", cost_points=100)
    url = reverse("loyalty:reward_choose", args=[reward.pk])

    confirm = app.get(url)
    assert "Yes, spend 100 points" in confirm.content.decode()
    assert not Voucher.objects.exists()

    key = str(uuid.uuid4())
    response = app.post(url, {"request_key": key}, follow=True)
    app.post(url, {"request_key": key})  # a double tap

    voucher = Voucher.objects.get()
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("loyalty:wallet")
    assert group_voucher_code(voucher.code) in page
    assert '<svg class="voucher__qr" role="img"' in page
    member_pass.refresh_from_db()
    assert member_pass.points_balance == 20


def test_not_enough_points_says_so(app, area, member_pass):
    reward = make_reward(area, cost_points=100)

    response = app.post(reverse("loyalty:reward_choose", args=[reward.pk]), {"request_key": uuid.uuid4()}, follow=True)

    assert "Not enough points: this reward costs 100 points and the pass has 0." in response.content.decode()
    assert not Voucher.objects.exists()


def test_a_voucher_can_be_given_back_from_the_wallet(app, area, member_pass):
    give_points(member_pass, 100, now=timezone.now())
    voucher = choose_reward(
        pass_id=member_pass.pk,
        reward_id=make_reward(area).pk,
        by=member_pass.member,
        request_key=uuid.uuid4(),
    )

    response = app.post(
        reverse("loyalty:voucher_give_back", args=[voucher.pk]), {"request_key": uuid.uuid4()}, follow=True
    )

    member_pass.refresh_from_db()
    voucher.refresh_from_db()
    assert member_pass.points_balance == 100
    assert voucher.returned_at is not None and voucher.expires_at == voucher.returned_at
    page = response.content.decode()
    assert "given back:" in page  # the message
    assert f"given back on {timezone.localdate(voucher.returned_at, area.tz):%-d %B %Y}" in page  # its history


def test_someone_else_cannot_give_my_voucher_back(client, area, member_pass):
    give_points(member_pass, 100, now=timezone.now())
    voucher = choose_reward(
        pass_id=member_pass.pk, reward_id=make_reward(area).pk, by=member_pass.member, request_key=uuid.uuid4()
    )
    other = services.join_pass(user=UserFactory(), area=area)
    client.force_login(other.member)

    client.post(reverse("loyalty:voucher_give_back", args=[voucher.pk]), {"request_key": uuid.uuid4()})

    member_pass.refresh_from_db()
    assert member_pass.points_balance == 0


def test_offers_show_segment_campaigns_only_with_consent(app, area, member_pass):
    now = timezone.now()
    make_campaign(area, now=now, name="Double points week")
    make_campaign(area, now=now, name="Welcome bonus for new members", segment="new")

    page = app.get(reverse("loyalty:offers")).content.decode()
    assert "Double points week" in page and "Welcome bonus for new members" not in page

    consent(member_pass)
    page = app.get(reverse("loyalty:offers")).content.decode()
    assert "Welcome bonus for new members" in page


def test_an_offer_ending_at_midnight_shows_its_last_day_and_any_other_its_time(app, area):
    tz = area.tz
    today = timezone.localdate(timezone=tz)
    midnight = timezone.make_aware(datetime.combine(today + timedelta(days=10), time.min), tz)
    make_campaign(area, now=timezone.now(), name="Cheese week", ends_at=midnight)
    make_campaign(area, now=timezone.now(), name="Late night", ends_at=midnight + timedelta(days=1, hours=22))

    page = app.get(reverse("loyalty:offers")).content.decode()

    last_day = today + timedelta(days=9)
    assert f"<dt>Last day</dt><dd>{last_day.day} {last_day:%B %Y}</dd>" in page
    end = today + timedelta(days=11)
    assert f"<dt>Until</dt><dd>{end.day} {end:%B %Y}, 22:00</dd>" in page


def test_the_pass_screen_links_to_the_new_pages(app):
    page = app.get(reverse("loyalty:pass")).content.decode()
    for name in ("loyalty:rewards", "loyalty:wallet", "loyalty:offers"):
        assert reverse(name) in page


def test_the_wallet_page_takes_a_fixed_number_of_queries(app, area, member_pass, django_assert_max_num_queries):
    give_points(member_pass, 1000, now=timezone.now() - timedelta(seconds=1))
    for index in range(5):
        choose_reward(
            pass_id=member_pass.pk,
            reward_id=make_reward(area, title=f"R{index}").pk,
            by=member_pass.member,
            request_key=uuid.uuid4(),
        )
    with django_assert_max_num_queries(12):
        assert app.get(reverse("loyalty:wallet")).status_code == 200


# --- Management (Django admin) ---------------------------------------------------------------------------------


@pytest.fixture
def manager_client(client, area):
    manager = StaffMembershipFactory(role=Role.AREA_MANAGER, area=area, merchant=None).user
    manager.is_staff = True
    manager.save()
    give_totp(manager)
    client.force_login(manager)
    return client


def campaign_form(area, merchants=(), **fields) -> dict:
    # From tomorrow: a campaign cannot start in the past (services.check_campaign).
    first = timezone.localdate(timezone=area.tz) + timedelta(days=1)
    return {
        "area": area.pk,
        "name": "Autumn",
        "description": "",
        "starts_at_0": first.isoformat(),
        "starts_at_1": "09:00",
        "ends_at_0": (first + timedelta(days=30)).isoformat(),
        "ends_at_1": "18:00",
        "kind": "multiplier",
        "multiplier_permille": "2000",
        "bonus_points": "0",
        "min_amount_cents": "0",
        "merchants": [m.pk for m in merchants],
        "segment": "",
        "funded_by": "collective",
        "is_active": "on",
        **fields,
    }


def test_a_manager_adds_a_campaign_in_their_area(manager_client, area, merchant):
    response = manager_client.post(
        reverse("admin:loyalty_campaign_add"), campaign_form(area, [merchant], segment="regular", sectors=["fashion"])
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    campaign = Campaign.objects.get()
    assert (campaign.segment, campaign.sectors, list(campaign.merchants.all())) == ("regular", ["fashion"], [merchant])
    assert campaign.created_by is not None


@pytest.mark.parametrize(
    "fields",
    [
        {"ends_at_0": "2000-01-01"},
        {"kind": "bonus", "bonus_points": "0"},
        {"multiplier_permille": "1000"},
        {"segment": "everyone_i_like"},
    ],
)
def test_the_campaign_form_refuses_what_makes_no_sense(manager_client, area, fields):
    response = manager_client.post(reverse("admin:loyalty_campaign_add"), campaign_form(area, **fields))

    assert response.status_code == 200
    assert not Campaign.objects.exists()


def test_a_manager_cannot_use_another_area_or_its_merchants(manager_client, area, flemish_area):
    elsewhere = MerchantFactory(area=flemish_area)
    manager_client.post(reverse("admin:loyalty_campaign_add"), campaign_form(area, [elsewhere]))
    manager_client.post(reverse("admin:loyalty_campaign_add"), campaign_form(flemish_area))

    assert not Campaign.objects.exists()


def test_rewards_are_managed_and_vouchers_are_read_only(manager_client, area, member_pass):
    give_points(member_pass, 100, now=timezone.now())
    reward = make_reward(area)
    voucher = choose_reward(
        pass_id=member_pass.pk, reward_id=reward.pk, by=member_pass.member, request_key=uuid.uuid4()
    )
    for name in ("campaign", "reward", "voucher"):
        assert manager_client.get(reverse(f"admin:loyalty_{name}_changelist")).status_code == 200
    assert manager_client.get(reverse("admin:loyalty_reward_change", args=[reward.pk])).status_code == 200
    page = manager_client.get(reverse("admin:loyalty_voucher_change", args=[voucher.pk]))
    assert page.status_code == 200 and 'name="value_cents"' not in page.content.decode()
    assert manager_client.get(reverse("admin:loyalty_voucher_add")).status_code == 403
    found = manager_client.get(reverse("admin:loyalty_voucher_changelist"), {"q": group_voucher_code(voucher.code)})
    assert voucher.code[:4] in found.content.decode()

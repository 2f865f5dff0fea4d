"""The rewards catalogue's pages for the area's manager (/<lang>/beloningen/): new, change, switch off and on; who
may see which area; the list's groups and counts. Pages are read in English (the tests request /en/ URLs) unless a
test says otherwise."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from areas.models import MerchantStatus
from areas.tests.factories import MerchantFactory, ShoppingAreaFactory, StaffMembershipFactory, UserFactory
from loyalty import services
from loyalty.exceptions import RewardNotAvailable
from loyalty.models import Reward, Voucher
from loyalty.services.rewards import choose_reward

from .factories import PassFactory, award, cashier_for, person_with
from .rewards_helpers import give_points, make_reward
from .test_campaign_views import midnight, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def manager(manager, client):
    """The area's manager, logged in."""
    client.force_login(manager)
    return manager


def form_data(**fields) -> dict:
    """A valid new reward: 100 points for € 12,50 at the till, from the collective, no limit, always."""
    return {
        "title": "Lunch",
        "description": "",
        "cost_points": "100",
        "value": "12,50",
        "merchant": "",
        "stock": "",
        "first_day": "",
        "last_day": "",
        "voucher_valid_days": "90",
        **fields,
    }


def section(page: str, name: str) -> str:
    """The part of the list page under one heading (available, upcoming, off)."""
    match = re.search(rf'<section class="rewards" id="{name}".*?</section>', page, re.S)
    assert match, name
    return match.group(0)


def member_with_points(area, points: int):
    member_pass = services.join_pass(user=UserFactory(), area=area)
    give_points(member_pass, points, now=timezone.now())
    return member_pass


def choose(member_pass, reward):
    return choose_reward(pass_id=member_pass.pk, reward_id=reward.pk, by=member_pass.member, request_key=uuid.uuid4())


# --- Creating ------------------------------------------------------------------------------------------------


def test_a_manager_adds_a_merchants_reward_in_euros_days_and_a_stock(client, area, merchant, manager):
    first = today(area) + timedelta(days=1)
    data = form_data(
        merchant=merchant.pk,
        stock="25",
        first_day=first.isoformat(),
        last_day=(first + timedelta(days=13)).isoformat(),
        voucher_valid_days="30",
        description="Een lunch naar keuze",
    )

    response = client.post(reverse("loyalty:reward_create", args=[area.slug]), data, follow=True)

    assert response.redirect_chain == [(reverse("loyalty:manage_rewards", args=[area.slug]), 302)]
    reward = Reward.objects.get()
    assert (reward.area, reward.title, reward.description, reward.merchant) == (
        area,
        "Lunch",
        "Een lunch naar keuze",
        merchant,
    )
    assert (reward.cost_points, reward.value_cents, reward.stock, reward.voucher_valid_days) == (100, 1250, 25, 30)
    # The first day's midnight to the midnight after the last day, in the area's zone.
    assert reward.valid_from == midnight(first, area)
    assert reward.valid_until == midnight(first + timedelta(days=14), area)
    assert reward.is_active
    page = response.content.decode()
    assert "Reward “Lunch” is saved." in page
    assert "Lunch" in section(page, "upcoming")


def test_a_collective_reward_without_limits_is_available_at_once(client, area, manager, member_pass_page):
    assert client.post(reverse("loyalty:reward_create", args=[area.slug]), form_data()).status_code == 302

    reward = Reward.objects.get()
    assert (reward.merchant, reward.stock, reward.valid_from, reward.valid_until) == (None, None, None, None)
    page = client.get(reverse("loyalty:manage_rewards", args=[area.slug])).content.decode()
    assert "Lunch" in section(page, "available")
    # and the member sees it in the app's catalogue
    assert "Lunch" in member_pass_page().content.decode()


@pytest.fixture
def member_pass_page(area, django_user_model):
    """A member of the area with points; calling it reads their catalogue page in the app."""
    from django.test import Client

    member_pass = member_with_points(area, 500)

    def read():
        member = Client()
        member.force_login(member_pass.member)
        return member.get(reverse("loyalty:rewards"))

    read.member_pass = member_pass
    return read


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"title": "   "}, "title", "This field is required."),
        ({"cost_points": "0"}, "cost_points", "A reward costs at least 1 point."),
        ({"cost_points": "-5"}, "cost_points", "A reward costs at least 1 point."),
        ({"cost_points": "veel"}, "cost_points", "Enter a whole number."),
        ({"value": "tien"}, "value", "Enter the amount in euros"),
        ({"value": "0"}, "value", "The amount must be more than"),
        ({"value": ""}, "value", "This field is required."),
        ({"stock": "-1"}, "stock", "The stock cannot be below zero. Leave it empty for no limit."),
        ({"voucher_valid_days": "0"}, "voucher_valid_days", "A reward's voucher is valid for at least 1 day."),
        ({"last_day": "before"}, "last_day", "The reward must end after it starts."),
        ({"first_day": "31-02-2027"}, "first_day", "Enter a valid date."),
    ],
)
def test_invalid_input_is_shown_again_with_its_error_and_nothing_is_written(
    client, area, manager, fields, field, message
):
    data = {**form_data(title="Lunch voor twee"), **fields}
    if fields.get("last_day") == "before":
        data["first_day"] = today(area).isoformat()
        data["last_day"] = (today(area) - timedelta(days=1)).isoformat()

    response = client.post(reverse("loyalty:reward_create", args=[area.slug]), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert errors[field][0].startswith(message)
    page = response.content.decode()
    assert "The reward is not saved yet." in page
    if fields.get("title") is None:
        assert 'value="Lunch voor twee"' in page  # what was typed comes back
    assert not Reward.objects.exists()


def test_a_merchant_of_another_area_cannot_be_chosen(client, area, manager):
    elsewhere = MerchantFactory(area=ShoppingAreaFactory(), trade_name="Elders")

    response = client.post(reverse("loyalty:reward_create", args=[area.slug]), form_data(merchant=elsewhere.pk))

    assert response.status_code == 400
    assert response.context["form"].errors["merchant"] == ["Choose a merchant of this shopping area."]
    assert not Reward.objects.exists()


def test_errors_are_in_the_managers_language(client, area, manager):
    with translation.override("nl"):
        url = reverse("loyalty:reward_create", args=[area.slug])
        response = client.post(url, form_data(cost_points="0", stock="-2"))

    assert url.startswith("/nl/beloningen/")
    assert response.status_code == 400
    page = response.content.decode()
    assert "De beloning is nog niet opgeslagen." in page
    assert "Een beloning kost minstens 1 punt." in page


def test_the_form_offers_the_areas_merchants_or_the_collective(client, area, merchant, manager):
    MerchantFactory(area=ShoppingAreaFactory(), trade_name="Elders")
    MerchantFactory(area=area, trade_name="Vertrokken", status=MerchantStatus.LEFT)

    response = client.get(reverse("loyalty:reward_create", args=[area.slug]))

    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache"
    assert f'value="{merchant.pk}"' in page and merchant.trade_name in page
    assert "Elders" not in page and "Vertrokken" not in page
    assert "The collective (valid at every merchant)" in page
    assert page.count('type="date"') == 2 and 'inputmode="decimal"' in page
    assert 'name="voucher_valid_days" value="90"' in page


# --- Changing ------------------------------------------------------------------------------------------------


def test_changing_shows_the_reward_as_typed_and_saves_what_changed(client, area, merchant, manager):
    reward = make_reward(
        area,
        title="Taart",
        merchant=merchant,
        value_cents=1250,
        stock=8,
        valid_from=midnight(today(area), area),
        valid_until=midnight(today(area) + timedelta(days=10), area),
    )
    url = reverse("loyalty:reward_edit", args=[reward.pk])

    page = client.get(url).content.decode()
    assert 'value="12.50"' in page and 'value="Taart"' in page and 'name="stock" value="8"' in page
    assert f'value="{(today(area) + timedelta(days=9)).isoformat()}"' in page  # the last day, not the midnight after

    data = form_data(
        title="Appeltaart",
        value="15",
        merchant=merchant.pk,
        stock="8",
        first_day=today(area).isoformat(),
        last_day=(today(area) + timedelta(days=9)).isoformat(),
    )
    assert client.post(url, data).status_code == 302

    reward.refresh_from_db()
    assert (reward.title, reward.value_cents, reward.stock, reward.merchant) == ("Appeltaart", 1500, 8, merchant)
    assert reward.valid_until == midnight(today(area) + timedelta(days=10), area)


def test_a_stock_left_alone_is_not_written_over_a_members_choice(client, area, manager):
    # given: the manager opens the form with 5 in stock, then a member chooses one
    reward = make_reward(area, stock=5)
    url = reverse("loyalty:reward_edit", args=[reward.pk])
    page = client.get(url).content.decode()
    assert 'name="stock" value="5"' in page and 'name="initial-stock" value="5"' in page
    choose(member_with_points(area, 100), reward)

    # when: the manager saves a new title, the stock field still saying 5 (and the page's hidden copy of it)
    client.post(url, form_data(title="Cappuccino", cost_points="100", value="5", stock="5", **{"initial-stock": "5"}))

    # then
    reward.refresh_from_db()
    assert (reward.title, reward.stock) == ("Cappuccino", 4)


def test_vouchers_already_chosen_keep_their_value_and_expiry(client, area, manager):
    reward = make_reward(area, value_cents=500, voucher_valid_days=30)
    voucher = choose(member_with_points(area, 100), reward)

    data = form_data(title="Coffee", value="9,00", voucher_valid_days="3")
    assert client.post(reverse("loyalty:reward_edit", args=[reward.pk]), data).status_code == 302

    reward.refresh_from_db()
    before = (voucher.value_cents, voucher.expires_at)
    voucher.refresh_from_db()
    assert (reward.value_cents, reward.voucher_valid_days) == (900, 3)
    assert (voucher.value_cents, voucher.expires_at) == before == (500, voucher.issued_at + timedelta(days=30))


def test_once_chosen_the_funder_is_fixed_and_the_page_says_why(client, area, merchant, manager):
    reward = make_reward(area, merchant=merchant)
    choose(member_with_points(area, 100), reward)
    other = MerchantFactory(area=area)

    response = client.post(
        reverse("loyalty:reward_edit", args=[reward.pk]), form_data(title="Coffee", value="5", merchant=other.pk)
    )

    assert response.status_code == 400
    assert response.context["form"].errors["merchant"][0].startswith("Who funds this reward cannot change any more")
    reward.refresh_from_db()
    assert reward.merchant == merchant


# --- Switching off and on ------------------------------------------------------------------------------------


def test_switching_off_asks_first_then_the_member_no_longer_sees_or_gets_it(client, area, manager, member_pass_page):
    reward = make_reward(area, title="Bioscoop")
    voucher = choose(member_pass_page.member_pass, reward)
    url = reverse("loyalty:reward_switch_off", args=[reward.pk])

    confirm = client.get(url)
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "Yes, switch it off" in page
    assert "The 1 voucher members chose and have not used yet stays valid until it expires." in page
    assert Reward.objects.get().is_active

    response = client.post(url, follow=True)

    assert not Reward.objects.get().is_active
    page = response.content.decode()
    assert "Reward “Bioscoop” is switched off. Members no longer see it in the catalogue." in page
    assert "Bioscoop" in section(page, "off") and "Bioscoop" not in section(page, "available")
    assert reverse("loyalty:reward_switch_on", args=[reward.pk]) in section(page, "off")
    # the member's catalogue and choosing
    assert "Bioscoop" not in member_pass_page().content.decode()
    with pytest.raises(RewardNotAvailable):
        choose(member_pass_page.member_pass, reward)
    assert Voucher.objects.get().pk == voucher.pk  # the one chosen before stays


def test_switching_back_on_puts_it_back_in_the_catalogue(client, area, manager, member_pass_page):
    reward = make_reward(area, title="Bioscoop", is_active=False)
    url = reverse("loyalty:reward_switch_on", args=[reward.pk])
    assert "Yes, switch it on" in client.get(url).content.decode()

    response = client.post(url, follow=True)

    assert Reward.objects.get().is_active
    page = response.content.decode()
    assert "Reward “Bioscoop” is switched on again." in page and "Bioscoop" in section(page, "available")
    assert "Bioscoop" in member_pass_page().content.decode()
    assert choose(member_pass_page.member_pass, reward).reward_id == reward.pk


def test_switching_on_an_ended_reward_warns_that_its_last_day_has_passed(client, area, manager):
    now = timezone.now()
    reward = make_reward(area, is_active=False, valid_from=now - timedelta(days=9), valid_until=now - timedelta(1))

    page = client.get(reverse("loyalty:reward_switch_on", args=[reward.pk])).content.decode()

    assert "Its last day has passed" in page


def test_switching_is_a_post(client, area, manager):
    reward = make_reward(area)
    assert client.put(reverse("loyalty:reward_switch_off", args=[reward.pk])).status_code == 405
    assert Reward.objects.get().is_active


# --- Who may ------------------------------------------------------------------------------------------------------


def _pages(area, reward) -> list[str]:
    return [
        reverse("loyalty:manage_rewards", args=[area.slug]),
        reverse("loyalty:reward_create", args=[area.slug]),
        reverse("loyalty:reward_edit", args=[reward.pk]),
        reverse("loyalty:reward_switch_off", args=[reward.pk]),
        reverse("loyalty:reward_switch_on", args=[reward.pk]),
    ]


def _assert_nothing_changed(reward):
    reward.refresh_from_db()
    assert (Reward.objects.count(), reward.title, reward.is_active) == (1, "Coffee", True)


def test_the_areas_manager_and_a_platform_admin_may_open_every_page(client, area, merchant, manager):
    reward = make_reward(area, merchant=merchant)
    for person in (manager, person_with(Role.PLATFORM_ADMIN)):
        client.force_login(person)
        for url in _pages(area, reward):
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["Cache-Control"] == "private, no-cache", url


def test_another_areas_manager_merchants_people_and_members_get_404_and_change_nothing(client, area, merchant):
    # The merchant funds the reward, and still may not see the area's catalogue: it is the collective's.
    reward = make_reward(area, merchant=merchant)
    member = PassFactory(area=area).member
    people = [
        person_with(Role.AREA_MANAGER, area=ShoppingAreaFactory()),
        person_with(Role.MERCHANT_OWNER, merchant=merchant),
        person_with(Role.MERCHANT_STAFF, merchant=merchant),
        member,
    ]
    for person in people:
        client.force_login(person)
        for url in _pages(area, reward):
            assert client.get(url).status_code == 404, (person, url)
        for url in _pages(area, reward)[1:]:
            assert client.post(url, form_data(title="Overgenomen")).status_code == 404, (person, url)
        if person is not people[0]:  # the other manager's start goes to their own area
            assert client.get(reverse("loyalty:manage_rewards_start")).status_code == 403
    _assert_nothing_changed(reward)


def test_parcel_staff_may_view_the_area_but_get_403_and_change_nothing(client, area):
    reward = make_reward(area)
    client.force_login(person_with(Role.PARCEL_STAFF, area=area))
    assert client.get(reverse("loyalty:manage_rewards_start")).status_code == 403
    for url in _pages(area, reward):
        assert client.get(url).status_code == 403, url
    for url in _pages(area, reward)[1:]:
        assert client.post(url, form_data(title="Overgenomen")).status_code == 403, url
    _assert_nothing_changed(reward)


def test_visitors_are_sent_to_log_in_and_change_nothing(client, area):
    reward = make_reward(area)
    for url in [reverse("loyalty:manage_rewards_start"), *_pages(area, reward)]:
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"], url
        assert client.post(url, form_data(title="Overgenomen")).status_code == 302, url
    _assert_nothing_changed(reward)


def test_the_start_goes_to_the_managers_area_or_asks_which(client, area, flemish_area):
    manager = person_with(Role.AREA_MANAGER, area=area)
    client.force_login(manager)
    response = client.get(reverse("loyalty:manage_rewards_start"))
    assert response.status_code == 302
    assert response["Location"] == reverse("loyalty:manage_rewards", args=[area.slug])

    StaffMembershipFactory(role=Role.AREA_MANAGER, area=flemish_area, user=manager)
    page = client.get(reverse("loyalty:manage_rewards_start"))
    assert page.status_code == 200
    assert reverse("loyalty:manage_rewards", args=[flemish_area.slug]) in page.content.decode()


def test_the_rewards_entry_shows_for_managers_only(client, area, merchant):
    start = reverse("loyalty:manage_rewards_start")
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    page = client.get(reverse("loyalty:campaigns_start"), follow=True).content.decode()
    assert f'href="{start}"' in page
    client.force_login(person_with(Role.MERCHANT_OWNER, merchant=merchant))
    assert f'href="{start}"' not in client.get(reverse("loyalty:settlement_start"), follow=True).content.decode()


# --- The list ------------------------------------------------------------------------------------------------------


def test_the_list_groups_the_catalogue_and_says_what_each_reward_is(client, area, merchant, manager):
    now = timezone.now()
    last_day = today(area) + timedelta(days=3)
    make_reward(
        area,
        title="Taart",
        merchant=merchant,
        cost_points=250,
        value_cents=123456,
        stock=7,
        valid_until=midnight(last_day + timedelta(days=1), area),
    )
    make_reward(area, title="Later", valid_from=now + timedelta(days=2))
    make_reward(area, title="Uit", is_active=False)
    make_reward(area, title="Op", stock=0)
    make_reward(area, title="Voorbij", valid_from=now - timedelta(days=9), valid_until=now - timedelta(days=2))
    make_reward(ShoppingAreaFactory(), title="Elders")

    response = client.get(reverse("loyalty:manage_rewards", args=[area.slug]))

    assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache"
    page = response.content.decode()
    available, upcoming, off = section(page, "available"), section(page, "upcoming"), section(page, "off")
    assert "Taart" in available and "Later" in upcoming
    assert all(title in off for title in ("Uit", "Op", "Voorbij"))
    assert "Taart" not in upcoming + off and "Later" not in available + off and "Uit" not in available + upcoming
    assert "Elders" not in page
    # cost, value at the till, funder, stock, period
    assert "250 points" in available and "€1,234.56" in available
    assert merchant.trade_name in available and "7" in available
    assert "Last day" in available and f"{last_day.day} {last_day:%B %Y}" in available
    assert "The collective" in upcoming and "No limit" in upcoming
    assert "Switched off" in off and "Sold out" in off and "Ended" in off
    assert reverse("loyalty:reward_create", args=[area.slug]) in page


def test_the_list_counts_the_vouchers_chosen_used_and_given_back(client, area, merchant, manager):
    reward = make_reward(area, title="Koffie", cost_points=10, stock=5)
    make_reward(area, title="Thee", cost_points=10)
    used_pass, online_pass, back_pass = (member_with_points(area, 100) for _ in range(3))
    used = choose(used_pass, reward)
    choose(member_with_points(area, 100), reward)
    award(merchant, used_pass, 1000, at=timezone.now(), by=cashier_for(merchant), voucher_code=used.code)
    services.online.redeem_voucher_online(choose(online_pass, reward), order_ref="W-1001", now=timezone.now())
    given_back = choose(back_pass, reward)
    services.rewards.cancel_reward_voucher(voucher_id=given_back.pk, by=back_pass.member, request_key=uuid.uuid4())

    page = client.get(reverse("loyalty:manage_rewards", args=[area.slug])).content.decode()

    koffie = re.search(rf"<article[^>]*reward-{reward.pk}.*?</article>", page, re.S).group(0)
    assert "3 vouchers, 2 used at a till or in the webshop" in koffie and "Stock left</dt><dd>2" in koffie
    assert "1 more given back for its points" in koffie
    assert "0 vouchers, 0 used at a till or in the webshop" in page and page.count("given back") == 1


def test_the_list_reads_the_same_number_of_queries_however_many_rewards(client, area, merchant, manager):
    url = reverse("loyalty:manage_rewards", args=[area.slug])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make_reward(area, title="A", merchant=merchant)
    make_reward(area, title="U", valid_from=timezone.now() + timedelta(days=1))
    make_reward(area, title="O", is_active=False)
    queries()  # the first request of a session fills caches (the site, the navigation) the others read
    few = queries()
    for index in range(4):
        reward = make_reward(area, title=f"A{index}", merchant=MerchantFactory(area=area), cost_points=10)
        choose(member_with_points(area, 10), reward)
        make_reward(area, title=f"O{index}", is_active=False)
    assert queries() == few

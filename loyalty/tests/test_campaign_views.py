"""Campaign pages (/<lang>/campagnes/): the area's manager creates, changes and ends campaigns and issues their
vouchers; who may see which area; the list's groups. Pages are read in English (the tests request /en/ URLs)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from areas.tests.factories import MerchantFactory, ShoppingAreaFactory, StaffMembershipFactory
from loyalty.models import Campaign, CampaignKind, Funder, Voucher, VoucherKind

from .factories import PassFactory, person_with
from .rewards_helpers import make_campaign

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def manager(manager, client):
    """The area's manager, logged in."""
    client.force_login(manager)
    return manager


def today(area):
    return timezone.localdate(timezone=area.tz)


def midnight(day, area) -> datetime:
    return datetime.combine(day, time.min).replace(tzinfo=area.tz)


def form_data(area, **fields) -> dict:
    """A valid new campaign: ×1.5 from tomorrow for a week, at every merchant, for everyone."""
    first = today(area) + timedelta(days=1)
    return {
        "name": "Koopweek",
        "description": "",
        "first_day": first.isoformat(),
        "last_day": (first + timedelta(days=6)).isoformat(),
        "kind": CampaignKind.MULTIPLIER,
        "multiplier": "1,5",
        "bonus_points": "",
        "min_amount": "",
        "segment": "",
        "funded_by": Funder.COLLECTIVE,
        **fields,
    }


def section(page: str, name: str) -> str:
    """The part of the list page under one heading (running, upcoming, ended)."""
    match = re.search(rf'<section class="campaigns" id="{name}".*?</section>', page, re.S)
    assert match, name
    return match.group(0)


# --- Creating ------------------------------------------------------------------------------------------------


def test_a_manager_creates_a_campaign_in_days_and_a_factor(client, area, merchant, manager):
    data = form_data(area, merchants=[merchant.pk], min_amount="10", description="Anderhalf keer zoveel punten")

    response = client.post(reverse("loyalty:campaign_create", args=[area.slug]), data, follow=True)

    assert response.redirect_chain == [(reverse("loyalty:campaigns", args=[area.slug]), 302)]
    campaign = Campaign.objects.get()
    first = today(area) + timedelta(days=1)
    assert campaign.multiplier_permille == 1500 and campaign.kind == CampaignKind.MULTIPLIER
    # The first day's midnight to the midnight after the last day, in the area's zone.
    assert campaign.starts_at == midnight(first, area)
    assert campaign.ends_at == midnight(first + timedelta(days=7), area)
    assert campaign.min_amount_cents == 1000 and list(campaign.merchants.all()) == [merchant]
    assert (campaign.area, campaign.created_by, campaign.is_active) == (area, manager, True)
    page = response.content.decode()
    assert "Campaign “Koopweek” is saved." in page
    assert "Koopweek" in section(page, "upcoming")


def test_a_bonus_campaign_for_a_segment_in_sectors(client, area, manager):
    data = form_data(
        area, kind=CampaignKind.BONUS, multiplier="", bonus_points="50", sectors=["food_specialty", "flowers"]
    )
    data["segment"] = "new"

    assert client.post(reverse("loyalty:campaign_create", args=[area.slug]), data).status_code == 302

    campaign = Campaign.objects.get()
    assert (campaign.kind, campaign.bonus_points, campaign.segment, campaign.funded_by) == (
        CampaignKind.BONUS,
        50,
        "new",
        Funder.COLLECTIVE,
    )
    assert sorted(campaign.sectors) == ["flowers", "food_specialty"]


def test_a_campaign_the_merchants_pay_for_names_the_merchants_who_agreed(client, area, merchant, manager):
    url = reverse("loyalty:campaign_create", args=[area.slug])
    paid = {"funded_by": Funder.MERCHANT, "name": "Bakkersweek"}
    whole_area = client.post(url, form_data(area, **paid))
    sectors_only = client.post(url, form_data(area, sectors=["food_specialty"], **paid))
    and_a_sector = client.post(url, form_data(area, merchants=[merchant.pk], sectors=["flowers"], **paid))

    message = (
        "A campaign the merchants pay for must name them: choose the merchants who agreed to pay (not the whole area,"
        " and no sectors)."
    )
    for response in (whole_area, sectors_only, and_a_sector):
        assert response.status_code == 400
        assert response.context["form"].errors == {"funded_by": [message]}
    assert not Campaign.objects.exists()

    named = client.post(url, form_data(area, merchants=[merchant.pk], **paid))

    assert named.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.funded_by == Funder.MERCHANT and list(campaign.merchants.all()) == [merchant]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"last_day": "before"}, "last_day", "The campaign must end after it starts."),
        ({"multiplier": "1"}, "multiplier", "A multiplier campaign needs a factor above 1"),
        ({"multiplier": "twee"}, "multiplier", "Enter a factor such as 1.5 or 2 or 3."),
        ({"multiplier": "1000"}, "multiplier", "A multiplier campaign needs a factor above 1 and at most 10"),
        ({"kind": CampaignKind.BONUS, "bonus_points": "0"}, "bonus_points", "Enter a number from 1 to 100,000."),
        ({"kind": CampaignKind.BONUS, "bonus_points": ""}, "bonus_points", "A bonus campaign needs a number"),
        ({"first_day": "yesterday"}, "first_day", "A campaign cannot start in the past"),
        ({"name": ""}, "name", "This field is required."),
        ({"min_amount": "tien"}, "min_amount", "Enter the amount in euros"),
        ({"segment": "nobody"}, "segment", "Select a valid choice."),
    ],
)
def test_invalid_input_is_refused_on_its_field_and_nothing_is_written(client, area, manager, fields, field, message):
    data = form_data(area, **fields)
    if fields.get("last_day") == "before":
        data["last_day"] = (today(area) - timedelta(days=1)).isoformat()
        data["first_day"] = today(area).isoformat()
    if fields.get("first_day") == "yesterday":
        data["first_day"] = (today(area) - timedelta(days=1)).isoformat()

    response = client.post(reverse("loyalty:campaign_create", args=[area.slug]), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert errors[field][0].startswith(message)
    assert "The campaign is not saved yet." in response.content.decode()
    assert not Campaign.objects.exists()


def test_every_mistake_is_shown_in_one_round(client, area, manager):
    """A factor that is no number (the form's) and a last day before the first (the campaign's rules): both at
    once, not the second only after the first is put right."""
    data = form_data(area, multiplier="twee", first_day=today(area).isoformat())
    data["last_day"] = (today(area) - timedelta(days=1)).isoformat()

    response = client.post(reverse("loyalty:campaign_create", args=[area.slug]), data)

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert sorted(errors) == ["last_day", "multiplier"]
    assert errors["multiplier"] == ["Enter a factor such as 1.5 or 2 or 3."]
    assert errors["last_day"] == ["The campaign must end after it starts."]
    assert not Campaign.objects.exists()


def test_groups_of_members_that_sound_alike_are_told_apart_by_their_source(client, area, manager):
    response = client.get(reverse("loyalty:campaign_create", args=[area.slug]))

    everyone, *groups = response.context["form"].fields["segment"].choices
    assert everyone == ("", "Every member")
    by_source = {str(source): [code for code, _label in choices] for source, choices in groups}
    assert by_source["From purchases at the tills (up to date at every purchase)"] == [
        "new",
        "regular",
        "at_risk",
        "lapsed",
    ]
    analytics_group = "From the analytics profiles of visits (one group per member, updated at each analytics run)"
    analytics = by_source[analytics_group]
    assert "rfm_new" in analytics and "rfm_lapsed" in analytics
    page = response.content.decode()
    assert '<optgroup label="From purchases at the tills (up to date at every purchase)">' in page
    assert f'<optgroup label="{analytics_group}">' in page
    # Who is in each, under the field: "new" is about the pass, not the first visit.
    assert "Who is in each group?" in page
    assert "Their pass is at most 90 days old, whether they bought something yet or not." in page
    assert "Their first visit was less than 90 days ago." in page
    # A stored campaign's segment keeps its meaning: the same code, the same members.
    assert ("new", "New members (joined in the last 90 days)") in groups[0][1]


def test_a_merchant_of_another_area_is_refused(client, area, merchant, manager):
    elsewhere = MerchantFactory(area=ShoppingAreaFactory())

    response = client.post(
        reverse("loyalty:campaign_create", args=[area.slug]), form_data(area, merchants=[merchant.pk, elsewhere.pk])
    )

    assert response.status_code == 400
    assert response.context["form"].errors["merchants"] == ["Choose merchants of this shopping area."]
    assert not Campaign.objects.exists()


def test_the_form_offers_the_areas_merchants_sectors_and_groups(client, area, merchant, manager):
    elsewhere = MerchantFactory(area=ShoppingAreaFactory(), trade_name="Elders")

    page = client.get(reverse("loyalty:campaign_create", args=[area.slug])).content.decode()

    assert f'value="{merchant.pk}"' in page and merchant.trade_name in page
    assert elsewhere.trade_name not in page
    assert 'type="date"' in page and 'name="multiplier"' in page and 'value="2"' in page
    assert "only the members in it who agreed to receive offers chosen for them" in page
    assert "counts from the next scan at the tills" in page


# --- Changing ------------------------------------------------------------------------------------------------


def test_before_it_starts_a_campaign_changes_entirely(client, area, merchant, manager):
    now = timezone.now()
    campaign = make_campaign(area, now=now, starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=5))
    first = today(area) + timedelta(days=3)
    data = form_data(
        area,
        name="Later",
        first_day=first.isoformat(),
        last_day=first.isoformat(),
        multiplier="3",
        merchants=[merchant.pk],
    )

    assert client.post(reverse("loyalty:campaign_edit", args=[campaign.pk]), data).status_code == 302

    campaign.refresh_from_db()
    assert (campaign.name, campaign.multiplier_permille) == ("Later", 3000)
    assert (campaign.starts_at, campaign.ends_at) == (midnight(first, area), midnight(first + timedelta(days=1), area))
    assert list(campaign.merchants.all()) == [merchant]


def test_a_started_campaign_shows_its_terms_locked_and_changes_only_name_description_and_last_day(
    client, area, merchant, manager
):
    now = timezone.now()
    campaign = make_campaign(area, now=now, ends_at=midnight(today(area) + timedelta(days=3), area))
    url = reverse("loyalty:campaign_edit", args=[campaign.pk])

    page = client.get(url).content.decode()
    assert "This campaign has started" in page
    assert re.search(r'<input type="text" name="multiplier" value="2"[^>]*disabled', page)
    assert not re.search(r'<input type="text" name="name"[^>]*disabled', page)

    # the locked fields are sent changed (as a tampered form would): they are ignored, the rest is saved
    new_last = today(area) + timedelta(days=9)
    data = form_data(area, name="Langer", last_day=new_last.isoformat(), multiplier="5", merchants=[merchant.pk])
    assert client.post(url, data).status_code == 302

    campaign.refresh_from_db()
    assert (campaign.name, campaign.multiplier_permille) == ("Langer", 2000)
    assert campaign.ends_at == midnight(new_last + timedelta(days=1), area)
    assert campaign.starts_at == now - timedelta(days=1) and not campaign.merchants.exists()


def test_a_started_campaign_cannot_end_before_today(client, area, manager):
    now = timezone.now()
    campaign = make_campaign(area, now=now, starts_at=now - timedelta(days=5))
    data = form_data(area, last_day=(today(area) - timedelta(days=1)).isoformat())

    response = client.post(reverse("loyalty:campaign_edit", args=[campaign.pk]), data)

    assert response.status_code == 400
    assert response.context["form"].errors["last_day"] == [
        "The end cannot be in the past. To stop the campaign now, end it."
    ]
    campaign.refresh_from_db()
    assert campaign.ends_at == now + timedelta(days=7)


# --- Ending ------------------------------------------------------------------------------------------------------


def test_end_now_asks_first_then_ends_the_running_campaign(client, area, manager):
    now = timezone.now()
    campaign = make_campaign(area, now=now, name="Zomer")
    url = reverse("loyalty:campaign_end", args=[campaign.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200 and "Yes, end the campaign now" in confirm.content.decode()
    campaign.refresh_from_db()
    assert campaign.ends_at == now + timedelta(days=7)

    response = client.post(url, follow=True)

    campaign.refresh_from_db()
    assert now < campaign.ends_at <= timezone.now() and campaign.is_active
    page = response.content.decode()
    assert "Campaign “Zomer” has ended." in page
    assert "Zomer" in section(page, "ended") and "Zomer" not in section(page, "running")


def test_cancelling_an_upcoming_campaign_switches_it_off(client, area, manager):
    now = timezone.now()
    campaign = make_campaign(area, now=now, name="Kerst", starts_at=now + timedelta(days=1))

    response = client.post(reverse("loyalty:campaign_end", args=[campaign.pk]), follow=True)

    campaign.refresh_from_db()
    assert not campaign.is_active and campaign.starts_at == now + timedelta(days=1)
    page = response.content.decode()
    assert "Campaign “Kerst” will not start." in page
    assert "Will not start" in section(page, "ended")


def test_end_now_is_a_post(client, area, manager):
    campaign = make_campaign(area, now=timezone.now())
    assert client.put(reverse("loyalty:campaign_end", args=[campaign.pk])).status_code == 405


# --- Vouchers ----------------------------------------------------------------------------------------------------


def test_vouchers_are_issued_once_per_member_and_batch_through_the_page(client, area, manager):
    now = timezone.now()
    campaign = make_campaign(area, now=now, name="Zomer")
    PassFactory(area=area)
    PassFactory(area=area)
    url = reverse("loyalty:campaign_vouchers", args=[campaign.pk])
    data = {"kind": VoucherKind.FIXED, "value": "2,50", "valid_days": "30", "batch": "1"}

    page = client.get(url).content.decode()
    assert "Every member with an active pass in the area." in page
    # The kind as two choices, a fixed amount chosen; each kind's fields marked, so the other kind's fold away.
    assert re.search(r'<input type="radio" name="kind" value="fixed"[^>]*checked', page)
    assert re.search(r'class="field field--fixed">\s*<label for="id_value"', page)
    assert re.search(r'class="field field--percent">\s*<label for="id_percent"', page)
    assert re.search(r'class="field field--percent">\s*<label for="id_max_discount"', page)

    refused = client.post(url, {**data, "value": ""})
    assert refused.status_code == 400 and refused.context["form"].errors["value"]
    assert not Voucher.objects.exists()

    first = client.post(url, data, follow=True).content.decode()
    again = client.post(url, data, follow=True).content.decode()

    assert "2 vouchers issued for “Zomer”." in first
    assert "No vouchers issued: every member this campaign is for already has one of batch “1”." in again
    vouchers = Voucher.objects.filter(campaign=campaign)
    assert vouchers.count() == 2 and {(v.kind, v.value_cents) for v in vouchers} == {(VoucherKind.FIXED, 250)}

    # A percentage takes only its own fields: an amount left in the folded-away fixed field is not used.
    percent = {**data, "kind": VoucherKind.PERCENT, "percent": "15", "max_discount": "5", "batch": "2"}
    client.post(url, percent)
    second = Voucher.objects.filter(campaign=campaign, kind=VoucherKind.PERCENT)
    assert {(v.value_cents, v.percent, v.max_discount_cents) for v in second} == {(0, 15, 500)}
    assert second.count() == 2


# --- Who may ------------------------------------------------------------------------------------------------------


def _pages(area, campaign) -> list[str]:
    return [
        reverse("loyalty:campaigns", args=[area.slug]),
        reverse("loyalty:campaign_create", args=[area.slug]),
        reverse("loyalty:campaign_edit", args=[campaign.pk]),
        reverse("loyalty:campaign_end", args=[campaign.pk]),
        reverse("loyalty:campaign_vouchers", args=[campaign.pk]),
    ]


def test_another_areas_manager_and_a_merchants_owner_get_404_and_change_nothing(client, area, merchant):
    campaign = make_campaign(area, now=timezone.now(), name="Zomer")
    other_manager = person_with(Role.AREA_MANAGER, area=ShoppingAreaFactory())
    owner = person_with(Role.MERCHANT_OWNER, merchant=merchant)
    for person in (other_manager, owner):
        client.force_login(person)
        for url in _pages(area, campaign):
            assert client.get(url).status_code == 404, url
        for url in _pages(area, campaign)[1:]:
            assert client.post(url, form_data(area, name="Taken over")).status_code == 404, url
    campaign.refresh_from_db()
    assert campaign.name == "Zomer" and campaign.ends_at > timezone.now()
    assert Campaign.objects.count() == 1 and not Voucher.objects.exists()


def test_a_merchants_owner_and_parcel_staff_may_not_open_the_campaigns(client, area, merchant):
    campaign = make_campaign(area, now=timezone.now())
    client.force_login(person_with(Role.MERCHANT_OWNER, merchant=merchant))
    assert client.get(reverse("loyalty:campaigns_start")).status_code == 403
    # Parcel staff may view the area but not run its campaigns.
    client.force_login(person_with(Role.PARCEL_STAFF, area=area))
    assert client.get(reverse("loyalty:campaigns_start")).status_code == 403
    for url in _pages(area, campaign):
        assert client.get(url).status_code == 403, url


def test_visitors_are_sent_to_log_in(client, area):
    for url in (reverse("loyalty:campaigns_start"), reverse("loyalty:campaigns", args=[area.slug])):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_the_start_goes_to_the_managers_area_or_asks_which(client, area, flemish_area):
    manager = person_with(Role.AREA_MANAGER, area=area)
    client.force_login(manager)
    response = client.get(reverse("loyalty:campaigns_start"))
    assert response.status_code == 302 and response["Location"] == reverse("loyalty:campaigns", args=[area.slug])

    StaffMembershipFactory(role=Role.AREA_MANAGER, area=flemish_area, user=manager)
    page = client.get(reverse("loyalty:campaigns_start"))
    assert page.status_code == 200
    assert reverse("loyalty:campaigns", args=[flemish_area.slug]) in page.content.decode()


def test_the_campaigns_entry_shows_for_managers_only(client, area, merchant):
    start = reverse("loyalty:campaigns_start")
    client.force_login(person_with(Role.AREA_MANAGER, area=area))
    assert f'href="{start}"' in client.get(reverse("loyalty:settlement_start"), follow=True).content.decode()
    client.force_login(person_with(Role.MERCHANT_OWNER, merchant=merchant))
    assert f'href="{start}"' not in client.get(reverse("loyalty:settlement_start"), follow=True).content.decode()


# --- The list ------------------------------------------------------------------------------------------------------


def test_the_list_shows_running_upcoming_and_ended_campaigns_as_a_person_reads_them(client, area, merchant, manager):
    now = timezone.now()
    last_day = today(area) + timedelta(days=3)
    make_campaign(
        area,
        now=now,
        name="Dubbel",
        ends_at=midnight(last_day + timedelta(days=1), area),
        merchants=[merchant],
        segment="new",
    )
    make_campaign(
        area,
        now=now,
        name="Bonus",
        kind=CampaignKind.BONUS,
        multiplier_permille=1000,
        bonus_points=50,
        starts_at=now + timedelta(days=2),
        sectors=["flowers"],
        funded_by=Funder.MERCHANT,
    )
    make_campaign(area, now=now, name="Voorbij", starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=2))
    make_campaign(ShoppingAreaFactory(), now=now, name="Elders")

    response = client.get(reverse("loyalty:campaigns", args=[area.slug]))

    assert response.status_code == 200 and response["Cache-Control"] == "private, no-cache"
    page = response.content.decode()
    running, upcoming, ended = section(page, "running"), section(page, "upcoming"), section(page, "ended")
    assert "Dubbel" in running and "Bonus" in upcoming and "Voorbij" in ended
    assert "Dubbel" not in upcoming + ended and "Bonus" not in running + ended and "Voorbij" not in running + upcoming
    assert "Elders" not in page
    # ×2 at one merchant for a segment; the last day, not the midnight after it
    assert "×2" in running and merchant.trade_name in running
    assert "New members" in running and "Last day" in running and last_day.strftime("%B") in running
    assert f"{last_day.day} {last_day:%B %Y}" in running
    assert "The collective" in running
    # +50 points in a sector, paid by the merchant
    assert "+50 points" in upcoming and "Flowers &amp; plants" in upcoming and "The merchant" in upcoming
    assert "All merchants" in ended and "Every member" in ended
    # actions: change / vouchers / end for running and upcoming, none for the ended one
    assert reverse("loyalty:campaign_end", args=[Campaign.objects.get(name="Dubbel").pk]) in running
    assert "/vouchers/" in upcoming and "/vouchers/" not in ended
    assert reverse("loyalty:campaign_create", args=[area.slug]) in page
    assert "counts from the next scan at the tills" in page


def test_the_list_reads_the_same_number_of_queries_however_many_campaigns(client, area, merchant, manager):
    now = timezone.now()
    url = reverse("loyalty:campaigns", args=[area.slug])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    make_campaign(area, now=now, name="R", merchants=[merchant])
    make_campaign(area, now=now, name="U", starts_at=now + timedelta(days=1))
    make_campaign(area, now=now, name="E", starts_at=now - timedelta(days=9), ends_at=now)
    queries()  # the first request of a session fills caches (the site, the navigation) the others read
    few = queries()
    for index in range(4):
        make_campaign(area, now=now, name=f"R{index}", merchants=[merchant, MerchantFactory(area=area)])
        make_campaign(area, now=now, name=f"E{index}", starts_at=now - timedelta(days=9), ends_at=now)
    assert queries() == few

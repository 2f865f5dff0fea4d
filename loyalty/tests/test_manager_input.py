"""What the area manager types on the campaign, rewards and corrections pages, read as they meant it: a cancelled
campaign stays as it was and hands out nothing, nor does one that has ended; "1.000" is a thousand in Dutch and
"1,000" in English, never one; the voucher form checks only the fields of the kind chosen; a reward's period must
not have ended; a multiplier in steps that give points. Pages are read in English (/en/ URLs) unless a test says
otherwise."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from loyalty import services
from loyalty.exceptions import InvalidCampaign, InvalidReward, InvalidVoucher
from loyalty.models import (
    Campaign,
    CampaignKind,
    EntryKind,
    LedgerEntry,
    PointsCorrection,
    Reward,
    Voucher,
    VoucherKind,
)

from .factories import PassFactory, rules_for
from .rewards_helpers import make_campaign, make_reward
from .test_campaign_views import form_data as campaign_data
from .test_campaign_views import today
from .test_reward_views import form_data as reward_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def manager(manager, client):
    """The area's manager, logged in."""
    client.force_login(manager)
    return manager


def cancelled_campaign(area, manager) -> Campaign:
    """A campaign that was to start tomorrow, cancelled on the campaign pages."""
    now = timezone.now()
    campaign = make_campaign(area, now=now, name="Zomer", starts_at=now + timedelta(days=1), ends_at=now + timedelta(3))
    return services.end_campaign(campaign=campaign, by=manager, now=now)


# --- 1. A cancelled campaign -----------------------------------------------------------------------------------


def test_a_cancelled_campaign_is_shown_read_only_and_a_change_sent_anyway_is_refused(client, area, manager):
    campaign = cancelled_campaign(area, manager)
    url = reverse("loyalty:campaign_edit", args=[campaign.pk])

    page = client.get(url).content.decode()
    assert "This campaign was cancelled, so it cannot change any more. Make a new campaign instead." in page
    assert "Save changes" not in page
    form = client.get(url).context["form"]
    assert all(field.disabled for field in form.fields.values())

    response = client.post(url, campaign_data(area, name="Herfst"))

    assert response.status_code == 400
    assert "This campaign was cancelled, so it cannot change any more." in response.content.decode()
    assert Campaign.objects.get().name == "Zomer"
    # The service refuses it too, whoever asks.
    with pytest.raises(InvalidCampaign) as refused:
        services.save_campaign(area=area, by=manager, campaign=campaign, name="Herfst")
    assert set(refused.value.errors) == {"is_active"}
    assert Campaign.objects.get().name == "Zomer"


def test_a_cancelled_campaign_hands_out_no_vouchers(client, area, manager):
    campaign = cancelled_campaign(area, manager)
    PassFactory(area=area)
    url = reverse("loyalty:campaign_vouchers", args=[campaign.pk])
    data = {"kind": VoucherKind.FIXED, "value": "2,50", "valid_days": "30", "batch": "1"}

    page = client.get(url).content.decode()
    assert "This campaign was cancelled, so it hands out no vouchers." in page
    assert 'name="kind"' not in page and "Issue the vouchers" not in page

    response = client.post(url, data)

    assert response.status_code == 400
    assert "This campaign was cancelled, so it hands out no vouchers." in response.content.decode()
    assert not Voucher.objects.exists()
    with pytest.raises(InvalidVoucher):
        services.issue_campaign_vouchers(
            campaign=campaign, by=manager, kind=VoucherKind.FIXED, value_cents=250, valid_days=30
        )
    assert not Voucher.objects.exists()


def test_an_ended_campaign_hands_out_no_more_vouchers_while_a_running_one_does(client, area, manager):
    now = timezone.now()
    ended = make_campaign(area, now=now, name="Zomer", starts_at=now - timedelta(days=10), ends_at=now - timedelta(1))
    running = make_campaign(area, now=now, name="Herfst", starts_at=now - timedelta(days=1), ends_at=now + timedelta(3))
    member_pass = PassFactory(area=area)
    data = {"kind": VoucherKind.FIXED, "value": "2,50", "valid_days": "30", "batch": "1"}

    url = reverse("loyalty:campaign_vouchers", args=[ended.pk])
    page = client.get(url).content.decode()
    assert "This campaign has ended, so it hands out no more vouchers." in page
    assert "Issue the vouchers" not in page
    response = client.post(url, data)
    assert response.status_code == 400
    assert "This campaign has ended, so it hands out no more vouchers." in response.content.decode()
    assert not Voucher.objects.exists()

    client.post(reverse("loyalty:campaign_vouchers", args=[running.pk]), data)
    assert list(Voucher.objects.values_list("campaign__name", "member_pass", "value_cents")) == [
        ("Herfst", member_pass.pk, 250)
    ]


# --- 2. Thousands separators -------------------------------------------------------------------------------------


def test_a_thousand_in_dutch_is_a_thousand_on_the_rewards_page(client, area, manager):
    with translation.override("nl"):
        url = reverse("loyalty:reward_create", args=[area.slug])
        decimal_comma = client.post(url, reward_data(cost_points="1,000"))
        saved = client.post(url, reward_data(cost_points="1.000", stock="2.500", voucher_valid_days="1 000"))

    assert decimal_comma.status_code == 400 and set(decimal_comma.context["form"].errors) == {"cost_points"}
    assert saved.status_code == 302
    reward = Reward.objects.get()
    assert (reward.cost_points, reward.stock, reward.voucher_valid_days) == (1000, 2500, 1000)


def test_a_thousand_in_english_is_written_1_000_and_1_000_in_dutch_style_is_refused(client, area, manager):
    url = reverse("loyalty:reward_create", args=[area.slug])

    refused = client.post(url, reward_data(cost_points="1.000"))
    saved = client.post(url, reward_data(cost_points="1,000"))

    assert refused.status_code == 400
    assert refused.context["form"].errors["cost_points"] == [
        "Enter a whole number. Without decimals: a thousand is written 1,000 or 1000."
    ]
    assert saved.status_code == 302 and Reward.objects.get().cost_points == 1000


def _autofocused(page: str) -> list[str]:
    """The names of the fields the page puts the cursor in."""
    return [
        re.search(r'name="([^"]+)"', tag).group(1)
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page)
        if re.search(r"\sautofocus\b", tag)
    ]


def test_the_cursor_goes_to_the_first_field_in_error_on_the_managers_forms(client, area, manager):
    from loyalty.models import Funder

    member_pass = PassFactory(area=area)
    correction = reverse("loyalty:pass_correction", kwargs={"pass_pk": member_pass.pk})
    assert _autofocused(client.get(correction).content.decode()) == []

    # a reason of one letter: the reason field, not the points above it
    page = client.post(correction, {"points": "5", "reason": "x", "request_key": str(uuid.uuid4())})
    assert _autofocused(page.content.decode()) == ["reason"]
    # more points off than the pass has (the service's refusal): the points
    page = client.post(correction, {"points": "-500", "reason": "Dubbel gespaard", "request_key": str(uuid.uuid4())})
    assert _autofocused(page.content.decode()) == ["points"]

    # a campaign the merchants pay for without naming them (the service's refusal, on its choice)
    create = reverse("loyalty:campaign_create", args=[area.slug])
    page = client.post(create, campaign_data(area, funded_by=Funder.MERCHANT)).content.decode()
    assert set(_autofocused(page)) == {"funded_by"}


def test_a_correction_of_1_000_points_in_dutch_is_a_thousand(client, area, manager):
    rules_for(area, adjustment_approval_threshold=5000)
    member_pass = PassFactory(area=area)
    with translation.override("nl"):
        url = reverse("loyalty:pass_correction", kwargs={"pass_pk": member_pass.pk})
        added = client.post(url, {"points": "1.000", "reason": "Kassa lag eruit", "request_key": str(uuid.uuid4())})
        taken = client.post(url, {"points": "-1.000", "reason": "Dubbel gespaard", "request_key": str(uuid.uuid4())})
        waiting = client.post(
            url, {"points": "12.000", "reason": "Actie van de markt", "request_key": str(uuid.uuid4())}
        )

    assert added.status_code == taken.status_code == waiting.status_code == 302
    assert sorted(
        LedgerEntry.objects.filter(member_pass=member_pass, kind=EntryKind.ADJUST).values_list("points", flat=True)
    ) == [
        -1000,
        1000,
    ]
    assert PointsCorrection.objects.get().points == 12_000


def test_campaign_bonus_points_and_voucher_days_read_thousands_in_dutch(client, area, manager):
    campaign = make_campaign(area, now=timezone.now())
    PassFactory(area=area)
    with translation.override("nl"):
        created = client.post(
            reverse("loyalty:campaign_create", args=[area.slug]),
            campaign_data(area, kind=CampaignKind.BONUS, multiplier="", bonus_points="1.000"),
        )
        issued = client.post(
            reverse("loyalty:campaign_vouchers", args=[campaign.pk]),
            {"kind": VoucherKind.FIXED, "value": "5", "valid_days": "1,5", "batch": "1"},
        )

    assert created.status_code == 302 and Campaign.objects.get(kind=CampaignKind.BONUS).bonus_points == 1000
    assert issued.status_code == 400 and set(issued.context["form"].errors) == {"valid_days"}
    assert not Voucher.objects.exists()


# --- 3. The voucher form checks the chosen kind's fields only ---------------------------------------------------


def test_a_percentage_left_in_the_folded_away_field_does_not_block_a_fixed_amount(client, area, manager):
    campaign = make_campaign(area, now=timezone.now(), name="Zomer")
    PassFactory(area=area)
    url = reverse("loyalty:campaign_vouchers", args=[campaign.pk])
    data = {"valid_days": "30", "batch": "1", "max_discount": ""}

    too_much = client.post(url, {**data, "kind": VoucherKind.PERCENT, "percent": "150"})
    fixed = client.post(url, {**data, "kind": VoucherKind.FIXED, "value": "5", "percent": "150"}, follow=True)

    # One error, on the percentage the person sees.
    assert too_much.status_code == 400
    assert too_much.context["form"].errors == {"percent": ["Enter a number from 1 to 100."]}
    assert "1 voucher issued for “Zomer”." in fixed.content.decode()
    voucher = Voucher.objects.get()
    assert (voucher.kind, voucher.value_cents, voucher.percent) == (VoucherKind.FIXED, 500, 0)


def test_a_huge_voucher_value_is_told_what_it_is_too_large_for_not_a_purchase(client, area, manager):
    campaign = make_campaign(area, now=timezone.now(), name="Zomer")
    url = reverse("loyalty:campaign_vouchers", args=[campaign.pk])
    data = {"valid_days": "30", "batch": "1"}

    fixed = client.post(url, {**data, "kind": VoucherKind.FIXED, "value": "99999999"})
    percent = client.post(url, {**data, "kind": VoucherKind.PERCENT, "percent": "10", "max_discount": "99999999"})

    assert fixed.context["form"].errors == {"value": ["That is more than a voucher can be worth."]}
    assert percent.context["form"].errors == {"max_discount": ["That is more than a voucher can take off."]}
    assert not Voucher.objects.exists()


def test_an_amount_left_in_the_folded_away_field_does_not_block_a_percentage(client, area, manager):
    campaign = make_campaign(area, now=timezone.now())
    PassFactory(area=area)
    url = reverse("loyalty:campaign_vouchers", args=[campaign.pk])

    response = client.post(
        url, {"kind": VoucherKind.PERCENT, "percent": "10", "value": "tien", "valid_days": "30", "batch": "1"}
    )

    assert response.status_code == 302
    assert Voucher.objects.get().percent == 10


def test_a_factor_left_in_the_folded_away_field_does_not_block_a_bonus_campaign(client, area, manager):
    data = campaign_data(area, kind=CampaignKind.BONUS, multiplier="twee", bonus_points="50")

    response = client.post(reverse("loyalty:campaign_create", args=[area.slug]), data)

    assert response.status_code == 302
    assert Campaign.objects.get().bonus_points == 50


# --- 4. A reward's period must not have ended -------------------------------------------------------------------


def test_a_new_reward_whose_last_day_has_passed_is_refused(client, area, manager):
    yesterday = today(area) - timedelta(days=1)
    url = reverse("loyalty:reward_create", args=[area.slug])

    refused = client.post(
        url,
        reward_data(first_day=(yesterday - timedelta(days=10)).isoformat(), last_day=yesterday.isoformat()),
    )
    saved = client.post(url, reward_data(first_day=yesterday.isoformat(), last_day=today(area).isoformat()))

    assert refused.status_code == 400
    assert refused.context["form"].errors == {
        "last_day": [
            "This period has ended already: members could never choose the reward. The last day is today at the"
            " earliest."
        ]
    }
    assert saved.status_code == 302 and Reward.objects.count() == 1


def test_an_ended_reward_keeps_its_period_but_cannot_get_another_past_one(area, manager):
    now = timezone.now()
    ended = make_reward(area, valid_from=now - timedelta(days=30), valid_until=now - timedelta(days=20))

    services.save_reward(area=area, by=manager, reward=ended, title="Thee")  # its period left alone
    with pytest.raises(InvalidReward) as refused:
        services.save_reward(area=area, by=manager, reward=ended, valid_until=now - timedelta(days=10))

    assert set(refused.value.errors) == {"valid_until"}
    ended.refresh_from_db()
    assert (ended.title, ended.valid_until) == ("Thee", now - timedelta(days=20))


# --- 5. Multiplier steps, and the smallest bonus --------------------------------------------------------------


def test_a_multiplier_finer_than_steps_of_0_05_is_refused(client, area, manager):
    url = reverse("loyalty:campaign_create", args=[area.slug])

    refused = client.post(url, campaign_data(area, multiplier="1,001"))
    saved = client.post(url, campaign_data(area, multiplier="1,25"))

    assert refused.status_code == 400
    assert refused.context["form"].errors["multiplier"] == [
        "A multiplier goes in steps of 0.05, such as ×1.25 or ×1.5: a finer one gives no extra points on most"
        " purchases."
    ]
    assert saved.status_code == 302 and Campaign.objects.get().multiplier_permille == 1250


@pytest.mark.parametrize("bonus", ["0", "-5"])
def test_the_smallest_bonus_the_form_names_is_one_point(client, area, manager, bonus):
    data = campaign_data(area, kind=CampaignKind.BONUS, multiplier="", bonus_points=bonus)

    response = client.post(reverse("loyalty:campaign_create", args=[area.slug]), data)

    assert response.status_code == 400
    assert response.context["form"].errors == {"bonus_points": ["Enter a number from 1 to 100,000."]}
    assert not Campaign.objects.exists()


# --- 6. Numbers as the page's language writes them ---------------------------------------------------------------


def _help(page: str, field: str) -> str:
    start = page.index(f'id="id_{field}_helptext">')
    return page[start : page.index("</span>", start)]


def test_examples_and_bounds_are_written_as_the_pages_language_writes_numbers(client, area, manager):
    campaign_url = reverse("loyalty:campaign_create", args=[area.slug])
    reward_url = reverse("loyalty:reward_create", args=[area.slug])
    english = client.get(campaign_url).content.decode(), client.get(reward_url).content.decode()
    with translation.override("nl"):
        dutch = (
            client.get(campaign_url.replace("/en/", "/nl/")).content.decode(),
            client.get(reward_url.replace("/en/", "/nl/")).content.decode(),
        )
        bonus = client.post(
            campaign_url.replace("/en/", "/nl/"),
            campaign_data(area, kind=CampaignKind.BONUS, multiplier="", bonus_points="100001"),
        )

    assert "1.5" in _help(english[0], "multiplier") and "1,5" not in _help(english[0], "multiplier")
    assert "1,5" in _help(dutch[0], "multiplier") and "1.5" not in _help(dutch[0], "multiplier")
    assert "12.50" in _help(english[1], "value") and "12,50" in _help(dutch[1], "value")
    # Made once at import, written at each page: the language of the page, not of the first one shown.
    assert "1.5" in _help(client.get(campaign_url).content.decode(), "multiplier")
    assert "100.000" in bonus.context["form"].errors["bonus_points"][0]


def test_a_factor_out_of_range_is_told_the_range(client, area, manager):
    response = client.post(reverse("loyalty:campaign_create", args=[area.slug]), campaign_data(area, multiplier="1000"))

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "multiplier": ["A multiplier campaign needs a factor above 1 and at most 10 (×1.5, ×2, ×3)."]
    }

"""The member app's pages that ask and explain: the profile kept only with its consent (join and profile pages), an
empty gift card that says it is used up, and history lines that say what made up the points."""

from __future__ import annotations

import uuid
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from areas.tests.factories import MerchantFactory, UserFactory
from loyalty import services
from loyalty.models import Pass, TillTransaction, VoucherKind
from privacy.models import PurposeVersion

from .factories import award, cashier_for, manager_for, rules_for
from .giftcard_factories import sell
from .rewards_helpers import give_points, make_campaign, make_reward

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _version(code: str) -> int:
    return PurposeVersion.objects.filter(purpose__code=code).order_by("-version").first().version


def _profile(member) -> tuple[str, str]:
    return Pass.objects.values_list("postcode", "age_band").get(member=member)


# --- 1. The postcode and age group: kept only with the statistics consent -----------------------------------------


def test_joining_with_an_age_group_but_no_statistics_consent_keeps_nothing_and_says_why(client, area):
    person = UserFactory()
    client.force_login(person)

    response = client.post(reverse("loyalty:join"), {"age_band": "25-34", "terms_version": _version("operate_pass")})

    assert response.status_code == 200 and not Pass.objects.filter(member=person).exists()
    assert "only with your consent for" in response.content.decode()
    # ticked together, they are kept
    response = client.post(
        reverse("loyalty:join"),
        {
            "age_band": "25-34",
            "terms_version": _version("operate_pass"),
            "consent_analytics": "on",
            "consent_analytics_version": _version("analytics"),
        },
    )
    assert response.status_code == 302 and _profile(person) == ("", "25-34")


def test_the_join_page_says_the_fields_are_kept_only_with_their_consent(client, area):
    client.force_login(UserFactory())
    page = client.get(reverse("loyalty:join")).content.decode()
    assert "kept only with your consent for it below: if you withdraw that consent, it is removed" in page


def test_the_profile_page_asks_for_the_consent_with_the_fields(client, area, member, member_pass):
    client.force_login(member)
    page = client.get(reverse("loyalty:profile")).content.decode()
    assert 'name="consent_analytics"' in page and "You have not allowed that" in page
    assert "kept with your pass and not used" not in page

    refused = client.post(reverse("loyalty:profile"), {"postcode": "3811"})
    assert refused.status_code == 200 and _profile(member) == ("", "")

    saved = client.post(
        reverse("loyalty:profile"),
        {"postcode": "3811", "consent_analytics": "on", "consent_analytics_version": _version("analytics")},
    )
    assert saved.status_code == 302 and _profile(member) == ("3811", "")
    page = client.get(reverse("loyalty:profile")).content.decode()
    assert 'name="consent_analytics"' not in page and "removed from your pass at once" in page


def test_a_member_gives_the_first_name_the_till_shows_when_they_let_shops_recognise_them(client, area, now):
    from django.contrib.auth import get_user_model

    person = UserFactory(first_name="")
    client.force_login(person)
    page = client.get(reverse("loyalty:join")).content.decode()
    assert 'name="first_name"' in page and "only if you let them recognise you" in page

    # when: they join with their first name and let the shops recognise them
    response = client.post(
        reverse("loyalty:join"),
        {
            "first_name": "  Sanne ",
            "terms_version": _version("operate_pass"),
            "consent_share_with_merchants": "on",
            "consent_share_with_merchants_version": _version("share_with_merchants"),
        },
    )

    # then: the account has the name, and the till greets them by it
    assert response.status_code == 302
    assert get_user_model().objects.get(pk=person.pk).first_name == "Sanne"
    member_pass = Pass.objects.get(member=person)
    merchant = MerchantFactory(area=area)
    result = award(merchant, member_pass, 1000, at=timezone.now(), by=cashier_for(merchant))
    assert result.member_first_name == "Sanne"

    # and on the profile page they change it, or take it away
    assert 'value="Sanne"' in client.get(reverse("loyalty:profile")).content.decode()
    client.post(reverse("loyalty:profile"), {"first_name": "Sanna"})
    assert get_user_model().objects.get(pk=person.pk).first_name == "Sanna"
    client.post(reverse("loyalty:profile"), {"first_name": ""})
    assert get_user_model().objects.get(pk=person.pk).first_name == ""


def test_the_postcode_example_is_one_of_the_areas_own(client, area, flemish_area):
    from areas.selectors import local_postcode_digits

    MerchantFactory(area=area, postcode="3817 AB")
    client.force_login(UserFactory())
    assert "Only the digits, for example 3817." in client.get(reverse("loyalty:join")).content.decode()
    # an area without merchants yet: an example of its country (a Flemish one for Mechelen, not Amersfoort's)
    flemish_area.merchants.all().delete()
    assert local_postcode_digits(flemish_area) == "2800"


# --- 4. An empty gift card says it is used up --------------------------------------------------------------------


def test_an_empty_gift_card_on_the_pass_says_it_is_used_up(client, area, merchant, member, member_pass):
    now = timezone.now()
    sell(area, 1000, at=now - timedelta(minutes=5), member_pass=member_pass)
    award(merchant, member_pass, 1000, at=now, by=cashier_for(merchant), giftcard_cents=1000)
    client.force_login(member)

    page = client.get(reverse("loyalty:pass")).content.decode()

    assert "used up" in page and "not usable" not in page
    assert "Pay with it at any participating shop" not in page


# --- 5. History lines say what made up the points -----------------------------------------------------------------


def test_a_purchase_line_shows_its_campaign_bonus_and_voucher(client, area, merchant, member, member_pass, now):
    rules_for(area, first_visit_bonus_points=10)
    make_campaign(area, now=now, name="Versweken", merchants=[merchant])
    voucher = services.issue_voucher(
        area=area,
        kind=VoucherKind.FIXED,
        value_cents=250,
        expires_at=now + timedelta(days=30),
        by=manager_for(area),
        request_key=uuid.uuid4(),
        member_pass=member_pass,
        valid_from=now - timedelta(days=1),
    )
    result = award(merchant, member_pass, 2155, at=now, by=cashier_for(merchant), voucher_code=voucher.code)
    assert result.points_awarded
    client.force_login(member)

    page = client.get(reverse("loyalty:history")).content.decode()

    purchase = TillTransaction.objects.get()
    assert purchase.campaign_points and purchase.bonus_points == 10
    assert f"{purchase.campaign_points} points from the campaign “Versweken”" in page
    assert "10 bonus points for your first visit to this shop" in page
    assert "€2.50 paid with a voucher" in page


def test_the_purchase_line_names_the_reward_that_paid_part_of_it(client, area, merchant, member, member_pass, now):
    give_points(member_pass, 500, now=now - timedelta(days=1))
    reward = make_reward(area, title="Free parking", cost_points=300, value_cents=250)
    award(merchant, member_pass, 873, at=now, by=cashier_for(merchant), reward_id=reward.pk)
    client.force_login(member)
    assert "€2.50 paid with the reward “Free parking”" in client.get(reverse("loyalty:history")).content.decode()


def test_profiles_stored_before_without_the_consent_are_emptied_once(area):
    # given: two members whose passes hold a profile, one of whom allowed the statistics it serves
    consenting, other = UserFactory(), UserFactory()
    services.join_pass(user=consenting, area=area, consents={"analytics": None})
    services.join_pass(user=other, area=area)
    Pass.objects.filter(area=area).update(postcode="3811", age_band="25-34")
    # when: the data migration runs
    migration = import_module("loyalty.migrations.0016_forget_profiles_without_consent")
    migration.forget_profiles_without_consent(apps, None)
    # then: only the consenting member's profile is kept
    assert _profile(consenting) == ("3811", "25-34")
    assert _profile(other) == ("", "")

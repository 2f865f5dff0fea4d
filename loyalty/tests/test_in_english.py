"""Campaigns and rewards members read in the app: written in Dutch and, optionally, English. English pages show the
English text where the manager gave one, the Dutch otherwise; Dutch pages always the Dutch."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from areas.tests.factories import UserFactory
from loyalty import services
from loyalty.exceptions import InvalidCampaign
from loyalty.services.campaigns import save_campaign

from .rewards_helpers import make_campaign, make_reward

pytestmark = pytest.mark.django_db


@pytest.fixture
def app(client, area):
    member_pass = services.join_pass(user=UserFactory(), area=area)
    client.force_login(member_pass.member)
    return client


def page(client, name: str, language: str) -> str:
    with translation.override(language):
        response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def test_english_pages_show_the_english_text_and_the_dutch_where_there_is_none(app, area):
    now = timezone.now()
    make_campaign(
        area,
        now=now,
        name="Dubbele punten",
        description="Twee keer punten in de hele binnenstad.",
        name_en="Double points",
        description_en="Twice the points all over the town centre.",
    )
    make_campaign(area, now=now, name="Koopavond")  # no English given
    make_reward(area, title="Koffie met gebak", title_en="Coffee and cake", description="Bij elke lunchroom.")

    offers, rewards = page(app, "loyalty:offers", "en"), page(app, "loyalty:rewards", "en")
    assert "Double points" in offers and "Twice the points all over the town centre." in offers
    assert "Dubbele punten" not in offers and "Koopavond" in offers
    assert "Coffee and cake" in rewards and "Bij elke lunchroom." in rewards  # no English description: the Dutch

    offers, rewards = page(app, "loyalty:offers", "nl"), page(app, "loyalty:rewards", "nl")
    assert "Dubbele punten" in offers and "Double points" not in offers
    assert "Koffie met gebak" in rewards and "Coffee and cake" not in rewards


def test_a_started_campaigns_english_name_can_still_change_and_is_checked(area, manager):
    campaign = make_campaign(area, now=timezone.now(), name="Dubbele punten")
    save_campaign(area=area, campaign=campaign, by=manager, name_en="  Double points  ")
    campaign.refresh_from_db()
    assert campaign.name_en == "Double points"

    with pytest.raises(InvalidCampaign) as refused:
        save_campaign(area=area, campaign=campaign, by=manager, name_en="x" * 121)
    assert list(refused.value.errors) == ["name_en"]

"""An offer page presents one of its own area's campaigns for every member, chosen from a list; one that has ended
says so and leaves the sitemap and the search."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from areas.services import grant_role
from areas.tests.factories import UserFactory, give_totp
from cms.models import OfferPage
from loyalty.models import Campaign, CampaignKind

from .conftest import publish

pytestmark = pytest.mark.django_db

HOST = "amersfoort.localhost"


def _campaign(area, name: str, *, days=(-1, 30), **fields) -> Campaign:
    now = timezone.now()
    return Campaign.objects.create(
        area=area,
        name=name,
        description=f"{name}: extra punten",
        starts_at=now + dt.timedelta(days=days[0]),
        ends_at=now + dt.timedelta(days=days[1]),
        kind=CampaignKind.MULTIPLIER,
        multiplier_permille=2000,
        **fields,
    )


def _offer(site_pages, *, slug="actie", campaign=None, valid=(-1, 20)) -> OfferPage:
    today = timezone.localdate()
    return OfferPage(
        title=slug.capitalize(),
        slug=slug,
        valid_from=today + dt.timedelta(days=valid[0]),
        valid_until=today + dt.timedelta(days=valid[1]),
        campaign_id=campaign.pk if campaign else None,
    )


def _campaign_error(site_pages, campaign) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        publish(site_pages["offers"], _offer(site_pages, campaign=campaign))
    return raised.value.message_dict["campaign_id"]


@pytest.mark.usefixtures("english")
def test_an_offer_page_refuses_a_segment_campaign_another_areas_and_one_outside_its_dates(
    area, flemish_area, site_pages
):
    personal = _campaign(area, "We missen je", segment="lapsed")
    mechelen = _campaign(flemish_area, "Maneblussersweken")
    later = _campaign(area, "Zomerweken", days=(60, 90))

    assert "personal offer for a group of members" in _campaign_error(site_pages, personal)[0]
    assert _campaign_error(site_pages, mechelen) == ["This is not one of this area's pass campaigns."]
    assert "not while the offer is valid" in _campaign_error(site_pages, later)[0]


def test_the_offer_page_shows_its_public_campaign_and_never_a_segment_one(area, site_pages):
    # given: a page for the area's campaign for everyone, and one whose campaign became a segment's afterwards
    everyone = _campaign(area, "Winterweken")
    publish(site_pages["offers"], _offer(site_pages, slug="winter", campaign=everyone))
    personal = _campaign(area, "Bijna jarig")
    publish(site_pages["offers"], _offer(site_pages, slug="jarig", campaign=personal))
    Campaign.objects.filter(pk=personal.pk).update(segment="lapsed")
    client = Client(HTTP_HOST=HOST)

    # then
    assert "Winterweken: extra punten" in client.get("/nl/aanbiedingen/winter/").content.decode()
    assert "Bijna jarig: extra punten" not in client.get("/nl/aanbiedingen/jarig/").content.decode()


def test_the_editor_chooses_the_campaign_from_the_areas_public_campaigns(area, flemish_area, site_pages):
    # given
    everyone = _campaign(area, "Winterweken")
    _campaign(area, "We missen je", segment="lapsed")
    _campaign(area, "Geannuleerd", is_active=False)
    _campaign(area, "Voorbij", days=(-60, -30))
    _campaign(flemish_area, "Maneblussersweken")

    # when: the form of a new offer page below the area's offers
    form_class = OfferPage.get_edit_handler().get_form_class()
    form = form_class(instance=OfferPage(), parent_page=site_pages["offers"], for_user=AnonymousUser())

    # then: a list of the area's running or coming campaigns for every member, named with their days
    field = form.fields["campaign_id"]
    labels = [str(label) for value, label in field.choices if value]
    assert len(labels) == 1 and labels[0].startswith("Winterweken (")
    assert [value for value, _label in field.choices if value] == [everyone.pk]
    assert "Admin" not in str(field.help_text)


def test_an_ended_offer_says_so_and_leaves_the_sitemap_and_the_search(area, site_pages):
    # given: an offer whose last day was yesterday, and the running one of the fixture
    publish(site_pages["offers"], _offer(site_pages, slug="herfstweken", valid=(-30, -1)))
    client = Client(HTTP_HOST=HOST)

    # then: its page is still there, and says it has ended
    html = client.get("/nl/aanbiedingen/herfstweken/").content.decode()
    assert "This offer has ended." in html or "Deze aanbieding is afgelopen." in html
    # and neither the sitemap nor the search offer it any more
    sitemap = client.get("/sitemap.xml").content.decode()
    assert "/nl/aanbiedingen/herfstweken/" not in sitemap and "/nl/aanbiedingen/dubbele-punten/" in sitemap
    results = client.get("/nl/search/?q=Herfstweken").content.decode()
    assert "/nl/aanbiedingen/herfstweken/" not in results
    assert "/nl/aanbiedingen/dubbele-punten/" in client.get("/nl/search/?q=Dubbele").content.decode()


def test_the_add_offer_form_in_the_editor_offers_the_campaigns_by_name(area, site_pages):
    # given: the area's manager in the website editor
    everyone = _campaign(area, "Winterweken")
    manager = UserFactory()
    grant_role(user=manager, role=Role.AREA_MANAGER, area=area, granted_by=UserFactory(is_superuser=True))
    give_totp(manager)
    client = Client()
    client.force_login(manager)

    # when
    response = client.get(f"/cms/pages/add/cms/offerpage/{site_pages['offers'].pk}/")

    # then: a list to choose from, no number to type
    html = response.content.decode()
    assert response.status_code == 200
    assert '<select name="campaign_id"' in html and f'<option value="{everyone.pk}">Winterweken (' in html

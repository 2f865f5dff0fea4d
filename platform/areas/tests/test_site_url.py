"""`site_url`: links that leave the platform (e-mails, receipts) go to the area's own website."""

import pytest
from django.conf import settings
from wagtail.models import Page, Site

from areas.selectors import site_url

pytestmark = pytest.mark.django_db


def _site(hostname: str, port: int) -> Site:
    return Site.objects.create(hostname=hostname, port=port, root_page=Page.get_first_root_node())


@pytest.mark.parametrize(
    ("hostname", "port", "expected"),
    [
        ("mechelen.localhost", 8000, "http://mechelen.localhost:8000/nl/mijn/"),
        ("www.binnenstadmechelen.be", 443, "https://www.binnenstadmechelen.be/nl/mijn/"),
    ],
)
def test_a_path_on_the_areas_site_with_its_scheme_host_and_port(flemish_area, hostname, port, expected):
    flemish_area.site = _site(hostname, port)
    flemish_area.save(update_fields=["site"])

    assert site_url(flemish_area, "/nl/mijn/") == expected


def test_an_area_without_a_site_gets_the_platforms_base_url(area):
    assert site_url(area, "/nl/mijn/") == settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/nl/mijn/"

"""A page that does not exist, or is not someone's to see, answers in the site's layout and the visitor's
language, with a way on: not Django's bare "Not Found" or "403 Forbidden"."""

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(area):
    from cms.services import create_area_site

    create_area_site(area=area, hostname="amersfoort.localhost", is_default=True)
    return Client(HTTP_HOST="amersfoort.localhost")


def test_a_missing_page_says_so_in_dutch_within_the_site_with_a_way_home(client, area):
    response = client.get("/nl/bestaat-niet/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Pagina niet gevonden</h1>" in page
    assert 'href="/nl/"' in page and area.name in page  # the area's header and a link home
    assert "Privacy en je gegevens" in page or "Privacy" in page


def test_a_missing_page_in_english(client):
    page = client.get("/en/does-not-exist/").content.decode()

    assert "<h1>Page not found</h1>" in page and 'href="/en/"' in page


def test_a_member_on_a_managers_page_is_told_it_is_not_theirs_in_their_language(client, area):
    member = User.objects.create_user(email="lid@example.org", password="x" * 12, first_name="Sanne")
    client.force_login(member)

    response = client.get("/nl/correcties/")

    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Geen toegang</h1>" in page
    assert "lid@example.org" in page and "Forbidden" not in page


def test_the_server_error_page_renders_without_the_request_or_the_database(settings):
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("nl"):
        page = render_to_string("500.html")  # as Django's server_error view does: no request, no context processors

    assert "<h1>Er ging iets mis</h1>" in page and 'href="/nl/"' in page

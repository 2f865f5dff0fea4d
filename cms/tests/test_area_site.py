import pytest
from wagtail.models import Locale, Site

from cms.models import HomePage
from cms.services import create_area_site


@pytest.mark.django_db
def test_each_area_gets_its_own_site_with_a_dutch_and_english_home(area, flemish_area, client):
    create_area_site(area=area, hostname="amersfoort.localhost", port=8000, is_default=True)
    create_area_site(area=flemish_area, hostname="mechelen.localhost", port=8000)

    assert Site.objects.count() == 2
    assert HomePage.objects.filter(locale=Locale.objects.get(language_code="en")).count() == 2
    response = client.get("/nl/", HTTP_HOST="mechelen.localhost:8000")
    assert response.status_code == 200
    assert flemish_area.name in response.content.decode()
    response = client.get("/en/", HTTP_HOST="amersfoort.localhost:8000")
    assert response.status_code == 200
    assert area.name in response.content.decode()

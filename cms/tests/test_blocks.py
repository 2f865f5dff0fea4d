"""The editor's blocks: a button leads somewhere safe, documents can be linked, and the parking table takes euros,
fits a phone and calls free parking free."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from wagtail.documents import get_document_model
from wagtail.models import Collection

from accounts.roles import Role
from areas.services import grant_role
from areas.tests.factories import UserFactory, give_totp
from cms.blocks import BodyBlock, CallToActionBlock, ParkingGarageBlock, PracticalBlock
from cms.models import NewsPage, PracticalPage

from .conftest import publish

HOST = "amersfoort.localhost"


# --- Call to action ------------------------------------------------------------------------------------------


def _button(**value):
    block = CallToActionBlock()
    return block.clean(block.to_python({"text": "Doe mee", "label": "Aanmelden", **value}))


@pytest.mark.parametrize("url", ["/nl/mijn/join/", "https://www.example.org/programma", "http://example.org"])
def test_a_button_may_lead_to_a_path_or_a_web_address(url):
    assert _button(url=url)["url"] == url


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//elders.example", "mailto:x@example.org", "www.example.org"])
def test_a_button_refuses_other_links(url):
    with pytest.raises(ValidationError) as raised:
        _button(url=url)
    assert "url" in raised.value.block_errors


@pytest.mark.usefixtures("english")
def test_a_button_needs_a_page_or_a_link():
    with pytest.raises(ValidationError) as raised:
        _button()
    assert "Choose a page or enter a link" in str(raised.value.block_errors["page"].message)


# --- Documents -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_links_a_document_by_block_and_in_its_text(site_pages, settings, tmp_path):
    # given: a PDF in the documents, linked by a document block and from a paragraph
    settings.MEDIA_ROOT = tmp_path
    document = get_document_model().objects.create(
        title="Parkeertarieven 2027",
        file=SimpleUploadedFile("tarieven.pdf", b"%PDF-1.4\n%%EOF\n"),
        collection=Collection.get_first_root_node(),
        file_size=2048,  # as the admin's upload records it
    )
    publish(
        site_pages["news"],
        NewsPage(
            title="Nieuwe tarieven",
            slug="tarieven",
            body=[
                ("document", {"document": document, "label": ""}),
                ("paragraph", f'<p>Zie <a linktype="document" id="{document.pk}">de tarieven</a>.</p>'),
            ],
        ),
    )

    # when
    html = Client(HTTP_HOST=HOST).get("/nl/nieuws/tarieven/").content.decode()

    # then: both link to the document, the block with its title and type
    assert html.count(f'href="{document.url}"') == 2
    assert "Parkeertarieven 2027</a>" in html and "(PDF, 2,0\u00a0KB)" in html
    # and the editor offers document links in every text
    assert "document-link" in BodyBlock().child_blocks["paragraph"].features
    assert "document-link" in PracticalBlock().child_blocks["parking"].child_blocks["text"].features


# --- Parking -------------------------------------------------------------------------------------------------


def test_rates_are_typed_in_euros_and_kept_in_cents():
    garage = ParkingGarageBlock()
    # (what the editor's form gives: the text as typed)
    value = garage.clean({"name": "Flint", "hourly_rate_cents": "3", "day_rate_cents": "22,50"})
    assert (value["hourly_rate_cents"], value["day_rate_cents"]) == (300, 2250)
    # a rate saved earlier (cents) shows as euros in the editor and is kept as it is when the page is saved again
    stored = garage.to_python({"name": "Stadhuisplein", "hourly_rate_cents": 290, "day_rate_cents": None})
    with translation.override("nl"):
        assert garage.child_blocks["hourly_rate_cents"].get_form_state(290) == "2,90"
    assert garage.clean(stored)["hourly_rate_cents"] == 290
    with pytest.raises(ValidationError):
        garage.clean({"name": "Flint", "hourly_rate_cents": "drie"})


@pytest.mark.django_db
def test_the_parking_table_fits_a_phone_and_says_free(site_pages):
    # given: a free car park without a day rate beside a paying one, and a stop at the centre
    publish(
        site_pages["home"],
        PracticalPage(
            title="Parkeren",
            slug="parkeren",
            body=[
                (
                    "parking",
                    {
                        "heading": "Parkeren",
                        "garages": [
                            {"name": "Flint", "hourly_rate_cents": 320, "day_rate_cents": 2200, "spaces": 410},
                            {"name": "Douaneplein", "hourly_rate_cents": 0, "day_rate_cents": 0, "opening": "24/7"},
                        ],
                    },
                ),
                ("public_transport", {"heading": "Bus", "stops": [{"name": "Hof", "walking_minutes": 0}]}),
            ],
        ),
    )

    html = Client(HTTP_HOST=HOST).get("/nl/parkeren/").content.decode()

    # then: three columns (the rates stay on screen), free parking reads "gratis", not "€ 0,00"
    header = re.search(r"<thead>.*?</thead>", html, flags=re.DOTALL).group(0)
    assert len(re.findall(r"<th[ >]", header)) == 3
    assert "€\u00a03,20" in html and "€\u00a022,00" in html
    # the spaces and the opening hours go under the name ("410 plaatsen" once the catalogue has it)
    assert re.search(r'<span class="muted">410 (plaatsen|spaces)</span>', html)
    assert re.search(r'<span class="muted">(open|geopend) 24/7</span>', html)
    assert "€\u00a00,00" not in html and html.count(">gratis</td>") == 2
    assert "0 minuten lopen" not in html


@pytest.mark.django_db
def test_the_editor_shows_a_stored_rate_in_euros(area, site_pages):
    manager = UserFactory()
    grant_role(user=manager, role=Role.AREA_MANAGER, area=area, granted_by=UserFactory(is_superuser=True))
    give_totp(manager)
    client = Client()
    client.force_login(manager)

    response = client.get(f"/cms/pages/{site_pages['practical'].pk}/edit/")

    # the fixture's car park was stored as 290 cents: the field reads 2,90 (the admin speaks Dutch by default)
    assert response.status_code == 200
    assert "hourly_rate_cents&quot;: &quot;2,90&quot;" in response.content.decode()

"""The editor's settings: Dutch dates, image and document limits, no third-party avatars, the admin's languages, no
hidden drafts of new pages."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image as PILImage
from wagtail.documents.forms import get_document_form
from wagtail.documents.models import Document
from wagtail.images.fields import WagtailImageField
from wagtail.models import Collection
from wagtail.users.models import UserProfile

from accounts.roles import Role
from areas.services import grant_role
from areas.tests.factories import UserFactory, give_totp
from cms.models import EventPage, HomePage, NewsIndexPage
from cms.services import create_area_site
from cms.tests.conftest import publish


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.django_db
def test_the_event_form_takes_dates_typed_day_first_and_shows_them_so(language):
    form = EventPage.get_edit_handler().get_form_class()(instance=EventPage(), for_user=UserFactory())
    with translation.override(language):
        assert form.fields["starts_on"].clean("24-12-2026") == dt.date(2026, 12, 24)
        assert form.fields["starts_on"].widget.format_value(dt.date(2026, 12, 24)) == "24-12-2026"
        assert form.fields["start_time"].clean("14:30") == dt.time(14, 30)
        # the schedule's "go live at" (date and time) reads the same way
        assert form.fields["go_live_at"].clean("24-12-2026 09:30").date() == dt.date(2026, 12, 24)
        with pytest.raises(ValidationError):
            form.fields["starts_on"].clean("31-02-2026")  # refused, not replaced by another day


def _png(width: int, height: int) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    PILImage.new("1", (width, height)).save(buffer, "PNG")  # a few KB: what matters is what it unpacks to
    return SimpleUploadedFile("foto.png", buffer.getvalue(), content_type="image/png")


def test_an_image_that_unpacks_to_more_than_40_megapixels_is_refused_a_camera_photo_is_not():
    field = WagtailImageField()
    assert field.clean(_png(6000, 4000))  # 24 megapixels, a camera's photo
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        field.clean(_png(8000, 6000))
    assert refused.value.messages == ["This file has too many pixels (48000000). Maximum pixels 40000000."]


def _document_form(name: str, content: bytes):
    form_class = get_document_form(Document)
    data = {"title": "Parkeertarieven", "collection": Collection.get_first_root_node().pk}
    return form_class(data, {"file": SimpleUploadedFile(name, content)}, user=UserFactory(is_superuser=True))


@pytest.mark.django_db
def test_the_document_form_names_its_formats_and_size_and_checks_the_content():
    translation.activate("en")
    form = _document_form("tarieven.pdf", b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n")
    assert form.fields["file"].help_text == "Formats: CSV, PDF, TXT, XLSX. At most 20.0\xa0MB."
    assert form.fields["file"].widget.attrs["accept"] == ".csv,.pdf,.txt,.xlsx"
    assert form.is_valid(), form.errors
    assert _document_form("tarieven.csv", b"straat;tarief\nHof;3,30\n").is_valid()

    # random bytes named .pdf, and a file over 20 MB, are refused with a reason
    fake = _document_form("big.pdf", os.urandom(4096))
    assert not fake.is_valid()
    assert fake.errors["file"] == ["This file is not a PDF file, although its name ends in .pdf."]
    big = _document_form("programma.pdf", b"%PDF-1.7\n" + bytes(21 * 1024 * 1024))
    assert not big.is_valid()
    assert big.errors["file"] == ["This file is too big (21.0\xa0MB). Maximum filesize 20.0\xa0MB."]
    other = _document_form("setup.exe", b"MZ" + bytes(100))
    assert not other.is_valid()
    assert other.errors["file"] == ["File extension “exe” is not allowed. Allowed extensions are: csv, pdf, txt, xlsx."]


@pytest.fixture
def manager_client(client, area):
    home = HomePage.objects.get(pk=create_area_site(area=area, hostname="amersfoort.localhost").root_page_id)
    news = publish(home, NewsIndexPage(title="Nieuws", slug="nieuws"))
    manager = UserFactory()
    grant_role(user=manager, role=Role.AREA_MANAGER, area=area, granted_by=UserFactory(is_superuser=True))
    give_totp(manager)
    UserProfile.objects.update_or_create(user=manager, defaults={"preferred_language": "en"})
    client.force_login(manager)
    client.news = news
    return client


@pytest.mark.django_db
def test_no_admin_page_loads_an_avatar_from_gravatar(manager_client):
    for url in ("/cms/", "/cms/account/", f"/cms/pages/{manager_client.news.pk}/"):
        response = manager_client.get(url)
        assert response.status_code == 200
        assert "gravatar" not in response.content.decode()


@pytest.mark.django_db
def test_the_admin_speaks_dutch_or_english_only(manager_client):
    account = manager_client.get("/cms/account/").content.decode()
    assert "Nederlands" in account and "English" in account
    assert "Deutsch" not in account and "Français" not in account


@pytest.mark.django_db
def test_a_new_page_is_not_autosaved_into_a_hidden_draft(manager_client):
    create = manager_client.get(f"/cms/pages/add/cms/newspage/{manager_client.news.pk}/").content.decode()
    assert "data-w-autosave-interval-value" not in create and "w-autosave#save" not in create
    assert "w-unsaved" in create  # leaving with unsaved changes is still asked about

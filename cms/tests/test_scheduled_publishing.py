"""Scheduled publishing: a page set to go live goes live, a page past its expiry goes offline, within the minute."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone
from wagtail.models import Page, Revision

from agora.celery import app
from cms.models import HomePage, NewsIndexPage, NewsPage
from cms.services import create_area_site
from cms.tasks import publish_scheduled_pages_task
from cms.tests.conftest import publish


@pytest.fixture
def news(area):
    home = HomePage.objects.get(pk=create_area_site(area=area, hostname="amersfoort.localhost").root_page_id)
    return publish(home, NewsIndexPage(title="Nieuws", slug="nieuws"))


def test_beat_runs_the_scheduled_publishing_every_minute():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"].startswith("cms."))
    assert entry["task"] == publish_scheduled_pages_task.name and entry["task"] in app.tasks
    assert entry["schedule"] == 60


@pytest.mark.django_db
def test_a_scheduled_page_goes_live_once_its_time_has_come(news):
    # given: a news item scheduled for tomorrow morning ("Publish" with a go-live time)
    item = NewsPage(title="Maandagnieuws", slug="maandagnieuws", date=dt.date(2026, 12, 7), live=False)
    news.add_child(instance=item)
    item.go_live_at = timezone.now() + dt.timedelta(hours=9)
    revision = item.save_revision()
    revision.publish()
    assert not Page.objects.get(pk=item.pk).live

    # when: the morning has come (the approved time passed) and the minute's job runs
    past = timezone.now() - dt.timedelta(minutes=1)
    revision.content["go_live_at"] = past.isoformat()
    revision.approved_go_live_at = past
    revision.save(update_fields=["content", "approved_go_live_at"])
    Page.objects.filter(pk=item.pk).update(go_live_at=past)
    publish_scheduled_pages_task.delay()

    # then
    assert Page.objects.get(pk=item.pk).live
    assert not Revision.objects.filter(pk=revision.pk, approved_go_live_at__isnull=False).exists()


@pytest.mark.django_db
def test_a_page_past_its_expiry_goes_offline(news):
    offer = publish(news, NewsPage(title="Kerstactie", slug="kerstactie", date=dt.date(2026, 12, 1)))
    Page.objects.filter(pk=offer.pk).update(expire_at=timezone.now() - dt.timedelta(minutes=1))

    publish_scheduled_pages_task.delay()

    offer = Page.objects.get(pk=offer.pk)
    assert not offer.live and offer.expired
    # a page with no expiry, or one still ahead, stays
    assert Page.objects.get(pk=news.pk).live

"""An area manager edits the area's website in a real browser (the system Chromium driven by Playwright) against
a live server: logged in with a second factor, they create an event in the Wagtail admin and publish it; it is
on the site's event list and in the intervention calendar analytics reads (`cms.selectors.list_events`)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.roles import Role
from areas.services import grant_role
from areas.tests.factories import UserFactory, current_totp_code, give_totp
from cms.models import EventIndexPage, EventPage, HomePage
from cms.selectors import list_events
from cms.services import create_area_site

from .conftest import publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"


def test_an_area_manager_publishes_an_event_that_appears_on_the_site_and_in_the_calendar(
    live_server, browser_page, area
):
    # given: the area's site with its events page, and its manager, who has an authenticator app
    site = create_area_site(
        area=area, hostname="localhost", port=int(live_server.url.rsplit(":", 1)[1]), is_default=True
    )
    agenda = publish(HomePage.objects.get(pk=site.root_page_id), EventIndexPage(title="Agenda", slug="agenda"))
    manager = UserFactory(first_name="Fatima")
    manager.set_password(PASSWORD)
    manager.save()
    EmailAddress.objects.create(user=manager, email=manager.email, verified=True, primary=True)
    grant_role(user=manager, role=Role.AREA_MANAGER, area=area, granted_by=UserFactory(is_superuser=True))
    secret = give_totp(manager)
    day = timezone.now().astimezone(area.tz).date() + dt.timedelta(days=2)
    page = browser_page

    # when: they open the website editor and log in with their password and a code from the app
    page.goto(f"{live_server.url}/cms/")
    page.wait_for_url(re.compile(r"/nl/accounts/login/"))
    page.locator("input[name=login]").fill(manager.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(current_totp_code(secret))
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(re.compile(r"/cms/$"))

    # and add an event below the events page (the explorer's "add child page"), and publish it
    page.goto(f"{live_server.url}/cms/pages/{agenda.pk}/add_subpage/")
    page.wait_for_url(re.compile(rf"/cms/pages/add/cms/eventpage/{agenda.pk}/"))
    page.locator("#id_title").fill("Kaasmarkt op de Hof")
    page.locator("#id_category").select_option("market")
    page.locator("#id_starts_on").fill(day.strftime("%d-%m-%Y"))  # typed day first, as the editor shows dates
    page.locator("#id_start_time").fill("10:00")
    page.locator("#id_end_time").fill("15:30")
    page.locator("#id_place").fill("Hof")
    page.locator("#id_place").press("Tab")  # closes any date or time picker still open
    page.locator("footer .w-dropdown-button").get_by_role("button", name="Meer acties").click()
    page.locator("button[name=action-publish]").click()

    # then: Wagtail confirms, and the event is live below the events page
    page.wait_for_url(re.compile(rf"/cms/pages/{agenda.pk}/$"))
    event = EventPage.objects.child_of(agenda).live().get()
    assert (event.title, event.starts_on, event.start_time) == ("Kaasmarkt op de Hof", day, dt.time(10))
    assert event.get_latest_revision().user == manager

    # and the site's event list shows it
    page.goto(f"{live_server.url}/nl/agenda/")
    assert page.get_by_role("link", name="Kaasmarkt op de Hof").is_visible()

    # and the intervention calendar analytics reads has it for that week, on the area's wall clock
    monday = day - dt.timedelta(days=day.weekday())
    week_start = dt.datetime.combine(monday, dt.time.min, tzinfo=area.tz)
    calendar = list_events(area=area, start=week_start, end=week_start + dt.timedelta(days=7))
    [occurrence] = [o for o in calendar if o.page_id == event.pk]
    assert (occurrence.title, occurrence.category, occurrence.place) == ("Kaasmarkt op de Hof", "market", "Hof")
    assert occurrence.starts_at == dt.datetime.combine(day, dt.time(10), tzinfo=area.tz)
    assert occurrence.ends_at == dt.datetime.combine(day, dt.time(15, 30), tzinfo=area.tz)

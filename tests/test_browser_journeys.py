"""Journeys in a real browser (the system Chromium driven by Playwright) against a live server."""

import re

import pytest
from django.core import mail

from cms.services import create_area_site
from privacy.models import ConsentEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_shopper_signs_up_confirms_and_gives_and_withdraws_consent(live_server, browser_page, area):
    from privacy.default_purposes import ensure_default_purposes

    # given: an area with its site, and the published purposes
    ensure_default_purposes()
    create_area_site(area=area, hostname="localhost", port=int(live_server.url.rsplit(":", 1)[1]), is_default=True)
    page = browser_page

    # when: they sign up with only an e-mail address and a password
    page.goto(f"{live_server.url}/nl/accounts/signup/")
    page.get_by_label("E-mail").first.fill("sanne@example.org")
    page.locator("input[name=password1]").fill("kaasmarkt-2026!")
    page.locator("input[name=password2]").fill("kaasmarkt-2026!")
    # the optional consents are offered with their texts, none of them ticked
    boxes = page.locator("main input[type=checkbox]")
    assert boxes.count() == 3
    assert not any(boxes.nth(i).is_checked() for i in range(boxes.count()))
    page.locator("main form").get_by_role("button").click()

    # then: a confirmation mail arrives; following it signs them in
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://testserver", live_server.url))
    page.locator("main form").get_by_role("button").click()

    # when: they open their privacy choices
    page.goto(f"{live_server.url}/nl/privacy/consents/")
    analytics = page.locator("#purpose-analytics")
    # then: nothing is on until they switch it on
    assert page.locator(".badge--given").count() == 0
    analytics.get_by_role("button").click()
    assert page.locator("#purpose-analytics .badge--given").is_visible()

    # and withdrawing is one click on the same page
    page.locator("#purpose-analytics").get_by_role("button").click()
    assert page.locator("#purpose-analytics .badge--withdrawn").is_visible()
    states = list(ConsentEvent.objects.filter(subject__email="sanne@example.org").values_list("state", flat=True))
    assert states == ["given", "withdrawn"]

"""The campaign report in a real browser (the system Chromium driven by Playwright) against a live server: the
demo's area manager logs in with a second factor and opens the report of the demo campaign whose effect the seed
injected; the lift shows with its 95% interval, and the interval holds the injected lift."""

from __future__ import annotations

import re
from datetime import date

import pytest

from analytics.models import InjectedEffect
from areas.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, STAFF_DOMAIN, seed_demo
from areas.tests.factories import current_totp_code
from privacy.default_purposes import ensure_default_purposes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def percent(text: str) -> float:
    """ "+38,4 %" → 0.384 (the Dutch page writes a decimal comma)."""
    return float(text.replace("%", "").replace("+", "").replace("\u2212", "-").replace(",", ".").strip()) / 100


def test_the_manager_logs_in_and_sees_the_seeded_campaigns_lift_with_its_interval(live_server, browser_page):
    # given: the small demo, whose seed injected +20% visits at the campaign's merchants and computed the report
    ensure_default_purposes()
    seed_demo(
        seed=1,
        size="small",
        today=date.today(),
        only=["loyalty", "analytics.effects_campaign", "analytics.effects_reports"],
        log=lambda _line: None,
    )
    truth = InjectedEffect.objects.select_related("campaign__area").get(campaign__area__slug="amersfoort")
    page = browser_page

    # when: the area manager logs in with password and authenticator code
    page.goto(f"{live_server.url}/nl/accounts/login/?next=/nl/analyse/amersfoort/effecten/")
    page.locator("input[name=login]").fill(f"manager.amersfoort@{STAFF_DOMAIN}")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(current_totp_code(DEMO_TOTP_SECRET))
    page.locator("input[name=code]").press("Enter")
    page.wait_for_url(re.compile(r"/nl/analyse/amersfoort/effecten/$"))

    # and opens the campaign's report from the list of campaigns and events
    page.get_by_role("link", name=truth.campaign.name).click()
    page.wait_for_url(re.compile(rf"/effecten/campagne/{truth.campaign.pk}/$"))

    # then: the lift is there with its 95% interval, which holds the injected lift
    lift = page.get_by_test_id("lift").inner_text()
    interval = page.get_by_test_id("interval").inner_text()
    low, high = (percent(part) for part in re.findall(r"[+\u2212-]?\d+(?:,\d+)? %", interval))
    assert "95%" in interval
    assert low <= percent(lift) <= high
    assert low <= truth.lift <= high
    assert page.get_by_role("img").count() >= 1  # actual against expected, drawn as inline SVG
    assert "placebo" in page.content().lower()

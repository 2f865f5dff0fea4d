"""An event's report end to end: a published CMS event in an area with visits before and during it; the manager
finds it in the effects list, asks for its report on its page, the task runs, and the page shows the lift with an
interval."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from analytics.models import EffectReport, EffectStatus, SubjectKind
from areas.tests.factories import MerchantFactory, StaffMembershipFactory
from cms.models import EventCategory, EventIndexPage, EventPage, HomePage
from cms.services import create_area_site
from cms.tests.conftest import publish
from privacy.tests.factories import with_totp

from .factories import Till, member

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")
PRE_DAYS = 42


@pytest.fixture
def festival(area):
    """A one-day festival 10 days ago on the area's site; 12 members (K = 10) shop at two merchants every third
    day for six weeks before it (about four visits a day), and all of them on the festival day, most twice."""
    area.suppression_k = 10
    area.save(update_fields=["suppression_k"])
    today = timezone.localdate(timezone=AMS)
    day = today - dt.timedelta(days=10)
    site = create_area_site(area=area, hostname="festival.localhost", port=80)
    home = HomePage.objects.get(pk=site.root_page_id)
    agenda = publish(home, EventIndexPage(title="Agenda", slug="agenda"))
    page = publish(
        agenda,
        EventPage(
            title="Zomerfestival",
            slug="zomerfestival",
            category=EventCategory.FESTIVAL,
            starts_on=day,
            start_time=dt.time(11, 0),
            end_time=dt.time(18, 0),
            place="Markt",
        ),
    )
    shops = [MerchantFactory(area=area, sector="food"), MerchantFactory(area=area, sector="fashion")]
    till = Till()
    passes = [member(area)[1] for _ in range(12)]
    for offset in range(PRE_DAYS, 0, -1):
        date = day - dt.timedelta(days=offset)
        for i, member_pass in enumerate(passes):
            if (date.toordinal() + i) % 3 == 0:
                at = dt.datetime.combine(date, dt.time(10, i), tzinfo=AMS)
                till.visit(shops[i % 2], member_pass, 1_500 + 100 * i, at)
    for i, member_pass in enumerate(passes):
        till.visit(shops[0], member_pass, 2_000, dt.datetime.combine(day, dt.time(12, i), tzinfo=AMS))
        if i < 9:
            till.visit(shops[1], member_pass, 1_000, dt.datetime.combine(day, dt.time(15, i), tzinfo=AMS))
    return {"page": page, "day": day}


def test_the_manager_requests_an_event_report_and_sees_its_lift_with_an_interval(
    client, area, festival, django_capture_on_commit_callbacks
):
    manager = with_totp(StaffMembershipFactory(role=Role.AREA_MANAGER, area=area, merchant=None).user)
    client.force_login(manager)
    with translation.override("en"):
        # given: the festival is in the effects list, without a report yet
        listing = client.get(reverse("analytics_effects:reports", kwargs={"area": area.slug}))
        assert listing.status_code == 200
        html = listing.content.decode()
        assert "Zomerfestival" in html
        start = dt.datetime.combine(festival["day"], dt.time(11, 0), tzinfo=AMS).astimezone(dt.UTC)
        occurrence_id = f"{festival['page'].pk}:{start:%Y%m%dT%H%MZ}"
        url = reverse("analytics_effects:event", kwargs={"area": area.slug, "occurrence_id": occurrence_id})
        assert url in html
        assert client.get(url).status_code == 200

        # when: the manager asks for its report (cost 500 euros, margin 30%) and the task runs
        with django_capture_on_commit_callbacks(execute=True):
            asked = client.post(url, {"cost_euros": "500", "margin_percent": "30"})
        assert asked.status_code == 302 and asked["Location"] == url

        # then: the report is done, for the festival's day, and its page shows the lift with an interval
        report = EffectReport.objects.get(area=area, occurrence_id=occurrence_id)
        assert report.status == EffectStatus.DONE, report.error
        assert report.kind == SubjectKind.EVENT and report.title == "Zomerfestival"
        assert (report.starts_on, report.ends_on) == (festival["day"], festival["day"] + dt.timedelta(days=1))
        assert report.cost_cents == 50_000
        visits = report.result["visits"]
        # 21 visits on the day against about 4 on an ordinary one: a clear lift, its interval above zero.
        assert visits["actual"] == 21 and visits["lift"] > 1 and visits["low"] > 0
        page = client.get(url).content.decode()
        assert "Effect on visits" in page and 'data-testid="lift"' in page
        assert "95% interval:" in page and "The interval does not include zero" in page
        assert "campaign" not in page[page.index("lift-heading") :].split("<footer")[0].lower()
        listing = client.get(reverse("analytics_effects:reports", kwargs={"area": area.slug})).content.decode()
        assert f"+{visits['lift'] * 100:.1f} %".replace(",", "") in listing.replace(",", "")

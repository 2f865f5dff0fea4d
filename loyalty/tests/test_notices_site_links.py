"""The points notice links to the member's own area site: a Mechelen member's pass opens on Mechelen's host."""

from datetime import timedelta

import pytest
from django.core import mail

from areas.tests.factories import MerchantFactory, UserFactory
from cms.services import create_area_site
from loyalty import services

from .factories import PassFactory, award, cashier_for, rules_for

pytestmark = pytest.mark.django_db


def test_a_mechelen_members_expiry_notice_links_to_the_mechelen_site(
    area, flemish_area, now, django_capture_on_commit_callbacks
):
    # given: two areas with their sites (Amersfoort's the default) and a Mechelen member with points
    create_area_site(area=area, hostname="localhost", port=8000, is_default=True)
    create_area_site(area=flemish_area, hostname="mechelen.localhost", port=8000)
    rules_for(flemish_area, expiry_months=1)
    merchant = MerchantFactory(area=flemish_area, postcode="2800", city="Mechelen")
    member_pass = PassFactory(area=flemish_area, member=UserFactory(preferred_language="nl"), now=now)
    award(merchant, member_pass, 1500, at=now, by=cashier_for(merchant))

    # when: the notice leaves
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_expiry_notices(now=now + timedelta(days=2)) == 1

    # then: its links are on Mechelen's host
    links = [word for word in mail.outbox[0].body.split() if word.startswith("http")]
    assert links and all(link.startswith("http://mechelen.localhost:8000/nl/mijn/") for link in links), links

"""One way of saying a parcel's last day: the date of the day itself (with its weekday), on the desk's parcel page,
the dashboard (test_dashboard) and the member's page, as the e-mails say it, never the midnight after it."""

from datetime import date

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from parcels.services.notices import LAST_DAY_FORMAT, last_day
from privacy.tests.factories import with_totp

from .factories import receive

pytestmark = pytest.mark.django_db


def test_the_desk_and_the_member_say_the_same_last_day(client, point, staff, person, now):
    # given: received Wednesday 10 June with 7 days: it waits through Wednesday 17 June (until midnight after)
    EmailAddress.objects.create(user=person, email=person.email, verified=True, primary=True)
    parcel = receive(point, staff, at=now, email=person.email)
    assert last_day(parcel) == date(2026, 6, 17)
    with translation.override("nl"):
        said = date_format(date(2026, 6, 17), LAST_DAY_FORMAT)  # "woensdag 17 juni 2026"
    # when
    client.force_login(with_totp(staff))
    desk = client.get(reverse("parcels:desk_parcel", args=[point.pk, parcel.pk])).content.decode()
    client.force_login(person)
    member = client.get(reverse("parcels:my_parcels")).content.decode()
    # then
    assert said in desk and said in member
    assert "18-6-2026" not in desk and "0:00" not in desk[desk.index("data-last-day") :][:80]

import datetime as dt

import pytest
from django.utils import timezone

from areas.tests.factories import UserFactory


@pytest.mark.django_db
def test_a_request_records_activity_once_a_day(client, django_assert_max_num_queries):
    # given: someone last seen two days ago
    person = UserFactory(last_seen_at=timezone.now() - dt.timedelta(days=2))
    client.force_login(person)

    # when: they load a page
    client.get("/nl/privacy/")

    # then: last_seen_at moved to now
    person.refresh_from_db()
    assert timezone.now() - person.last_seen_at < dt.timedelta(minutes=1)
    first_seen = person.last_seen_at

    # and a second request the same day does not write again
    client.get("/nl/privacy/")
    person.refresh_from_db()
    assert person.last_seen_at == first_seen

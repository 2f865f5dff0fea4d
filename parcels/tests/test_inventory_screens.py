"""The inventory result page after a partial count: missing in the counted slots (marked only when confirmed), the
slots never scanned listed apart, and the parcels on no slot as their own list."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from parcels import services
from parcels.models import Parcel
from parcels.states import ParcelState
from privacy.tests.factories import with_totp

from .factories import UPS_CODES, key, receive, slot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def url(name, *args):
    return reverse(f"parcels:{name}", args=args)


def test_a_partial_count_lists_what_was_not_counted_and_marks_only_the_counted_slots(client, point, staff):
    # given: parcels in A1-1 (counted) and B2-3 (never scanned), one scanned in without a slot, a return
    client.force_login(with_totp(staff))
    yesterday = timezone.now() - timedelta(days=1)
    a1, b23 = slot(point, "A", "1", "1"), slot(point, "B", "2", "3")
    not_found = receive(point, staff, at=yesterday, location=a1)
    skipped = receive(point, staff, at=yesterday, location=b23)
    unplaced = receive(point, staff, at=yesterday)
    dropped = services.drop_off_return(point=point, raw_code=UPS_CODES[0], by=staff, request_key=key()).parcel
    count = services.start_inventory(point=point, by=staff)
    services.scan_inventory(count=count, raw_code=a1.label_code, by=staff)
    services.finish_inventory(count=count, by=staff)
    # when
    page = client.get(url("inventory_result", point.pk, count.pk)).content.decode()
    # then
    missing = page[page.index("Missing (1)") : page.index("Not counted (1)")]
    assert not_found.tracking_code in missing and skipped.tracking_code not in missing
    uncounted = page[page.index("Not counted (1)") : page.index("Not on a shelf (2)")]
    assert "B2-3" in uncounted and skipped.tracking_code in uncounted
    off_shelf = page[page.index("Not on a shelf (2)") : page.index("Unexpected")]
    assert unplaced.tracking_code in off_shelf and dropped.tracking_code in off_shelf
    assert "I looked for this parcel in its slot: mark it missing." in page
    client.post(url("inventory_mark_missing", point.pk, count.pk), {"confirm": "yes"})
    states = dict(Parcel.objects.values_list("pk", "state"))
    assert states[not_found.pk] == ParcelState.MISSING
    assert (states[skipped.pk], states[unplaced.pk]) == (ParcelState.STORED, ParcelState.RECEIVED)
    assert states[dropped.pk] == ParcelState.RETURN_RECEIVED

"""A parcel that left the point and comes back, and a refusal made by mistake: taken in again as a new arrival of the
code, the first one's row and events as they were; which limit a refusal was for."""

from datetime import timedelta

import pytest
from django.utils import translation

from parcels import services
from parcels.exceptions import RecipientRequired
from parcels.models import AnnouncementSource, EventKind, Parcel, ParcelEvent, RefusalReason, SizeClass
from parcels.states import ParcelState

from .factories import UPS_CODES, agree, key, receive, slot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def scan(point, staff, raw_code, *, now, **extra):
    return services.receive_parcel(
        point=point, raw_code=raw_code, by=staff, request_key=extra.pop("request_key", None) or key(), now=now, **extra
    )


def hand_out(point, staff, parcel, now):
    services.hand_out_parcels(
        point=point,
        parcel_ids=[parcel.pk],
        pickup_code_or_token=parcel.pickup_code,
        by=staff,
        request_key=key(),
        now=now,
    )
    parcel.refresh_from_db()
    return parcel


def events_of(parcel):
    return list(ParcelEvent.objects.filter(parcel=parcel).order_by("at", "pk").values_list("kind", "note"))


@pytest.mark.usefixtures("english")
def test_a_picked_up_parcel_is_shown_until_staff_take_it_in_again_as_a_new_arrival(point, staff, now):
    # given a parcel that was put on a slot and handed out
    shelf = slot(point, "C", "2", "2", size_class=SizeClass.L)
    first = receive(point, staff, code=UPS_CODES[0], at=now, location=shelf)
    first = hand_out(point, staff, first, now + timedelta(hours=1))
    history = events_of(first)

    # when it is scanned again the next day: only shown, and no longer on its old slot
    later = now + timedelta(days=1)
    shown = scan(point, staff, UPS_CODES[0], now=later)
    assert shown.is_duplicate and shown.parcel == first and shown.may_take_again
    assert first.location == shelf and first.shelf_location is None

    # when staff take it in again: the label's recipient is asked (the first one's announcement is used up)
    again = scan(
        point, staff, UPS_CODES[0], now=later, again=True, recipient_name="Bo", recipient_email="bo@example.org"
    )

    # then it is a new parcel, arrival 2, waiting; the first keeps its state and history
    parcel = again.parcel
    assert not again.is_duplicate and parcel.pk != first.pk
    assert (parcel.arrival, parcel.state, parcel.recipient_name) == (2, ParcelState.RECEIVED, "Bo")
    assert parcel.pickup_code and parcel.pickup_code != first.pickup_code
    first.refresh_from_db()
    assert (first.arrival, first.state, events_of(first)) == (1, ParcelState.PICKED_UP, history)
    # the history is written in the area's language
    assert events_of(parcel) == [(EventKind.RECEIVED, "Opnieuw hier nadat het weg was: aankomst 2 van deze code")]
    # and the next scan shows the new arrival, not the first
    assert scan(point, staff, UPS_CODES[0], now=later).parcel == parcel


def test_taking_in_again_a_parcel_that_is_still_here_only_shows_it(point, staff, now):
    parcel = receive(point, staff, code=UPS_CODES[1], at=now)
    again = scan(point, staff, UPS_CODES[1], now=now, again=True, recipient_name="Bo", recipient_email="b@example.org")
    assert again.is_duplicate and again.parcel == parcel and not again.may_take_again
    assert Parcel.objects.count() == 1


def test_a_retried_take_in_again_makes_one_new_arrival(point, staff, now):
    first = hand_out(point, staff, receive(point, staff, code=UPS_CODES[0], at=now), now)
    request_key = key()
    data = {"again": True, "recipient_name": "Bo", "recipient_email": "bo@example.org", "request_key": request_key}
    one = scan(point, staff, UPS_CODES[0], now=now, **data)
    two = scan(point, staff, UPS_CODES[0], now=now, **data)
    assert two.is_duplicate and two.parcel == one.parcel != first
    assert Parcel.objects.count() == 2


@pytest.mark.usefixtures("english")
def test_a_refusal_by_mistake_is_undone_with_an_event_on_the_refused_parcel(point, staff, now):
    # given an announced parcel refused for a typo in the weight (40 kg instead of 4)
    agree(point, "ups", max_weight_grams=20_000, accept_oversize=False)
    services.announce_parcel(
        point=point,
        carrier_code="ups",
        tracking_code=UPS_CODES[2],
        recipient_name="Sanne de Vries",
        recipient_email="sanne@example.org",
        source=AnnouncementSource.CSV,
    )
    refused = scan(point, staff, UPS_CODES[2], now=now, weight_grams=40_000).parcel
    assert refused.state == ParcelState.REFUSED and refused.refused_reason == RefusalReason.TOO_HEAVY
    assert refused.get_refused_reason_display() == "Too heavy"
    assert scan(point, staff, UPS_CODES[2], now=now).may_take_again  # every later scan shows the refusal

    # when staff undo it at the desk
    later = now + timedelta(minutes=2)
    taken = scan(point, staff, UPS_CODES[2], now=later, again=True, weight_grams=4_000, device="balie-1").parcel

    # then the parcel is taken in for the announced recipient; the refusal stays, with who undid it and when
    assert (taken.state, taken.arrival, taken.recipient_name) == (ParcelState.RECEIVED, 2, "Sanne de Vries")
    refused.refresh_from_db()
    assert refused.state == ParcelState.REFUSED and refused.announcement is None
    undone = ParcelEvent.objects.get(parcel=refused, kind=EventKind.REFUSAL_UNDONE)
    assert (undone.by, undone.device, undone.at, undone.from_state, undone.to_state) == (
        staff,
        "balie-1",
        later,
        ParcelState.REFUSED,
        ParcelState.REFUSED,
    )
    assert undone.note == "Toch ingescand, als aankomst 2"  # the history is written in the area's language
    assert events_of(taken) == [(EventKind.RECEIVED, "Per vergissing geweigerd: toch ingescand (aankomst 2)")]


def test_an_undo_that_still_needs_the_recipient_writes_nothing(point, staff, now):
    agree(point, "ups", max_size_class=SizeClass.L, accept_oversize=False)
    refused = scan(point, staff, UPS_CODES[3], now=now, size_class=SizeClass.XL).parcel
    with pytest.raises(RecipientRequired):
        scan(point, staff, UPS_CODES[3], now=now, again=True)
    assert Parcel.objects.count() == 1 and ParcelEvent.objects.filter(parcel=refused).count() == 1


@pytest.mark.parametrize(
    ("size_class", "weight_grams", "reason"),
    [
        (SizeClass.XL, None, RefusalReason.TOO_LARGE),
        (SizeClass.S, 40_000, RefusalReason.TOO_HEAVY),
        (SizeClass.XL, 40_000, RefusalReason.OVERSIZE),
    ],
)
def test_a_refusal_names_the_limit_it_was_for(point, staff, now, size_class, weight_grams, reason):
    agree(point, "ups", max_size_class=SizeClass.L, max_weight_grams=20_000, accept_oversize=False)
    result = scan(point, staff, UPS_CODES[0], now=now, size_class=size_class, weight_grams=weight_grams)
    assert result.is_refused and result.parcel.refused_reason == reason


def test_the_handover_takes_the_arrival_that_is_leaving_now(point, staff, now):
    # given a parcel picked up once, back again and past its storage limit
    first = hand_out(point, staff, receive(point, staff, code=UPS_CODES[0], at=now - timedelta(days=20)), now)
    back = scan(
        point,
        staff,
        UPS_CODES[0],
        now=now - timedelta(days=10),
        again=True,
        recipient_name="Bo",
        recipient_email="bo@example.org",
    ).parcel
    services.expire_overdue_parcels(now=now)
    handover = services.open_handover(point=point, carrier_code="ups", by=staff)
    # when the driver's list is scanned: the expired second arrival leaves, not the first
    assert services.scan_for_handover(handover=handover, raw_code=UPS_CODES[0], by=staff).parcel == back != first

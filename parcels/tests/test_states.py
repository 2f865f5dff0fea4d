"""The state machine: every allowed move is made and recorded, every other move is refused and changes nothing.

The parcels here are put in their starting state directly (the table itself is what is under test); every
other test brings parcels in through the services.
"""

from itertools import product

import pytest

from parcels.exceptions import InvalidTransition
from parcels.models import Billable, Carrier, EventKind, Parcel, ParcelEvent
from parcels.services import transition
from parcels.states import INITIAL_STATES, TERMINAL_STATES, TRANSITIONS, ParcelState, can_move

STATES = list(ParcelState)
ALLOWED = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
PAIRS = list(product(STATES, STATES))

_codes = iter(range(10**6))


def parcel_in(point, state: str) -> Parcel:
    return Parcel.objects.create(
        point=point, carrier=Carrier.objects.get(code="ups"), tracking_code=f"TEST{next(_codes)}", state=state
    )


def test_the_table_names_every_state_once():
    assert set(TRANSITIONS) == set(ParcelState.values)
    assert {
        ParcelState.PICKED_UP,
        ParcelState.HANDED_TO_CARRIER,
        ParcelState.REFUSED,
        ParcelState.LOST,
    } == TERMINAL_STATES
    assert {ParcelState.RECEIVED, ParcelState.REFUSED, ParcelState.RETURN_RECEIVED} == INITIAL_STATES


def test_the_moves_the_issue_asks_for_are_allowed():
    assert {
        (ParcelState.RECEIVED, ParcelState.STORED),
        (ParcelState.STORED, ParcelState.PICKED_UP),
        (ParcelState.STORED, ParcelState.EXPIRED),
        (ParcelState.EXPIRED, ParcelState.HANDED_TO_CARRIER),
        (ParcelState.RETURN_RECEIVED, ParcelState.HANDED_TO_CARRIER),
        (ParcelState.RECEIVED, ParcelState.LOST),
        (ParcelState.EXPIRED, ParcelState.LOST),
    } <= ALLOWED


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{s}->{t}" for s, t in PAIRS])
def test_every_move(point, staff, source, target, now):
    parcel = parcel_in(point, source)
    if (source, target) in ALLOWED:
        event = transition(parcel, target, by=staff, device="desk-1", at=now)
        parcel.refresh_from_db()
        assert parcel.state == target
        assert (event.from_state, event.to_state, event.by, event.device) == (source, target, staff, "desk-1")
        assert event.kind == (EventKind.FOUND if source == ParcelState.MISSING and target != "lost" else target)
    else:
        assert not can_move(source, target)
        with pytest.raises(InvalidTransition) as refused:
            transition(parcel, target, by=staff, at=now)
        assert (refused.value.from_state, refused.value.to_state) == (source, target)
        parcel.refresh_from_db()
        assert parcel.state == source
        assert not ParcelEvent.objects.filter(parcel=parcel).exists()


@pytest.mark.parametrize("target", STATES)
def test_a_new_parcel_starts_only_in_an_initial_state(point, staff, target, now):
    parcel = Parcel(point=point, carrier=Carrier.objects.get(code="dpd"), tracking_code="05212345678901")
    if target in INITIAL_STATES:
        event = transition(parcel, target, by=staff, at=now)
        assert parcel.pk and event.from_state == "" and event.to_state == target
    else:
        with pytest.raises(InvalidTransition):
            transition(parcel, target, by=staff, at=now)
        assert not Parcel.objects.filter(tracking_code="05212345678901").exists()


@pytest.mark.parametrize(
    ("target", "billable", "fee"),
    [
        (ParcelState.STORED, Billable.NONE, 0),
        (ParcelState.PICKED_UP, Billable.PICKUP, 15),
        (ParcelState.EXPIRED, Billable.NONE, 0),
    ],
)
def test_billable_moves_copy_the_agreed_fee(point, staff, now, target, billable, fee):
    event = transition(parcel_in(point, ParcelState.RECEIVED), target, by=staff, at=now)
    assert (event.billable, event.fee_cents) == (billable, fee)

"""The parcel's state machine: the states and every allowed move, as one table.

Inbound parcels are scanned in (`received`), put on a shelf (`stored`) and handed out (`picked_up`), or,
past their storage limit, go onto the carrier's return list (`expired`) and leave with the driver
(`handed_to_carrier`). A return dropped off by a customer (`return_received`) leaves the same way. A parcel
refused at intake is `refused` and never stored. The daily inventory may flag a parcel `missing`; it is
found again (back to a shelf, to the return list, or to the returns awaiting collection) or written off as
`lost` by a manager, with a reason. Terminal states have no way out; parcels are never deleted.

`services.transitions.transition` is the only code that changes `Parcel.state`; it refuses any move not in
`TRANSITIONS` and writes the append-only event.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ParcelState(models.TextChoices):
    RECEIVED = "received", _("Received")
    STORED = "stored", _("On the shelf")
    PICKED_UP = "picked_up", _("Picked up")
    EXPIRED = "expired", _("Expired (on the return list)")
    RETURN_RECEIVED = "return_received", _("Return dropped off")
    HANDED_TO_CARRIER = "handed_to_carrier", _("Handed to the carrier")
    REFUSED = "refused", _("Refused at intake")
    MISSING = "missing", _("Missing (not found at the inventory)")
    LOST = "lost", _("Lost")


S = ParcelState

#: The states a parcel may be created in (the event's `from_state` is empty).
INITIAL_STATES: frozenset[str] = frozenset({S.RECEIVED, S.REFUSED, S.RETURN_RECEIVED})

#: from → the states it may move to. Anything else is refused (`InvalidTransition`).
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.STORED, S.PICKED_UP, S.EXPIRED, S.MISSING, S.LOST}),
    S.STORED: frozenset({S.PICKED_UP, S.EXPIRED, S.MISSING, S.LOST}),
    S.EXPIRED: frozenset({S.HANDED_TO_CARRIER, S.MISSING, S.LOST}),
    S.RETURN_RECEIVED: frozenset({S.HANDED_TO_CARRIER, S.MISSING, S.LOST}),
    # Found again: back where it belongs (the services pick which from the parcel's storage date and direction).
    S.MISSING: frozenset({S.STORED, S.EXPIRED, S.RETURN_RECEIVED, S.LOST}),
    S.PICKED_UP: frozenset(),
    S.HANDED_TO_CARRIER: frozenset(),
    S.REFUSED: frozenset(),
    S.LOST: frozenset(),
}

#: Waiting for their recipient: these are what a pickup code releases.
WAITING_STATES: frozenset[str] = frozenset({S.RECEIVED, S.STORED})
#: Physically at the point: these take up room on a shelf.
IN_HOUSE_STATES: frozenset[str] = frozenset({S.RECEIVED, S.STORED, S.EXPIRED, S.RETURN_RECEIVED})
#: What leaves with a carrier's driver: the handover list.
LEAVING_STATES: tuple[str, ...] = (S.RETURN_RECEIVED, S.EXPIRED)
#: No way out.
TERMINAL_STATES: frozenset[str] = frozenset(state for state, targets in TRANSITIONS.items() if not targets)


def can_move(from_state: str, to_state: str) -> bool:
    """Is `from_state → to_state` in the table? (`from_state` "" is the creation of a parcel.)"""
    if not from_state:
        return to_state in INITIAL_STATES
    return to_state in TRANSITIONS.get(from_state, frozenset())

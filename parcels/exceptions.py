"""Errors raised by the parcel services. Each carries a message fit to show at the desk.

Interfaces catch `ParcelError` (or the `ApplicationError` base) and show `error.message`; extra keyword
arguments become attributes (e.g. `InvalidTransition.from_state`, `WrongPickupCode.attempts_left`).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from agora.exceptions import ApplicationError


class ParcelError(ApplicationError):
    """Base of the parcel errors. `default_message` is translated when the error is raised."""

    default_message = _("This cannot be done with the parcel.")

    def __init__(self, message: str = "", **extra):
        super().__init__(str(message or self.default_message), **extra)
        for name, value in extra.items():
            setattr(self, name, value)


class InvalidTransition(ParcelError):
    """`from_state` and `to_state` say which move was refused."""

    default_message = _("This parcel cannot go to that state from where it is now.")


class NotAllowed(ParcelError):
    default_message = _("You may not do this at this parcel point.")


class PointClosed(ParcelError):
    default_message = _("This parcel point is not active.")


class UnknownCarrier(ParcelError):
    default_message = _("This carrier is not known at this parcel point.")


class InvalidTrackingCode(ParcelError):
    default_message = _("Scan the parcel's barcode again: nothing readable was scanned.")


class NotACarrierCode(InvalidTrackingCode):
    """At intake: no carrier's tracking codes look like this (an order number, two scans run together, …)."""

    default_message = _("This is not a carrier's tracking code. Scan the barcode with the tracking number.")


class SlotLabelScanned(ParcelError):
    """At intake, a slot's label where a parcel's barcode was expected (or a label of no slot here)."""

    default_message = _("This is a slot label, not a parcel. Scan the parcel's barcode first.")


class RecipientRequired(ParcelError):
    """An unknown parcel: the desk asks for the recipient's name and e-mail from the label."""

    default_message = _("This parcel was not announced. Enter the recipient's name and e-mail from the label.")


class InvalidRecipient(ParcelError):
    default_message = _("Enter the recipient's name and a valid e-mail address.")


class RequestKeyReused(ParcelError):
    """The same request key came with a different request: a client bug, never retried."""

    default_message = _("This request was already used for something else. Start again.")


class UnknownLocation(ParcelError):
    default_message = _("No slot with this label at this parcel point. Scan the slot's label again.")


class LocationTooSmall(ParcelError):
    default_message = _("This parcel is too large for that slot. Choose a larger one.")


class LocationFull(ParcelError):
    default_message = _("That slot is full. Choose another one.")


class ParcelNotWaiting(ParcelError):
    """The parcel is not (any more) waiting for pickup: handed out, expired, or never here."""

    default_message = _("This parcel is not waiting for pickup (any more).")


class WrongPickupCode(ParcelError):
    """`attempts_left` says how many wrong codes this desk may still try before it is paused."""

    default_message = _("This pickup code is not right for these parcels.")


class TooManyWrongCodes(ParcelError):
    default_message = _("Too many wrong pickup codes at this desk. Wait a few minutes and try again.")


class AlreadyPickedUp(ParcelError):
    """The code is right, but its parcels were handed out already (`picked_up_at`: the last handout). Not counted as
    a wrong code: staff need to tell a typo from a second visit."""

    default_message = _("The parcels of this pickup code were picked up already.")


class NameDoesNotMatch(ParcelError):
    """The code releases parcels, but not for the name given."""

    default_message = _("The pickup code is right, but the name does not match. Check the name, or leave it empty.")


class NothingToHandOut(ParcelError):
    default_message = _("Scan or tick the parcels you hand out first.")


class IdCheckRequired(ParcelError):
    default_message = _("This carrier requires an ID check: check the recipient's ID and tick the box.")


class ReasonRequired(ParcelError):
    default_message = _("Give a reason.")


class AnnouncementConflict(ParcelError):
    """The same parcel was announced before for someone else."""

    default_message = _("This parcel was already announced for another recipient.")


# --- Back office: returns drop-off, carrier handover, inventory ---------------------------------------------


class NotAReturn(ParcelError):
    """The code is a parcel for a recipient at this point (scanned at the returns screen by mistake)."""

    default_message = _("This is a parcel for a recipient, not a return. Use the pickup or intake screen.")


class ReturnTooLarge(ParcelError):
    """Beyond the carrier's size or weight limit here (and its agreement takes no oversize parcels)."""

    default_message = _("This return is larger or heavier than this carrier takes here. Nothing was recorded.")


class InvalidReceiptEmail(ParcelError):
    default_message = _("Enter a valid e-mail address for the receipt, or leave it empty.")


class NotOnHandoverList(ParcelError):
    """A scan at the handover that is not on its list: another carrier's parcel, one not leaving, or unknown."""

    default_message = _("This parcel is not on this carrier's list: it is not for this carrier or not leaving.")


class HandoverClosed(ParcelError):
    default_message = _("This handover is closed already. Open a new one for the next driver.")


class NothingScanned(ParcelError):
    default_message = _("Scan the parcels the driver takes before closing: nothing leaves unscanned.")


class DriverNameRequired(ParcelError):
    default_message = _("Enter the driver's name.")


class InventoryFinished(ParcelError):
    default_message = _("This inventory is finished. Start a new one.")


class InventoryNotFinished(ParcelError):
    default_message = _("Finish the inventory first.")


class SlotFirst(ParcelError):
    default_message = _("Scan a slot label first, then the parcels in that slot.")


class InvalidPickupVoucher(ParcelError):
    default_message = _("Give a voucher value of zero or more, 1 to 365 days, and merchants of this shopping area.")


class AnnouncementsRejected(ParcelError):
    """Pre-announcements refused as a whole: `errors` lists (line or index, field, message) per bad row."""

    default_message = _("Nothing was imported: correct the rows below and try again.")

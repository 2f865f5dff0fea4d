"""The neighbourhood parcel point: points, shelves, carriers, pre-announcements, parcels and their history.

- `ParcelPoint`: one desk of an area (usually one per area), with its storage, reminder and retention rules.
- `StorageLocation`: a slot on a shelf, with the largest size it takes, how many parcels fit and the code
  its printed label carries.
- `Carrier` (the eight of `barcodes.CARRIERS`, seeded by a migration) and `CarrierAgreement`: what one point
  agreed with one carrier — storage days, ID check, size and weight limits, and the fee per billable scan.
- `LearnedCarrierPrefix`: the answer staff gave to "which carrier?" for an ambiguous code ("3S…"), so the
  next parcel with that prefix is recognised without the question.
- `Announcement`: a parcel expected at the point (from the webshop, a CSV or the API): who it is for.
- `ParcelWatch`: a member's "let me know when it arrives": a request to be told, never who a parcel is for.
- `Parcel`: one physical parcel, inbound or a return; its `state` follows `states.TRANSITIONS` and is only
  changed by `services.transitions.transition`, which writes a `ParcelEvent`.
- `ParcelEvent`: append-only (the ORM refuses changes; on PostgreSQL a trigger does too). Who, which desk
  device, when, where, from → to, and the fee of a billable scan as it was agreed at the time.
- `Handover` (a driver collecting returns and expired parcels) and `InventoryCount` with its
  `InventoryScan`s: the models of the desk screens built on these services.

Parcels are never deleted: everything pointing at them protects them, and the admin has no delete.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from privacy.models import AppendOnlyModel

from .states import TERMINAL_STATES, ParcelState


class SizeClass(models.TextChoices):
    """Size classes, smallest first (a slot of class L takes S, M and L parcels)."""

    S = "S", _("S (letterbox, up to 38×26×3 cm)")
    M = "M", _("M (shoebox, up to 40×30×20 cm)")
    L = "L", _("L (up to 60×40×40 cm)")
    XL = "XL", _("XL (larger, up to 100×50×70 cm)")


SIZE_ORDER = [SizeClass.S, SizeClass.M, SizeClass.L, SizeClass.XL]


def size_rank(size_class: str) -> int:
    """0 for S … 3 for XL; an unknown (empty) size counts as M, the most common parcel."""
    try:
        return SIZE_ORDER.index(size_class)
    except ValueError:
        return SIZE_ORDER.index(SizeClass.M)


def validate_reminder_days(value: str) -> None:
    if not re.fullmatch(r"\s*(\d{1,2}\s*(,\s*\d{1,2}\s*)*)?", value or ""):
        raise ValidationError(_("Give whole days separated by commas, for example 3,6."))


class ParcelPoint(models.Model):
    """An area's parcel desk: where it is, and its rules for storage, reminders and personal data."""

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.PROTECT, related_name="parcel_points"
    )
    name = models.CharField(_("name"), max_length=120)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=8, blank=True)
    city = models.CharField(_("town"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    opening_notes = models.TextField(
        _("opening hours and notes"), blank=True, help_text=_("Shown in the e-mails to recipients.")
    )
    storage_days = models.PositiveSmallIntegerField(
        _("storage days"),
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Days a parcel waits for its recipient, unless the carrier's agreement says otherwise."),
    )
    reminder_days = models.CharField(
        _("reminder days"),
        max_length=40,
        default="3,6",
        validators=[validate_reminder_days],
        help_text=_("Days after intake on which the recipient is reminded, separated by commas."),
    )
    recipient_retention_days = models.PositiveSmallIntegerField(
        _("keep recipient data for (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Days after a parcel left the point before the recipient's name and e-mail are erased."),
    )
    max_size_class = models.CharField(
        _("largest size taken"), max_length=2, choices=SizeClass.choices, default=SizeClass.XL
    )
    max_weight_grams = models.PositiveIntegerField(_("heaviest parcel taken (grams)"), default=30_000)
    capacity_alert_percent = models.PositiveSmallIntegerField(
        _("capacity alert (%)"), default=80, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Conversion: a voucher for the area's shops when a member picks up (0: none). The area manager who switched
    # it on is the voucher's issuer (loyalty's `issue_vouchers` right); set through `services.set_pickup_voucher`.
    pickup_voucher_value_cents = models.PositiveIntegerField(
        _("pickup voucher (cents)"), default=0, help_text=_("A voucher for members who pick up a parcel; 0: none.")
    )
    pickup_voucher_valid_days = models.PositiveSmallIntegerField(
        _("pickup voucher valid for (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    pickup_voucher_merchants = models.ManyToManyField(
        "areas.Merchant",
        verbose_name=_("pickup voucher valid at"),
        blank=True,
        related_name="+",
        help_text=_("Empty: every participating merchant of the area."),
    )
    pickup_voucher_authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pickup voucher authorised by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("parcel point")
        verbose_name_plural = _("parcel points")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(storage_days__gte=1), name="parcels_point_storage_at_least_a_day"),
            models.CheckConstraint(
                condition=Q(capacity_alert_percent__gte=1, capacity_alert_percent__lte=100),
                name="parcels_point_alert_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def reminder_day_list(self) -> list[int]:
        """The reminder days as sorted whole numbers, e.g. [3, 6]."""
        return sorted({int(part) for part in (self.reminder_days or "").split(",") if part.strip()})


class StorageLocation(models.Model):
    """A slot on a shelf. `size_class` is the largest parcel it takes; `capacity` how many parcels fit."""

    point = models.ForeignKey(
        ParcelPoint, verbose_name=_("parcel point"), on_delete=models.PROTECT, related_name="locations"
    )
    zone = models.CharField(_("zone"), max_length=12, help_text=_("For example A, or FLOOR."))
    shelf = models.CharField(_("shelf"), max_length=12, blank=True)
    slot = models.CharField(_("slot"), max_length=12, blank=True)
    size_class = models.CharField(_("size class"), max_length=2, choices=SizeClass.choices, default=SizeClass.M)
    capacity = models.PositiveSmallIntegerField(
        _("capacity (parcels)"), default=6, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    label_code = models.CharField(
        _("label code"),
        max_length=60,
        unique=True,
        blank=True,
        help_text=_(
            "What the printed slot label encodes. Left empty, it is made from the point, zone, shelf and slot."
        ),
    )
    is_active = models.BooleanField(_("in use"), default=True)

    scope_area_path = "point__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("storage location")
        verbose_name_plural = _("storage locations")
        ordering = ["point", "zone", "shelf", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["point", "zone", "shelf", "slot"], name="parcels_location_unique_slot"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="parcels_location_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """What staff read on screen: zone, shelf and slot, e.g. "A2-3"."""
        return location_name(self.zone, self.shelf, self.slot)

    def save(self, *args, **kwargs):
        if not self.label_code:
            self.label_code = default_label_code(self.point_id, self.zone, self.shelf, self.slot)
        super().save(*args, **kwargs)


def location_name(zone: str, shelf: str, slot: str) -> str:
    """A slot's name on screen (`StorageLocation.name`), from its zone, shelf and slot: "A2-3", or "FLOOR"."""
    return f"{zone}{shelf}-{slot}" if slot else f"{zone}{shelf}"


def default_label_code(point_id: int, zone: str, shelf: str, slot: str) -> str:
    """The slot label's code: "LOC-<point>-<zone><shelf>-<slot>", upper case (scanners read it back so)."""
    return f"LOC-{point_id}-{zone}{shelf}-{slot}".upper().rstrip("-")


class Carrier(models.Model):
    """A carrier whose parcels a point may take. The codes are those of `parcels.barcodes.CARRIERS`."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)

    class Meta:
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CarrierAgreement(models.Model):
    """What a point agreed with a carrier. Fees are per billable scan, in cents, copied onto each event."""

    point = models.ForeignKey(
        ParcelPoint, verbose_name=_("parcel point"), on_delete=models.PROTECT, related_name="agreements"
    )
    carrier = models.ForeignKey(Carrier, verbose_name=_("carrier"), on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    storage_days = models.PositiveSmallIntegerField(
        _("storage days"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Leave empty to use the point's storage days."),
    )
    requires_id_check = models.BooleanField(_("pickup needs an ID check"), default=False)
    max_size_class = models.CharField(
        _("largest size"), max_length=2, choices=SizeClass.choices, blank=True, help_text=_("Empty: the point's limit.")
    )
    max_weight_grams = models.PositiveIntegerField(
        _("heaviest parcel (grams)"), null=True, blank=True, help_text=_("Empty: the point's limit.")
    )
    accept_oversize = models.BooleanField(
        _("take oversize parcels"),
        default=False,
        help_text=_("Take parcels beyond the limits (marked oversize) instead of refusing them."),
    )
    intake_fee_cents = models.PositiveIntegerField(_("fee per intake (cents)"), default=0)
    pickup_fee_cents = models.PositiveIntegerField(_("fee per pickup (cents)"), default=0)
    return_fee_cents = models.PositiveIntegerField(_("fee per return drop-off (cents)"), default=0)
    handover_fee_cents = models.PositiveIntegerField(_("fee per handover to the carrier (cents)"), default=0)

    scope_area_path = "point__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("carrier agreement")
        verbose_name_plural = _("carrier agreements")
        ordering = ["point", "carrier"]
        constraints = [
            models.UniqueConstraint(fields=["point", "carrier"], name="parcels_one_agreement_per_carrier"),
        ]

    def __str__(self) -> str:
        return f"{self.point} – {self.carrier}"

    @property
    def effective_storage_days(self) -> int:
        return self.storage_days or self.point.storage_days

    @property
    def effective_max_size_class(self) -> str:
        return self.max_size_class or self.point.max_size_class

    @property
    def effective_max_weight_grams(self) -> int:
        return self.max_weight_grams or self.point.max_weight_grams

    def fee_for(self, billable: str) -> int:
        """The fee of one billable scan of this kind, in cents (0 for a scan that is not billable)."""
        return {
            Billable.INTAKE: self.intake_fee_cents,
            Billable.PICKUP: self.pickup_fee_cents,
            Billable.RETURN_DROP_OFF: self.return_fee_cents,
            Billable.HANDOVER: self.handover_fee_cents,
        }.get(billable, 0)


class LearnedCarrierPrefix(models.Model):
    """Staff answered "which carrier?" for a code with this prefix at this point: remember it."""

    point = models.ForeignKey(
        ParcelPoint, verbose_name=_("parcel point"), on_delete=models.CASCADE, related_name="learned_prefixes"
    )
    prefix = models.CharField(_("prefix"), max_length=30)
    carrier = models.ForeignKey(Carrier, verbose_name=_("carrier"), on_delete=models.PROTECT, related_name="+")
    learned_at = models.DateTimeField(_("learned at"), default=timezone.now)
    learned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learned from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_area_path = "point__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("learned carrier prefix")
        verbose_name_plural = _("learned carrier prefixes")
        constraints = [
            models.UniqueConstraint(fields=["point", "prefix"], name="parcels_learned_prefix_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} → {self.carrier}"


class AnnouncementSource(models.TextChoices):
    WEBSHOP = "webshop", _("Webshop order")
    CSV = "csv", _("CSV upload")
    API = "api", _("API")
    # Only on old rows: a member's note is a `ParcelWatch` now, never an announcement (it named the recipient).
    MEMBER = "member", _("Registered by the member")


class Announcement(models.Model):
    """A parcel expected at a point. The recipient's name and e-mail are erased after the retention period."""

    point = models.ForeignKey(
        ParcelPoint, verbose_name=_("parcel point"), on_delete=models.PROTECT, related_name="announcements"
    )
    carrier = models.ForeignKey(Carrier, verbose_name=_("carrier"), on_delete=models.PROTECT, related_name="+")
    tracking_code = models.CharField(_("tracking code"), max_length=64)
    recipient_name = models.CharField(_("recipient's name"), max_length=150, blank=True)
    recipient_email = models.EmailField(_("recipient's e-mail"), blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parcel_announcements",
    )
    source = models.CharField(_("source"), max_length=10, choices=AnnouncementSource.choices)
    external_reference = models.CharField(_("external reference"), max_length=100, blank=True)
    expected_on = models.DateField(_("expected on"), null=True, blank=True)
    created_at = models.DateTimeField(_("announced at"), default=timezone.now)
    recipient_erased_at = models.DateTimeField(_("recipient data erased at"), null=True, blank=True)

    scope_area_path = "point__area"
    scope_merchant_path = None
    scope_owner_path = "member"

    class Meta:
        verbose_name = _("pre-announcement")
        verbose_name_plural = _("pre-announcements")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["point", "carrier", "tracking_code"], name="parcels_announcement_unique_code"
            ),
        ]
        indexes = [
            models.Index(fields=["point", "tracking_code"], name="parcels_announcement_code"),
            models.Index(fields=["point", "expected_on"], name="parcels_announcement_expected"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id} {self.tracking_code}"


class ParcelWatch(models.Model):
    """A member's "let me know when this parcel arrives": a request to be told, never a claim on the parcel.

    It sets no recipient and blocks no announcement: the parcel is the member's only when its own data (the
    carrier's or shop's announcement, or the label the desk typed in) names one of the member's confirmed e-mail
    addresses, and then `selectors.member_parcels` shows it anyway. Several members may watch the same code; none
    learns whether anyone else did, or whether the parcel came for someone else."""

    point = models.ForeignKey(ParcelPoint, verbose_name=_("parcel point"), on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE, related_name="parcel_watches"
    )
    carrier = models.ForeignKey(Carrier, verbose_name=_("carrier"), on_delete=models.PROTECT, related_name="+")
    tracking_code = models.CharField(_("tracking code"), max_length=64)
    created_at = models.DateTimeField(_("noted at"), default=timezone.now)

    scope_area_path = "point__area"
    scope_merchant_path = None
    scope_owner_path = "member"

    class Meta:
        verbose_name = _("parcel a member expects")
        verbose_name_plural = _("parcels members expect")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "point", "carrier", "tracking_code"], name="parcels_watch_once_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id} {self.tracking_code}"


class Direction(models.TextChoices):
    INBOUND = "inbound", _("For a recipient")
    RETURN = "return", _("Return to the carrier")


class RefusalReason(models.TextChoices):
    OVERSIZE = "oversize", _("Too large or too heavy")  # both limits (and every refusal before the two below)
    TOO_LARGE = "too_large", _("Too large")
    TOO_HEAVY = "too_heavy", _("Too heavy")
    DAMAGED = "damaged", _("Damaged")
    NOT_FOR_US = "not_for_us", _("Not for this point")
    NO_AGREEMENT = "no_agreement", _("No agreement with this carrier")


class ParcelQuerySet(models.QuerySet):
    def waiting(self):
        """Parcels waiting for their recipient (what a pickup code releases)."""
        from .states import WAITING_STATES

        return self.filter(state__in=WAITING_STATES)

    def in_house(self):
        """Parcels physically at the point (they take up room on a shelf)."""
        from .states import IN_HOUSE_STATES

        return self.filter(state__in=IN_HOUSE_STATES)


class Parcel(models.Model):
    """One physical parcel at a point. `state` changes only through `services.transitions.transition`.

    The recipient's name, e-mail and account are personal data: blanked `recipient_retention_days` after the
    parcel left (`services.erase_recipient_data`). One `pickup_code` (and QR `pickup_token`) per recipient per
    point releases all their waiting parcels; the ID check is recorded as a tick, never a copy of an ID.
    """

    point = models.ForeignKey(
        ParcelPoint, verbose_name=_("parcel point"), on_delete=models.PROTECT, related_name="parcels"
    )
    carrier = models.ForeignKey(Carrier, verbose_name=_("carrier"), on_delete=models.PROTECT, related_name="+")
    tracking_code = models.CharField(_("tracking code"), max_length=64)
    # 1 the first time the code comes in here; a parcel that left (picked up, refused, handed to the carrier, lost)
    # and comes back is a new row with the next number, so the first one keeps its history as it was.
    arrival = models.PositiveSmallIntegerField(_("arrival"), default=1, editable=False)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices, default=Direction.INBOUND)
    state = models.CharField(_("state"), max_length=20, choices=ParcelState.choices, editable=False)
    state_changed_at = models.DateTimeField(_("state changed at"), default=timezone.now, editable=False)
    location = models.ForeignKey(
        StorageLocation,
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parcels",
    )
    size_class = models.CharField(_("size class"), max_length=2, choices=SizeClass.choices, blank=True)
    weight_grams = models.PositiveIntegerField(_("weight (grams)"), null=True, blank=True)
    recipient_name = models.CharField(_("recipient's name"), max_length=150, blank=True)
    recipient_email = models.EmailField(_("recipient's e-mail"), blank=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient (member)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parcels",
    )
    announcement = models.OneToOneField(
        Announcement,
        verbose_name=_("pre-announcement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="parcel",
    )
    pickup_code = models.CharField(_("pickup code"), max_length=8, blank=True, editable=False)
    pickup_token = models.CharField(_("pickup QR token"), max_length=64, blank=True, editable=False)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    storage_until = models.DateTimeField(_("stored until"), null=True, blank=True)
    handed_out_at = models.DateTimeField(_("handed out at"), null=True, blank=True)
    picked_up_by_proxy = models.BooleanField(_("picked up on the recipient's behalf"), default=False)
    id_checked = models.BooleanField(_("ID checked"), default=False)
    is_oversize = models.BooleanField(_("oversize"), default=False)
    refused_reason = models.CharField(_("refused because"), max_length=20, choices=RefusalReason.choices, blank=True)
    left_at = models.DateTimeField(
        _("left the point at"), null=True, blank=True, help_text=_("Picked up, handed to the carrier or written off.")
    )
    notified_at = models.DateTimeField(_("recipient told at"), null=True, blank=True, editable=False)
    recipient_erased_at = models.DateTimeField(_("recipient data erased at"), null=True, blank=True)

    objects = ParcelQuerySet.as_manager()

    scope_area_path = "point__area"
    scope_merchant_path = None
    scope_owner_path = "recipient"

    class Meta:
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")
        ordering = ["-received_at"]
        constraints = [
            # A second scan shows the parcel it already is; it never makes a duplicate. Only a parcel that came back
            # after it left is a new arrival (and two desks taking it in again at once still make one).
            models.UniqueConstraint(
                fields=["point", "carrier", "tracking_code", "arrival"], name="parcels_parcel_unique_arrival"
            ),
            models.CheckConstraint(condition=Q(state__in=ParcelState.values), name="parcels_parcel_state_known"),
        ]
        indexes = [
            models.Index(fields=["point", "state", "storage_until"], name="parcels_parcel_state_until"),
            models.Index(fields=["point", "pickup_code"], name="parcels_parcel_pickup_code"),
            models.Index(fields=["pickup_token"], name="parcels_parcel_pickup_token"),
            models.Index(fields=["point", "tracking_code"], name="parcels_parcel_code"),
            models.Index(fields=["state", "left_at"], name="parcels_parcel_left"),
        ]

    def __str__(self) -> str:
        return f"{self.carrier_id} {self.tracking_code}"

    @property
    def shelf_location(self) -> StorageLocation | None:
        """The slot the parcel is on now; None once it has left the point (`location` keeps the last one it was on)."""
        return None if self.state in TERMINAL_STATES else self.location


class Billable(models.TextChoices):
    """The scans a carrier pays the point for (DPD: "no scan, no pay")."""

    NONE = "", _("Not billable")
    INTAKE = "intake", _("Intake")
    PICKUP = "pickup", _("Pickup")
    RETURN_DROP_OFF = "return_drop_off", _("Return drop-off")
    HANDOVER = "handover", _("Handover to the carrier")


class EventKind(models.TextChoices):
    RECEIVED = "received", _("Scanned in")
    REFUSED = "refused", _("Refused at intake")
    STORED = "stored", _("Put on the shelf")
    MOVED = "moved", _("Moved to another slot")
    PICKED_UP = "picked_up", _("Handed out")
    EXPIRED = "expired", _("Storage limit passed")
    RETURN_RECEIVED = "return_received", _("Return dropped off")
    HANDED_TO_CARRIER = "handed_to_carrier", _("Handed to the carrier")
    MISSING = "missing", _("Missing at the inventory")
    FOUND = "found", _("Found again")
    LOST = "lost", _("Declared lost")
    REFUSAL_UNDONE = "refusal_undone", _("Refusal undone")


class Handover(models.Model):
    """A driver collecting a carrier's outgoing parcels (returns, expired ones); each item is an event."""

    point = models.ForeignKey(
        ParcelPoint, verbose_name=_("parcel point"), on_delete=models.PROTECT, related_name="handovers"
    )
    carrier = models.ForeignKey(Carrier, verbose_name=_("carrier"), on_delete=models.PROTECT, related_name="+")
    driver_name = models.CharField(_("driver"), max_length=100, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")

    scope_area_path = "point__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("handover to a carrier")
        verbose_name_plural = _("handovers to carriers")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.carrier} {self.started_at:%Y-%m-%d %H:%M}"


class HandoverItem(models.Model):
    """An item of a handover's list scanned before the close: nothing leaves unscanned, and a scan survives a
    restart. Unique per handover and parcel: a second scan (or a retry) finds the first."""

    handover = models.ForeignKey(Handover, verbose_name=_("handover"), on_delete=models.PROTECT, related_name="items")
    parcel = models.ForeignKey("Parcel", verbose_name=_("parcel"), on_delete=models.PROTECT, related_name="+")
    scanned_at = models.DateTimeField(_("scanned at"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    device = models.CharField(_("desk device"), max_length=64, blank=True)

    scope_area_path = "handover__point__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("scanned handover item")
        verbose_name_plural = _("scanned handover items")
        constraints = [models.UniqueConstraint(fields=["handover", "parcel"], name="handover_item_once")]

    def __str__(self) -> str:
        return f"{self.handover} · {self.parcel_id}"


class InventoryCount(models.Model):
    """A shelf inventory: staff scan every slot and parcel; what is missing or unexpected shows after."""

    point = models.ForeignKey(
        ParcelPoint, verbose_name=_("parcel point"), on_delete=models.PROTECT, related_name="inventory_counts"
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")

    scope_area_path = "point__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("inventory count")
        verbose_name_plural = _("inventory counts")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.point} {self.started_at:%Y-%m-%d %H:%M}"


class InventoryScan(models.Model):
    """One scan during an inventory: the code as read, the parcel it is (if any) and the slot it was in."""

    count = models.ForeignKey(
        InventoryCount, verbose_name=_("inventory"), on_delete=models.PROTECT, related_name="scans"
    )
    raw_code = models.CharField(_("scanned code"), max_length=100)
    parcel = models.ForeignKey(
        Parcel, verbose_name=_("parcel"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        StorageLocation, verbose_name=_("location"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scanned_at = models.DateTimeField(_("scanned at"), default=timezone.now)

    scope_area_path = "count__point__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("inventory scan")
        verbose_name_plural = _("inventory scans")
        ordering = ["scanned_at"]

    def __str__(self) -> str:
        return self.raw_code


class ParcelEvent(AppendOnlyModel):
    """One thing that happened to a parcel. Append-only; names no recipient (only staff and the desk device)."""

    parcel = models.ForeignKey(Parcel, verbose_name=_("parcel"), on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("what"), max_length=20, choices=EventKind.choices)
    from_state = models.CharField(_("from"), max_length=20, choices=ParcelState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=ParcelState.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    device = models.CharField(_("desk device"), max_length=64, blank=True)
    location = models.ForeignKey(
        StorageLocation, verbose_name=_("location"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    billable = models.CharField(_("billable as"), max_length=20, choices=Billable.choices, blank=True)
    fee_cents = models.PositiveIntegerField(_("fee (cents)"), default=0)
    handover = models.ForeignKey(
        Handover, verbose_name=_("handover"), null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    # A desk's retry carries the same key: the unique constraint makes it return the first answer.
    request_key = models.UUIDField(_("request key"), null=True, blank=True, unique=True, editable=False)

    scope_area_path = "parcel__point__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("parcel event")
        verbose_name_plural = _("parcel events")
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["parcel", "at"], name="parcels_event_parcel_at"),
            models.Index(fields=["billable", "at"], name="parcels_event_billable_at"),
            # A desk's list of recent scans: its device's last events (`selectors.recent_scans`).
            models.Index(fields=["device", "at"], name="parcels_event_device_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class NoticeKind(models.TextChoices):
    READY = "ready", _("Ready for pickup")
    REMINDER = "reminder", _("Reminder")
    LAST_DAY = "last_day", _("Last day")
    PICKED_UP = "picked_up", _("Picked up")


class ParcelNotice(models.Model):
    """One message to a parcel's recipient. (parcel, kind, day) is unique: the row is claimed before the e-mail
    leaves, so each notice goes at most once per parcel, however often the jobs run. Names no recipient."""

    parcel = models.ForeignKey(Parcel, verbose_name=_("parcel"), on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(_("kind"), max_length=12, choices=NoticeKind.choices)
    day = models.PositiveSmallIntegerField(
        _("day"), default=0, help_text=_("For a reminder: the day after intake it is for.")
    )
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    scope_area_path = "parcel__point__area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("notice to a recipient")
        verbose_name_plural = _("notices to recipients")
        ordering = ["claimed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["parcel", "kind", "day"], name="parcels_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.parcel_id}"

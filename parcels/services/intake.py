"""Intake at the desk: scan → carrier → pre-announcement or recipient → slot → recipient told.

- Carrier recognition is one call, `barcodes.recognise`, told which carriers the point takes and the prefixes
  staff taught it. An uncertain code is settled by a pre-announcement or an earlier scan of the same code, or
  else the desk asks "which carrier?" (`IntakeResult.needs_carrier_choice`); the answer comes back as
  `carrier_code=` and its prefix is remembered for the next parcel (`LearnedCarrierPrefix`).
- A second scan of a parcel returns it (`is_duplicate`), never a second parcel: the unique constraint on
  (point, carrier, code, arrival) decides, also when two desks scan it at once. A retried request (same
  `request_key`) returns the parcel of the first. Only when staff say so (`again=True`) is a parcel that left
  (picked up, refused, handed to the carrier, lost) taken in once more: a new row, the next `arrival`, the old
  one's history untouched; undoing a refusal so is recorded on the refused parcel (`EventKind.REFUSAL_UNDONE`).
- At the desk (`strict`), a code no carrier's format fits is not asked about: a slot label says so
  (`SlotLabelScanned`), anything else is `NotACarrierCode`; an uncertain code is offered only to the carriers
  whose codes look like it (`barcodes.possible_carriers`), never to the webshop unless it is one of its codes.
- One pickup code (and QR token) per recipient per point: a new parcel for someone who already has parcels
  waiting takes their code, so one code releases them all.
- The recipient is told after the commit (`tasks.notify_parcel_ready_task`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ..exceptions import (
    InvalidRecipient,
    InvalidTrackingCode,
    InvalidTransition,
    LocationFull,
    LocationTooSmall,
    NotACarrierCode,
    RecipientRequired,
    SlotLabelScanned,
    UnknownCarrier,
    UnknownLocation,
)
from ..models import (
    Announcement,
    Carrier,
    CarrierAgreement,
    Direction,
    EventKind,
    LearnedCarrierPrefix,
    Parcel,
    ParcelEvent,
    ParcelPoint,
    RefusalReason,
    StorageLocation,
    size_rank,
)
from ..selectors import location_occupancy, suggest_location
from ..states import IN_HOUSE_STATES, TERMINAL_STATES, ParcelState
from .access import require_desk
from .transitions import lock_parcels, record_move, transition

#: Pickup codes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B — they are read aloud and typed from a phone screen.
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
CODE_LENGTH = 6


@dataclass(frozen=True)
class IntakeResult:
    """What the intake screen shows after a scan.

    `parcel` is None only when `needs_carrier_choice` (ask "which carrier?" among `candidates`, named
    `candidate_names`, then scan again with `carrier_code=`); `reason` is the barcode module's (e.g. a wrong
    check digit: better scan again).
    `is_duplicate`: the parcel was scanned in before (or this was a retry). A parcel whose `state` is refused was
    recorded but must not be taken. `may_take_again`: it left the point, so staff may take it in again (`again=`).
    """

    parcel: Parcel | None
    is_duplicate: bool = False
    needs_carrier_choice: bool = False
    candidates: tuple[str, ...] = ()
    candidate_names: tuple[str, ...] = ()
    suggested_location: StorageLocation | None = None
    tracking_code: str = ""
    reason: str = ""

    @property
    def is_refused(self) -> bool:
        return self.parcel is not None and self.parcel.state == ParcelState.REFUSED

    @property
    def may_take_again(self) -> bool:
        return self.parcel is not None and self.parcel.state in TERMINAL_STATES

    @property
    def announcement(self) -> Announcement | None:
        """The parcel's pre-announcement (read only when asked for: the desk's answer does not show it)."""
        return self.parcel.announcement if self.parcel is not None and self.parcel.announcement_id else None


def receive_parcel(
    *,
    point: ParcelPoint,
    raw_code: str,
    by,
    request_key: uuid.UUID,
    device: str = "",
    carrier_code: str | None = None,
    size_class: str | None = None,
    weight_grams: int | None = None,
    recipient_name: str | None = None,
    recipient_email: str | None = None,
    location: StorageLocation | None = None,
    again: bool = False,
    now: datetime | None = None,
) -> IntakeResult:
    """Scan a parcel in (see the module docstring). Beyond the carrier's size or weight it is refused and
    recorded as such (which limit: `refused_reason`), unless the agreement takes oversize parcels (then marked
    oversize). With `location`, it goes straight onto that slot. With `again`, a parcel of this code that left
    the point is taken in as a new arrival (a refused one: its refusal undone); without, it is only shown.

    Raises NotAllowed, PointClosed, InvalidTrackingCode (NotACarrierCode), SlotLabelScanned, UnknownCarrier,
    RecipientRequired (an unannounced parcel: ask for the name and e-mail on the label), InvalidRecipient,
    LocationTooSmall, LocationFull.
    """
    now = now or timezone.now()
    with transaction.atomic():
        require_desk(by, point)
        try:
            settled = settle_carrier(point, raw_code, carrier_code=carrier_code, by=by, now=now, strict=True)
        except UnknownCarrier:
            # A retry of a scan taken in before the point's agreement with its carrier ended: the first answer.
            retried_id = ParcelEvent.objects.filter(request_key=request_key).values_list("parcel_id", flat=True).first()
            if retried_id is None:
                raise
            return _result(Parcel.objects.get(pk=retried_id), is_duplicate=True)
        if settled.agreement is None:
            return IntakeResult(
                parcel=None,
                needs_carrier_choice=True,
                candidates=settled.candidates,
                candidate_names=tuple(settled.names[code] for code in settled.candidates),
                tracking_code=settled.code,
                reason=settled.reason,
            )
        agreement, code = settled.agreement, settled.code

        scan = _look_up_scan(point=point, agreement=agreement, code=code, request_key=request_key)
        if scan.retried_parcel_id is not None:  # a retry: the answer of the first request
            parcel = scan.parcel
            if parcel is None or parcel.pk != scan.retried_parcel_id:
                parcel = Parcel.objects.get(pk=scan.retried_parcel_id)
            return _result(parcel, is_duplicate=True)
        previous = scan.parcel
        if previous is not None and not (again and previous.state in TERMINAL_STATES):
            return _result(previous, is_duplicate=True)
        try:
            # A savepoint: a desk scanning the same parcel at this moment wins the unique constraint, and this
            # scan shows its parcel instead of failing.
            with transaction.atomic():
                note = ""
                if previous is not None:
                    note = _came_back(previous, by=by, device=device, now=now)
                parcel = _take_in(
                    point=point,
                    agreement=agreement,
                    code=code,
                    by=by,
                    device=device,
                    request_key=request_key,
                    size_class=size_class or "",
                    weight_grams=weight_grams,
                    recipient_name=recipient_name,
                    recipient_email=recipient_email,
                    announcement=scan.announcement,
                    arrival=previous.arrival + 1 if previous is not None else 1,
                    note=note,
                    now=now,
                )
        except IntegrityError:
            existing = (
                Parcel.objects.filter(point=point, carrier=agreement.carrier, tracking_code=code)
                .order_by("-arrival")
                .first()
            )
            if existing is None:
                raise
            return _result(existing, is_duplicate=True)
        if parcel.state == ParcelState.REFUSED:
            return _result(parcel)
        if location is not None:
            _put_on(parcel, location, by=by, device=device, now=now)
        from ..tasks import notify_parcel_ready_task

        transaction.on_commit(partial(notify_parcel_ready_task.delay, parcel_id=parcel.pk))
        return _result(parcel)


@dataclass(frozen=True)
class _Scan:
    """What the database knows of a scan before it is taken in (`_look_up_scan`)."""

    retried_parcel_id: int | None  # the parcel an earlier request with this request key answered with
    parcel: Parcel | None  # the (latest) parcel with this code from this carrier at the point (a second scan)
    announcement: Announcement | None  # its open pre-announcement (one no parcel took yet)


# One round trip instead of three on every scan. A one-row SELECT with LEFT JOINs, so it always gives a row:
# the parcel's columns are NULL when there is no such parcel, the announcement's when nothing open is announced.
_SCAN_SQL = """
SELECT parcel.*,
       (SELECT event.parcel_id FROM {events} event WHERE event.request_key = %s) AS retried_parcel_id,
       announcement.id AS open_announcement_id,
       announcement.recipient_name AS open_announcement_name,
       announcement.recipient_email AS open_announcement_email,
       announcement.member_id AS open_announcement_member_id
FROM (SELECT 1 AS one) one_row
LEFT JOIN {parcels} parcel
    ON parcel.point_id = %s AND parcel.carrier_id = %s AND parcel.tracking_code = %s
    AND NOT EXISTS (SELECT 1 FROM {parcels} later WHERE later.point_id = parcel.point_id
                    AND later.carrier_id = parcel.carrier_id AND later.tracking_code = parcel.tracking_code
                    AND later.arrival > parcel.arrival)
LEFT JOIN {announcements} announcement
    ON announcement.point_id = %s AND announcement.carrier_id = %s AND announcement.tracking_code = %s
    AND NOT EXISTS (SELECT 1 FROM {parcels} taken WHERE taken.announcement_id = announcement.id)
"""


def _look_up_scan(*, point: ParcelPoint, agreement: CarrierAgreement, code: str, request_key: uuid.UUID) -> _Scan:
    """In one query: the parcel of an earlier request with `request_key` (a retry returns the first answer), the
    parcel already in with this code, its latest arrival (a second scan shows it, never a duplicate) and the open
    pre-announcement
    of the code (the recipient to take it in for), each through its unique index."""
    quote = connection.ops.quote_name
    sql = _SCAN_SQL.format(
        events=quote(ParcelEvent._meta.db_table),
        parcels=quote(Parcel._meta.db_table),
        announcements=quote(Announcement._meta.db_table),
    )
    key = ParcelEvent._meta.get_field("request_key").get_db_prep_value(request_key, connection)
    carrier = agreement.carrier
    params = [key, point.pk, carrier.pk, code, point.pk, carrier.pk, code]
    (row,) = Parcel.objects.raw(sql, params)
    announcement = None
    if row.open_announcement_id is not None:
        announcement = Announcement.from_db(
            connection.alias,
            ["id", "point_id", "carrier_id", "tracking_code", "recipient_name", "recipient_email", "member_id"],
            [
                row.open_announcement_id,
                point.pk,
                carrier.pk,
                code,
                row.open_announcement_name,
                row.open_announcement_email,
                row.open_announcement_member_id,
            ],
        )
    parcel = None
    if row.pk is not None:
        parcel = row
        parcel.point, parcel.carrier = point, carrier  # the caller's objects: no second read
    return _Scan(retried_parcel_id=row.retried_parcel_id, parcel=parcel, announcement=announcement)


@dataclass(frozen=True)
class SettledCarrier:
    """Which carrier a scan is (`agreement`), or None with the `candidates` the desk asks staff to choose from.
    `names`: the carriers' names by code (those of the point's agreements, read with them)."""

    code: str
    agreement: CarrierAgreement | None
    candidates: tuple[str, ...] = ()
    reason: str = ""
    names: Mapping[str, str] = field(default_factory=dict)


def settle_carrier(
    point: ParcelPoint, raw_code: str, *, carrier_code: str | None, by, now: datetime, strict: bool = False
) -> SettledCarrier:
    """The carrier of a scan at the point (intake and return drop-off share it): the staff's answer (its prefix
    learned), a certain recognition, or an earlier announcement or parcel with the code; else the question.

    `strict` (intake): the question offers only the point's carriers whose codes look like this one, and the
    answer must be one of them; a code that looks like no carrier's is refused (a slot label as such). Without
    it (a return's code may be anything, e.g. a printerless return's QR) every carrier of the point is offered.

    Raises InvalidTrackingCode (nothing readable; strict: NotACarrierCode), SlotLabelScanned (strict),
    UnknownCarrier (no active agreement with that carrier).
    """
    agreements = {
        agreement.carrier.code: agreement
        for agreement in CarrierAgreement.objects.filter(point=point, is_active=True).select_related("carrier")
    }
    for agreement in agreements.values():
        agreement.point = point  # the caller's object: its storage days need no second read of the point
    recognition = _recognise(point, raw_code, agreements=agreements)
    code = recognition.code
    if not code:
        raise InvalidTrackingCode()
    if carrier_code:
        if carrier_code not in agreements:
            raise UnknownCarrier()
        # An answer the question would not have offered (a forged or stale form) is refused as such.
        if (
            strict
            and not recognition.is_certain
            and not _known_as(point, code, carrier_code)
            and carrier_code not in _possible(point, code, agreements, reason=recognition.reason)
        ):
            raise UnknownCarrier()
        if not (recognition.is_certain and tuple(recognition.candidates) == (carrier_code,)):
            _learn_prefix(point, code, agreements[carrier_code].carrier, by=by, now=now)
    elif recognition.is_certain and recognition.candidates:
        carrier_code = recognition.candidates[0]
    else:
        carrier_code = _carrier_known_for(point, code, candidates=recognition.candidates)
        if carrier_code is None:
            candidates = tuple(c for c in recognition.candidates if c in agreements)
            if strict:
                possible = _possible(point, code, agreements, reason=recognition.reason)
                candidates = tuple(dict.fromkeys([*candidates, *possible]))
            else:
                candidates = candidates or tuple(sorted(agreements))
            names = {carrier: agreement.carrier.name for carrier, agreement in agreements.items()}
            return SettledCarrier(
                code=code, agreement=None, candidates=candidates, reason=recognition.reason, names=names
            )
    agreement = agreements.get(carrier_code)
    if agreement is None:
        raise UnknownCarrier()
    return SettledCarrier(code=code, agreement=agreement, candidates=(carrier_code,), reason=recognition.reason)


def _known_as(point: ParcelPoint, code: str, carrier_code: str) -> bool:
    """Whether the code was announced or taken in here as this carrier's (whatever it looks like)."""
    lookup = {"point": point, "tracking_code": code, "carrier__code": carrier_code}
    return Announcement.objects.filter(**lookup).exists() or Parcel.objects.filter(**lookup).exists()


def _possible(point: ParcelPoint, code: str, agreements: dict, *, reason: str) -> tuple[str, ...]:
    """The point's carriers whose codes look like `code` (strict intake). None: a slot label says so, a misread
    (`reason`: a wrong check digit) says scan again, a carrier the point has no agreement with says that, anything
    else is not a carrier's code."""
    from .. import barcodes

    possible = barcodes.possible_carriers(code)
    if offered := tuple(carrier for carrier in possible if carrier in agreements):
        return offered
    _refuse_slot_label(point, code)
    if reason == barcodes.INVALID_CHECK_DIGIT:
        raise InvalidTrackingCode(_("Wrong check digit: this is probably a misread. Scan the barcode again."))
    if possible:
        names = Carrier.objects.filter(code__in=possible).order_by("name").values_list("name", flat=True)
        raise UnknownCarrier(
            _(
                "This code looks like %(carriers)s's, and this point takes no parcels from them. "
                "Give it back to the driver."
            )
            % {"carriers": " / ".join(names) or ", ".join(possible)}
        )
    raise NotACarrierCode()


#: The code of a slot label made by `models.default_label_code` ("LOC-<point>-<zone><shelf>-<slot>").
_LABEL_CODE = re.compile(r"LOC-\d+(-[0-9A-Z-]*)?", re.ASCII)


def _refuse_slot_label(point: ParcelPoint, code: str) -> None:
    """A slot's label scanned where a parcel's barcode was expected: say so (a label of no slot here too)."""
    location = StorageLocation.objects.filter(label_code=code.upper()).first()
    if location is not None and location.point_id == point.pk:
        raise SlotLabelScanned(
            _("This is the label of slot %(slot)s, not a parcel. Scan the parcel's barcode first.")
            % {"slot": location.name}
        )
    if location is not None or _LABEL_CODE.fullmatch(code.upper()):
        raise SlotLabelScanned(
            _("This is a slot label, but of no slot at this point. Scan the parcel's barcode, or a slot label here.")
        )


def _recognise(point: ParcelPoint, raw_code: str, *, agreements: dict):
    """The one call into the barcode module: which carrier(s) this scan may be, and the tracking code in it.

    `recognise` consults the learned prefixes only for an ambiguous code, and then only the code's own
    `learned_key`: so that one prefix is read, and only then (most scans are certain and read none)."""
    from .. import barcodes

    recognition = barcodes.recognise(raw_code or "", enabled=tuple(agreements))
    if recognition.reason != barcodes.AMBIGUOUS or not (key := barcodes.learned_key(recognition.code)):
        return recognition
    learned = dict(LearnedCarrierPrefix.objects.filter(point=point, prefix=key).values_list("prefix", "carrier__code"))
    return barcodes.recognise(raw_code or "", enabled=tuple(agreements), learned=learned) if learned else recognition


def _learn_prefix(point: ParcelPoint, code: str, carrier: Carrier, *, by, now: datetime) -> None:
    from .. import barcodes

    prefix = barcodes.learned_key(code)
    if prefix:
        LearnedCarrierPrefix.objects.update_or_create(
            point=point, prefix=prefix, defaults={"carrier": carrier, "learned_by": by, "learned_at": now}
        )


def _carrier_known_for(point: ParcelPoint, code: str, *, candidates) -> str | None:
    """The carrier of an uncertain code, if exactly one pre-announcement or earlier parcel has the code."""
    known = set(Announcement.objects.filter(point=point, tracking_code=code).values_list("carrier__code", flat=True))
    known |= set(Parcel.objects.filter(point=point, tracking_code=code).values_list("carrier__code", flat=True))
    if candidates:
        known &= set(candidates) or known
    return known.pop() if len(known) == 1 else None


def _take_in(
    *,
    point: ParcelPoint,
    agreement: CarrierAgreement,
    code: str,
    by,
    device: str,
    request_key: uuid.UUID,
    size_class: str,
    weight_grams: int | None,
    recipient_name: str | None,
    recipient_email: str | None,
    announcement: Announcement | None,
    now: datetime,
    arrival: int = 1,
    note: str = "",
) -> Parcel:
    """A new parcel in the received state (or refused, when too large or heavy), for the recipient given or
    else the one of `announcement` (the code's open pre-announcement, read by the caller). `arrival`: the how
    many-th time this code comes in here; `note` goes on its first event."""
    parcel = Parcel(
        point=point,
        carrier=agreement.carrier,
        tracking_code=code,
        arrival=arrival,
        direction=Direction.INBOUND,
        size_class=size_class,
        weight_grams=weight_grams,
        received_at=now,
    )
    if limit := _limit_exceeded(agreement, size_class, weight_grams):
        parcel.is_oversize = True
        if not agreement.accept_oversize:
            parcel.refused_reason = limit
            parcel.left_at = now
            transition(parcel, ParcelState.REFUSED, by=by, device=device, at=now, request_key=request_key, note=note)
            return parcel
    name = (recipient_name or "").strip() or (announcement.recipient_name if announcement else "")
    email = ((recipient_email or "").strip() or (announcement.recipient_email if announcement else "")).lower()
    if not name and not email:
        raise RecipientRequired()
    try:
        validate_email(email)
    except ValidationError as error:
        raise InvalidRecipient() from error
    if not name:
        raise InvalidRecipient()
    parcel.recipient_name, parcel.recipient_email = name[:150], email
    parcel.announcement = announcement
    parcel.recipient_id = announcement.member_id if announcement else None
    parcel.storage_until = storage_until(now, days=agreement.effective_storage_days, zone=point.area.tz)
    parcel.pickup_code, parcel.pickup_token = _pickup_credentials(point, email=email, member_id=parcel.recipient_id)
    transition(
        parcel,
        ParcelState.RECEIVED,
        by=by,
        device=device,
        at=now,
        request_key=request_key,
        agreement=agreement,
        note=note,
    )
    return parcel


def _came_back(previous: Parcel, *, by, device: str, now: datetime) -> str:
    """A parcel that left is taken in again: the note for the new arrival's first event. Undoing a refusal is
    also an event of the refused parcel (who, which desk, when): its own row and events stay as they were."""
    if previous.state == ParcelState.REFUSED:
        ParcelEvent.objects.create(
            parcel=previous,
            kind=EventKind.REFUSAL_UNDONE,
            from_state=previous.state,
            to_state=previous.state,
            at=now,
            by=by,
            device=(device or "")[:64],
            note=_in_area_language(previous.point, gettext_noop("Taken in after all, as arrival %(number)d"))
            % {"number": previous.arrival + 1},
        )
        text = gettext_noop("Refused by mistake: taken in after all (arrival %(number)d)")
    else:
        text = gettext_noop("Here again after it left: arrival %(number)d of this code")
    return _in_area_language(previous.point, text) % {"number": previous.arrival + 1}


def _in_area_language(point: ParcelPoint, text: str) -> str:
    """`text` translated into the area's language (a note stays in the parcel's history as written)."""
    with translation.override((point.area.languages or [settings.LANGUAGE_CODE])[0]):
        return _(text)


def _limit_exceeded(agreement: CarrierAgreement, size_class: str, weight_grams: int | None) -> str:
    """Which of the carrier's limits the parcel is beyond here: a `RefusalReason`, or "" within both."""
    too_big = bool(size_class) and size_rank(size_class) > size_rank(agreement.effective_max_size_class)
    too_heavy = weight_grams is not None and weight_grams > agreement.effective_max_weight_grams
    if too_big and too_heavy:
        return RefusalReason.OVERSIZE
    return RefusalReason.TOO_LARGE if too_big else RefusalReason.TOO_HEAVY if too_heavy else ""


def _is_oversize(agreement: CarrierAgreement, size_class: str, weight_grams: int | None) -> bool:
    return bool(_limit_exceeded(agreement, size_class, weight_grams))


def storage_until(received_at: datetime, *, days: int, zone) -> datetime:
    """The end of the last day a parcel waits: midnight after day `days` counted from intake, in the area's zone
    (received Monday with 7 days: waits through next Monday, expires on Tuesday's morning run)."""
    last_day = received_at.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=zone)


def _pickup_credentials(point: ParcelPoint, *, email: str, member_id: int | None) -> tuple[str, str]:
    """The recipient's code and token: those of their parcels already waiting here, or new ones.

    Two desks taking in parcels for the same new recipient at the same moment must not give them two codes: on
    PostgreSQL the second waits here, until the first has committed, for a lock on the recipient at this point (held
    to the end of the intake's transaction), then finds the first parcel's code. (SQLite runs one writer at a time.)
    """
    _lock_recipient(point, email)
    same_recipient = Q(recipient_email__iexact=email)
    if member_id is not None:
        same_recipient |= Q(recipient_id=member_id)
    waiting = Parcel.objects.waiting().filter(point=point).exclude(pickup_code="")
    code = _new_pickup_code()
    # One query: the recipient's waiting parcels (theirs first, newest first) and any parcel already holding the
    # new code (a code typed at the desk must name one recipient).
    found = (
        waiting.filter(same_recipient | Q(pickup_code=code))
        .annotate(is_theirs=ExpressionWrapper(same_recipient, output_field=BooleanField()))
        .order_by("-is_theirs", "-received_at")
        .values_list("pickup_code", "pickup_token", "is_theirs")
        .first()
    )
    if found and found[2]:
        return found[0], found[1]
    while found:  # the new code is taken: another one
        code = _new_pickup_code()
        found = waiting.filter(pickup_code=code).exists()
    return code, secrets.token_urlsafe(24)


def _lock_recipient(point: ParcelPoint, email: str) -> None:
    if connection.vendor != "postgresql":
        return
    # A transaction-level advisory lock on a 64-bit hash of point and address: released at commit or rollback.
    digest = hashlib.blake2b(f"parcels:recipient:{point.pk}:{email.lower()}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def _new_pickup_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _result(parcel: Parcel, *, is_duplicate: bool = False) -> IntakeResult:
    suggestion = None
    if parcel.state == ParcelState.RECEIVED and parcel.location_id is None:
        suggestion = suggest_location(
            point=parcel.point,
            size_class=parcel.size_class,
            recipient_email=parcel.recipient_email,
            is_oversize=parcel.is_oversize,
        )
    return IntakeResult(
        parcel=parcel,
        is_duplicate=is_duplicate,
        suggested_location=suggestion,
        tracking_code=parcel.tracking_code,
    )


@transaction.atomic
def store_parcel(
    *, parcel: Parcel, location_label_code: str, by, device: str = "", now: datetime | None = None
) -> Parcel:
    """Put a received parcel on the slot whose label was scanned (or the suggested one); scanning another slot
    for a parcel on a shelf records a move. Raises UnknownLocation, LocationTooSmall, LocationFull,
    InvalidTransition (a parcel that left), NotAllowed."""
    now = now or timezone.now()
    require_desk(by, parcel.point)
    location = (
        StorageLocation.objects.select_for_update()
        .filter(point_id=parcel.point_id, label_code=(location_label_code or "").strip().upper(), is_active=True)
        .first()
    )
    if location is None:
        raise UnknownLocation()
    # The point was read for the check above and never changes: the lock reads the parcel, its carrier and slot.
    (locked,) = lock_parcels([parcel.pk], related=("carrier", "location"))
    locked.point = parcel.point
    _put_on(locked, location, by=by, device=device, now=now, location_locked=True)
    return locked


def _put_on(
    parcel: Parcel, location: StorageLocation, *, by, device: str, now: datetime, location_locked: bool = False
) -> None:
    if location.point_id != parcel.point_id:
        raise UnknownLocation()
    if parcel.location_id == location.pk and parcel.state != ParcelState.RECEIVED:
        return
    if parcel.state not in IN_HOUSE_STATES:
        raise InvalidTransition(from_state=parcel.state, to_state=ParcelState.STORED)
    if not location_locked:
        # The slot's row lock serialises two desks filling the same slot (capacity is counted under it).
        location = StorageLocation.objects.select_for_update().get(pk=location.pk)
    if size_rank(parcel.size_class) > size_rank(location.size_class):
        raise LocationTooSmall()
    if location_occupancy(location, excluding=parcel) >= location.capacity:
        raise LocationFull()
    parcel.location = location
    if parcel.state == ParcelState.RECEIVED:
        transition(parcel, ParcelState.STORED, by=by, device=device, at=now)
    else:
        record_move(parcel, by=by, device=device, at=now)

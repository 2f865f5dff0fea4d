"""Pre-announcements in bulk: a carrier's CSV file, a batch through the API; and a member's "let me know".

All or nothing: every row is checked first, and if any is wrong `AnnouncementsRejected` lists every bad row
(CSV line or API item number, field, reason, in the caller's language) and nothing is written. Good batches are
written in one transaction through `announce_parcel`, so a row announced before (same point, carrier, code and
e-mail) counts as "already announced", never as a duplicate. An e-mail address must fit the column, and an
expected date must be plausible (`plausible_dates`).

A member's "I expect a parcel" is not an announcement (`expect_parcel`): it is a `ParcelWatch`, a request to be
told. It never says who the parcel is for, never stands in the way of the carrier's or the shop's announcement,
and the member gets the same answer whatever is announced under the code.

The CSV (`import_announcements_csv`): UTF-8 with or without a byte-order mark, `;` or `,` between fields
(read from the header), a header row naming the columns in any order:

    tracking_code;recipient_name;recipient_email;expected_on;reference
    3SDEVC172649258;Sanne de Vries;sanne@example.org;2026-06-12;order 1001

`expected_on` (YYYY-MM-DD or DD-MM-YYYY) and `reference` may be left out. At most `MAX_UPLOAD_BYTES` and
`MAX_ROWS` rows per file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import barcodes
from ..exceptions import AnnouncementsRejected, NotAllowed, ParcelError, PointClosed
from ..models import Announcement, AnnouncementSource, CarrierAgreement, ParcelPoint, ParcelWatch
from .access import require_desk
from .announcements import announce_parcel, clean_tracking_code

MAX_UPLOAD_BYTES = 1_000_000
MAX_ROWS = 5_000
MAX_BATCH = 500
COLUMNS = ("tracking_code", "recipient_name", "recipient_email", "expected_on", "reference")
REQUIRED_COLUMNS = COLUMNS[:3]
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")
#: The longest address the column takes (PostgreSQL refuses a longer one with an error, not a message).
EMAIL_MAX_LENGTH = Announcement._meta.get_field("recipient_email").max_length


@dataclass(frozen=True)
class AnnouncementRow:
    """One parcel to expect. `carrier_code` empty: recognised from the code (only when certain). `line`: the
    CSV line, or the API item's number counted from 1, for the errors."""

    tracking_code: str
    recipient_name: str = ""
    recipient_email: str = ""
    carrier_code: str = ""
    expected_on: date | None = None
    reference: str = ""
    line: int = 0


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str


@dataclass(frozen=True)
class BatchResult:
    """The announcements in the order of the rows; `created[i]` says whether row i was new."""

    announcements: tuple[Announcement, ...]
    created: tuple[bool, ...] = field(default=())

    @property
    def new(self) -> int:
        return sum(self.created)

    @property
    def already(self) -> int:
        return len(self.created) - self.new


def _reject(errors: list[RowError]):
    return AnnouncementsRejected(
        errors=sorted(errors, key=lambda error: (error.line, COLUMN_ORDER.get(error.field, 9)))
    )


COLUMN_ORDER = {name: index for index, name in enumerate(("file", "carrier", *COLUMNS))}


def announce_batch(
    *,
    point: ParcelPoint,
    rows: Sequence[AnnouncementRow],
    source: str,
    by,
    now: datetime | None = None,
) -> BatchResult:
    """Announce every row or none (see the module docstring): staff of the point's desk, for anyone (CSV, API,
    also through an API token). A member's note is `expect_parcel`, never this.
    Raises NotAllowed, PointClosed, AnnouncementsRejected (`errors`: RowError list)."""
    if source == AnnouncementSource.MEMBER:
        raise ValueError("A member's note is expect_parcel(), not an announcement.")
    require_desk(by, point)
    if len(rows) > MAX_ROWS:
        raise _reject([RowError(0, "file", _("At most %(count)d parcels at once.") % {"count": MAX_ROWS})])
    checked, errors = _check(point, rows, numbered_as=_numbering(source), today=_today(point, now))
    if errors:
        raise _reject(errors)
    with transaction.atomic():
        existing = set(
            Announcement.objects.filter(
                point=point, tracking_code__in={code for _row, _carrier, code in checked}
            ).values_list("carrier__code", "tracking_code")
        )
        announcements, created = [], []
        for row, carrier_code, code in checked:
            try:
                announcement = announce_parcel(
                    point=point,
                    carrier_code=carrier_code,
                    tracking_code=code,
                    recipient_name=row.recipient_name,
                    recipient_email=row.recipient_email,
                    source=source,
                    external_reference=row.reference,
                    expected_on=row.expected_on,
                )
            except ParcelError as error:  # announced at this moment by someone else: the batch is refused whole
                raise _reject([RowError(row.line, "tracking_code", error.message)]) from error
            announcements.append(announcement)
            created.append((carrier_code, code) not in existing)
            existing.add((carrier_code, code))
    return BatchResult(announcements=tuple(announcements), created=tuple(created))


def expect_parcel(
    *, point: ParcelPoint, tracking_code: str, carrier_code: str = "", by, now: datetime | None = None
) -> ParcelWatch:
    """A member's "let me know when this parcel arrives" (`ParcelWatch`): the code is checked against its
    carrier's format, nothing else, so the answer is the same whether or not anything is announced under it,
    and for whom. Noting it again returns the first note. Raises NotAllowed, PointClosed, AnnouncementsRejected
    (a code of no carrier at the point, or one that fits several: say which)."""
    if not (by and by.is_authenticated and by.is_active):
        raise NotAllowed()
    if not point.is_active:
        raise PointClosed()
    row = AnnouncementRow(tracking_code=tracking_code, carrier_code=carrier_code, line=1)
    enabled = _enabled_carriers(point)
    carrier_code, code, errors = _check_code(row, enabled)
    if errors:
        raise _reject(errors)
    watch, _created = ParcelWatch.objects.get_or_create(
        member=by,
        point=point,
        carrier=enabled[carrier_code],
        tracking_code=code,
        defaults={"created_at": now or timezone.now()},
    )
    return watch


def plausible_dates(today: date) -> tuple[date, date]:
    """The expected dates an announcement may give: from the first of January last year to the end of next year
    (1999-01-01 or 9999-12-31 is a typo or a placeholder, not a delivery date)."""
    return date(today.year - 1, 1, 1), date(today.year + 1, 12, 31)


def _today(point: ParcelPoint, now: datetime | None) -> date:
    return timezone.localdate(now or timezone.now(), point.area.tz)


def _numbering(source: str) -> str:
    """How the errors name a row: the CSV's line, or the API's item (counted from 1)."""
    return "item" if source == AnnouncementSource.API else "line"


def _enabled_carriers(point: ParcelPoint) -> dict:
    return {
        agreement.carrier.code: agreement.carrier
        for agreement in CarrierAgreement.objects.filter(point=point, is_active=True).select_related("carrier")
    }


def _check_code(row: AnnouncementRow, enabled: dict) -> tuple[str, str, list[RowError]]:
    """(carrier code, normalised code, errors) of a row's tracking code and carrier."""
    bad = []
    code = clean_tracking_code(row.tracking_code)
    carrier_code = (row.carrier_code or "").strip().lower()
    if not code:
        bad.append(RowError(row.line, "tracking_code", _("The tracking code is missing.")))
    elif carrier_code:
        if carrier_code not in enabled:
            bad.append(RowError(row.line, "carrier", _("This carrier is not known at this parcel point.")))
        elif not barcodes.is_valid(carrier_code, code):
            bad.append(
                RowError(
                    row.line,
                    "tracking_code",
                    _("“%(code)s” is not a valid %(carrier)s tracking code.")
                    % {"code": code, "carrier": enabled[carrier_code].name},
                )
            )
    else:
        recognition = barcodes.recognise(code, enabled=tuple(enabled))
        if recognition.is_certain:
            carrier_code = recognition.candidates[0]
        elif recognition.candidates:
            bad.append(RowError(row.line, "carrier", _("Say which carrier this parcel comes with.")))
        else:
            bad.append(RowError(row.line, "tracking_code", _("This tracking code is of no carrier we know.")))
    return carrier_code, code, bad


def _check_recipient(row: AnnouncementRow) -> list[RowError]:
    bad = []
    if not (row.recipient_name or "").strip():
        bad.append(RowError(row.line, "recipient_name", _("The recipient's name is missing.")))
    email = (row.recipient_email or "").strip()
    if not email:
        bad.append(RowError(row.line, "recipient_email", _("The recipient's e-mail address is missing.")))
    elif len(email) > EMAIL_MAX_LENGTH:
        bad.append(
            RowError(
                row.line,
                "recipient_email",
                _("This e-mail address is too long: at most %(count)d characters.") % {"count": EMAIL_MAX_LENGTH},
            )
        )
    else:
        try:
            validate_email(email)
        except ValidationError:
            bad.append(
                RowError(
                    row.line, "recipient_email", _("“%(email)s” is not a valid e-mail address.") % {"email": email}
                )
            )
    return bad


def _check_date(row: AnnouncementRow, today: date) -> list[RowError]:
    first, last = plausible_dates(today)
    if row.expected_on is None or first <= row.expected_on <= last:
        return []
    message = _("%(date)s is not a plausible expected date: give one from %(first)s to %(last)s.") % {
        "date": row.expected_on.isoformat(),
        "first": first.isoformat(),
        "last": last.isoformat(),
    }
    return [RowError(row.line, "expected_on", message)]


def _check(
    point: ParcelPoint, rows: Sequence[AnnouncementRow], *, numbered_as: str, today: date
) -> tuple[list, list[RowError]]:
    """(row, carrier code, normalised code) per good row, and every error of the bad ones."""
    enabled = _enabled_carriers(point)
    errors: list[RowError] = []
    checked = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        carrier_code, code, bad = _check_code(row, enabled)
        bad += _check_recipient(row) + _check_date(row, today)
        if not bad:
            key = (carrier_code, code)
            if key in seen:
                twice = (
                    _("This parcel is in the list twice (also item %(item)d).") % {"item": seen[key]}
                    if numbered_as == "item"
                    else _("This parcel is in the list twice (also on line %(line)d).") % {"line": seen[key]}
                )
                bad.append(RowError(row.line, "tracking_code", twice))
            else:
                seen[key] = row.line
        if bad:
            errors.extend(bad)
        else:
            checked.append((row, carrier_code, code))
    errors.extend(_conflicts(point, checked))
    return checked, errors


def _conflicts(point: ParcelPoint, checked: list) -> list[RowError]:
    """Rows whose parcel the carrier or shop announced before for another recipient (one query). A member's note
    is no announcement: it never conflicts."""
    earlier = {
        (carrier, code): email
        for carrier, code, email in Announcement.objects.filter(
            point=point, tracking_code__in={code for _row, _carrier, code in checked}
        ).values_list("carrier__code", "tracking_code", "recipient_email")
    }
    errors = []
    for row, carrier_code, code in checked:
        email = (row.recipient_email or "").strip().lower()
        previous = earlier.get((carrier_code, code))
        if previous and previous.lower() != email:
            errors.append(
                RowError(row.line, "tracking_code", _("This parcel was already announced for another recipient."))
            )
    return errors


# --- CSV -----------------------------------------------------------------------------------------------------


def parse_announcements_csv(data: bytes, *, carrier_code: str) -> tuple[list[AnnouncementRow], list[RowError]]:
    """The rows of a carrier's CSV file (see the module docstring), and the errors found reading it."""
    if len(data) > MAX_UPLOAD_BYTES:
        return [], [RowError(0, "file", _("The file is larger than %(size)d kB.") % {"size": MAX_UPLOAD_BYTES // 1000})]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(0, "file", _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))]
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        return [], [
            RowError(
                1,
                "file",
                _("The first line must name the columns; missing: %(columns)s.") % {"columns": ", ".join(missing)},
            )
        ]
    rows, errors = [], []
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            return [], [RowError(0, "file", _("At most %(count)d parcels per file.") % {"count": MAX_ROWS})]
        cells = dict(zip(header, (value.strip() for value in values), strict=False))
        expected_on = None
        if raw_date := cells.get("expected_on", ""):
            expected_on = _parse_date(raw_date)
            if expected_on is None:
                errors.append(
                    RowError(line, "expected_on", _("“%(date)s” is not a date (use 2026-06-12).") % {"date": raw_date})
                )
        rows.append(
            AnnouncementRow(
                tracking_code=cells.get("tracking_code", ""),
                recipient_name=cells.get("recipient_name", "")[:150],
                recipient_email=cells.get("recipient_email", ""),
                carrier_code=carrier_code,
                expected_on=expected_on,
                reference=cells.get("reference", "")[:100],
                line=line,
            )
        )
    if not rows and not errors:
        errors.append(RowError(0, "file", _("The file has no parcels.")))
    return rows, errors


def _parse_date(value: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    return None


def import_announcements_csv(*, point: ParcelPoint, carrier_code: str, data: bytes, by) -> BatchResult:
    """Announce every parcel of a carrier's CSV file, or none. Raises NotAllowed, PointClosed,
    AnnouncementsRejected (every bad row with its line number, also the rows with a bad date)."""
    require_desk(by, point)
    rows, errors = parse_announcements_csv(data, carrier_code=carrier_code)
    if errors and (not rows or any(error.line == 0 for error in errors)):
        raise _reject(errors)
    if errors:
        # Report the reading errors together with the checks of every row, so one upload shows everything.
        _checked, more = _check(point, rows, numbered_as="line", today=_today(point, None))
        raise _reject(errors + more)
    return announce_batch(point=point, rows=rows, source=AnnouncementSource.CSV, by=by)

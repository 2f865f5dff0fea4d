"""What every importer shares: the parsed row, the problems, decoding, numbers and times.

A parser turns bytes into a `Parsed` (observation rows, problems per line, notes on quirks it handled);
it never writes. `importers.service` writes a file only when it has no problems at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from agora.exceptions import ApplicationError

MAX_UPLOAD_BYTES = 50_000_000
MAX_ROWS = 2_000_000  # observations per import
MAX_ERRORS = 200  # problems kept per import (the count says how many more there were)
PROGRESS_EVERY = 2_000  # lines between two progress writes

Progress = Callable[[int, int], None]


def no_progress(done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class RowError:
    line: int  # the file's line (CSV: header = 1) or the item's number in a JSON list (from 1); 0: the file
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "field": self.field, "message": str(self.message)}


@dataclass(frozen=True)
class ObservationRow:
    sensor_id: int
    observed_property: str
    direction: str
    start: datetime
    end: datetime
    value: float
    uptime: float | None = None
    flags: int = 0
    line: int = 0

    @property
    def key(self) -> tuple:
        return (self.sensor_id, self.observed_property, self.direction, self.start)


@dataclass
class Parsed:
    rows: list[ObservationRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines: int = 0  # data lines or items read
    sensor_labels: dict[int, tuple[str, str]] = field(default_factory=dict)  # sensor id → (left, right) labels
    weather: list = field(default_factory=list)  # KNMI: WeatherDay objects (unsaved)
    station: tuple[int, str] | None = None  # KNMI: (code, name)

    def error(self, line: int, field_name: str, message: str) -> None:
        self.errors.append(RowError(line, field_name, message))


class ImportRejected(ApplicationError):
    """The file has problems: nothing was imported. `errors`: RowError list."""

    def __init__(self, errors: list[RowError], message: str = ""):
        super().__init__(
            message or _("Nothing was imported: the file has %(count)d problem(s).") % {"count": len(errors)}
        )
        self.errors = errors


class ImportNotAllowed(ApplicationError):
    def __init__(self, message: str = ""):
        super().__init__(message or _("You may not import sensor data for this area."))


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without BOM) when it is valid UTF-8, else Windows-1252 (Latin-1)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "windows-1252"


def sniff_delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ";"))


_THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")


def parse_count(raw: str) -> float | None:
    """A count: "1414", "1.414" (German thousands), "12,5" or "12.5" (decimal). None for empty. ValueError
    for anything else or a negative number."""
    text = (raw or "").strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if _THOUSANDS.match(text):
        text = text.replace(".", "")
    elif "," in text and "." not in text:
        text = text.replace(",", ".")
    value = float(text)
    if value != value or value < 0 or value in (float("inf"),):
        raise ValueError(text)
    return value


def parse_time(raw: str, *, tz: ZoneInfo) -> datetime:
    """An ISO 8601 or "YYYY-MM-DD HH:MM:SS +0200" time; without an offset it is taken in `tz`."""
    text = (raw or "").strip()
    if not text:
        raise ValueError("empty")
    for pattern in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M %z"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    text = text.replace("Z", "+00:00") if text.endswith("Z") else text
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment

"""The back office's printed documents: the return receipt, and the carrier handover manifest (page, PDF, CSV).

The manifest says which carrier, which driver, when, at which point, and for each item its barcode, direction and
why it leaves (a return, or an expired parcel); the items that were on the list but not scanned are listed as
"not handed over" (they stayed at the point); then the totals. CSV follows `loyalty/settlement_documents.py`
(UTF-8 with a byte-order mark and `;` for Dutch and Flemish Excel); the PDF is one A4 made with ReportLab's
built-in Helvetica (`invariant`, so the same manifest gives the same bytes).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from . import barcodes, selectors
from .models import Direction, Handover, Parcel

BOM = "\ufeff"
DELIMITER = ";"


def barcode_svg(code: str) -> str:
    """The code as an inline Code 128 SVG, safe to put in a page (the barcode module escapes the text); "" for a
    code Code 128 cannot carry (then the text alone is shown)."""
    try:
        return mark_safe(barcodes.code128_svg(code))
    except ValueError:
        return ""


def receipt_context(parcel: Parcel) -> dict:
    """What the return receipt shows (page and e-mail): point, carrier, code (barcode and text), time, size."""
    point = parcel.point
    return {
        "parcel": parcel,
        "point": point,
        "area": point.area,
        "carrier": parcel.carrier,
        "received_at": timezone.localtime(parcel.received_at, point.area.tz),
        "barcode_svg": barcode_svg(parcel.tracking_code),
        "address": " ".join(part for part in (point.street, point.postcode, point.city) if part),
    }


# --- The manifest ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManifestRow:
    parcel: Parcel
    is_handed_over: bool

    @property
    def direction(self) -> str:
        return str(self.parcel.get_direction_display())

    @property
    def reason(self) -> str:
        return _("Return") if self.parcel.direction == Direction.RETURN else _("Storage limit passed")


@dataclass(frozen=True)
class Manifest:
    handover: Handover
    closed_at: datetime | None
    rows: list[ManifestRow]

    @property
    def handed_over(self) -> list[ManifestRow]:
        return [row for row in self.rows if row.is_handed_over]

    @property
    def kept_back(self) -> list[ManifestRow]:
        return [row for row in self.rows if not row.is_handed_over]

    @property
    def returns_count(self) -> int:
        return sum(row.parcel.direction == Direction.RETURN for row in self.handed_over)

    @property
    def expired_count(self) -> int:
        return sum(row.parcel.direction != Direction.RETURN for row in self.handed_over)


def build_manifest(handover: Handover) -> Manifest:
    """The manifest of a closed handover (read from its events, so it stays as it was at the close)."""
    handed = [ManifestRow(parcel, True) for parcel in selectors.handed_over_parcels(handover)]
    kept = [ManifestRow(parcel, False) for parcel in selectors.kept_back_parcels(handover)]
    closed_at = timezone.localtime(handover.closed_at, handover.point.area.tz) if handover.closed_at else None
    return Manifest(handover=handover, closed_at=closed_at, rows=handed + kept)


def _title(manifest: Manifest) -> str:
    """The PDF's title: "Handover manifest DHL 1 December 2026, 23:08" (in the page's language)."""
    when = formats.date_format(manifest.closed_at, "j F Y, H:i") if manifest.closed_at else ""
    return " ".join(part for part in (_("Handover manifest"), manifest.handover.carrier.name, when) if part)


def _status(row: ManifestRow) -> str:
    return _("Handed over") if row.is_handed_over else _("Not handed over")


def _heading(manifest: Manifest) -> list[tuple[str, str]]:
    handover = manifest.handover
    point = handover.point
    return [
        (_("Carrier"), handover.carrier.name),
        (_("Driver"), handover.driver_name),
        (_("Time"), manifest.closed_at.strftime("%Y-%m-%d %H:%M") if manifest.closed_at else ""),
        (_("Parcel point"), point.name),
        (_("Address"), " ".join(part for part in (point.street, point.postcode, point.city) if part)),
    ]


def _totals(manifest: Manifest) -> list[tuple[str, int]]:
    return [
        (_("Handed over"), len(manifest.handed_over)),
        (_("of which returns"), manifest.returns_count),
        (_("of which expired parcels"), manifest.expired_count),
        (_("Not handed over (stayed at the point)"), len(manifest.kept_back)),
    ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def manifest_csv(manifest: Manifest) -> Iterator[str]:
    """The manifest as CSV text, line by line (the byte-order mark first)."""
    writer = csv.writer(_Echo(), delimiter=DELIMITER, lineterminator="\r\n")
    yield BOM
    yield writer.writerow([_("Handover manifest")])
    for label, value in _heading(manifest):
        yield writer.writerow([label, value])
    yield writer.writerow([])
    yield writer.writerow([_("Barcode"), _("Direction"), _("Reason"), _("Status")])
    for row in manifest.rows:
        yield writer.writerow([row.parcel.tracking_code, row.direction, row.reason, _status(row)])
    yield writer.writerow([])
    for label, value in _totals(manifest):
        yield writer.writerow([label, value])


def manifest_pdf(manifest: Manifest) -> bytes:
    """The manifest on A4: the heading, every item with its barcode, the totals, room for the driver's signature."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    body = styles["BodyText"]

    def p(text, style=body):
        return Paragraph(escape(str(text)), style)

    story = [Paragraph(escape(_("Handover manifest")), styles["Title"])]
    heading = Table([[p(label), p(value)] for label, value in _heading(manifest)], colWidths=[40 * mm, 130 * mm])
    story += [heading, Spacer(1, 6 * mm)]
    table = [[p(_("Barcode")), p(_("Direction")), p(_("Reason")), p(_("Status"))]]
    for row in manifest.rows:
        table.append([p(row.parcel.tracking_code), p(row.direction), p(row.reason), p(_status(row))])
    if len(table) == 1:
        table.append([p(_("No items.")), "", "", ""])
    grid = Table(table, colWidths=[60 * mm, 40 * mm, 40 * mm, 30 * mm], repeatRows=1)
    grid.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 1), (0, -1), "Courier"),
            ]
        )
    )
    story += [grid, Spacer(1, 6 * mm)]
    story.append(Table([[p(label), p(str(value))] for label, value in _totals(manifest)], colWidths=[90 * mm, 30 * mm]))
    story += [
        Spacer(1, 14 * mm),
        p(_("Signature of the driver: ______________________________")),
    ]
    buffer = io.BytesIO()
    handover = manifest.handover
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=_title(manifest),
        author=handover.point.name,
        invariant=1,
    )
    document.build(story)
    return buffer.getvalue()

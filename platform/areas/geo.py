"""Postcode geography for NL and BE: centroids, distances, distance bands and municipalities.

The centroids ship with the project (``areas/data/postcodes/postcodes.csv``, built from GeoNames
by ``areas/data/build_postcodes.py``; see docs/data-sources.md): nothing is fetched at run time.
Dutch postcodes are looked up by their four digits (PC4): "3811 AB", "3811AB" and "3811" are the
same area. The file is read once, on first use, and kept in memory (about 5,200 rows).
"""

from __future__ import annotations

import csv
import math
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import NamedTuple

DATA_FILE = Path(__file__).resolve().parent / "data" / "postcodes" / "postcodes.csv"
EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
COUNTRIES = ("NL", "BE")


class PostcodeArea(NamedTuple):
    country: str
    postcode: str  # four digits: PC4 in NL
    place: str
    municipality: str  # empty where the source names none (most BE sub-municipalities)
    municipality_code: str  # CBS code without "GM" (NL); empty for BE
    latitude: float
    longitude: float


class Municipality(NamedTuple):
    name: str
    code: str | None  # CBS code (NL), None for BE


class DistanceBand(StrEnum):
    """How far someone lives from an area's centre: the bands origin figures are grouped in."""

    UNDER_5 = "0-5"
    FROM_5_TO_15 = "5-15"
    FROM_15_TO_30 = "15-30"
    FROM_30_TO_60 = "30-60"
    OVER_60 = "60+"

    @property
    def lower_km(self) -> float:
        return _BAND_LIMITS[self][0]

    @property
    def upper_km(self) -> float:
        return _BAND_LIMITS[self][1]

    @property
    def label(self) -> str:
        lower, upper = _BAND_LIMITS[self]
        if lower == 0:
            return f"< {upper:g} km"
        if math.isinf(upper):
            return f"{lower:g}+ km"
        return f"{lower:g}–{upper:g} km"


_BAND_LIMITS: dict[DistanceBand, tuple[float, float]] = {
    DistanceBand.UNDER_5: (0, 5),
    DistanceBand.FROM_5_TO_15: (5, 15),
    DistanceBand.FROM_15_TO_30: (15, 30),
    DistanceBand.FROM_30_TO_60: (30, 60),
    DistanceBand.OVER_60: (60, math.inf),
}


def distance_band(km: float) -> DistanceBand:
    """The band a distance falls in; a band includes its lower limit (5 km is "5-15")."""
    if km < 0 or math.isnan(km):
        raise ValueError(f"A distance cannot be {km!r} km.")
    for band, (lower, upper) in _BAND_LIMITS.items():
        if lower <= km < upper:
            return band
    raise AssertionError("unreachable: the last band is open-ended")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def normalise_postcode(country: str, postcode: str) -> str:
    """The key the centroids are stored under: the four digits (a Dutch postcode's PC4)."""
    return "".join((postcode or "").split())[:4]


@cache
def _table() -> dict[str, dict[str, PostcodeArea]]:
    table: dict[str, dict[str, PostcodeArea]] = {country: {} for country in COUNTRIES}
    with DATA_FILE.open(encoding="utf-8", newline="") as source:
        for row in csv.DictReader(source):
            area = PostcodeArea(
                country=row["country"],
                postcode=row["postcode"],
                place=row["place"],
                municipality=row["municipality"],
                municipality_code=row["municipality_code"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
            )
            table[area.country][area.postcode] = area
    return table


def _country(country: str) -> dict[str, PostcodeArea]:
    try:
        return _table()[country.upper()]
    except KeyError as error:
        raise ValueError(f"No postcode data for country {country!r}: use one of {', '.join(COUNTRIES)}.") from error


def lookup(country: str, postcode: str) -> PostcodeArea | None:
    """Everything known about a postcode, or None when it is unknown."""
    return _country(country).get(normalise_postcode(country, postcode))


def postcodes(country: str) -> list[PostcodeArea]:
    """Every known postcode of a country, in postcode order."""
    return sorted(_country(country).values())


def centroid(country: str, postcode: str) -> tuple[float, float] | None:
    """(latitude, longitude) of the postcode's centroid, or None when the postcode is unknown."""
    found = lookup(country, postcode)
    return (found.latitude, found.longitude) if found else None


def municipality(country: str, postcode: str) -> Municipality | None:
    """The municipality a postcode lies in (name and CBS code in NL), or None when unknown.

    The Belgian source names no municipalities: a BE postcode answers only when its main place is
    itself a municipality (2800 → Mechelen), not for postcodes of former municipalities (2811).
    """
    found = lookup(country, postcode)
    if not found or not found.municipality:
        return None
    return Municipality(found.municipality, found.municipality_code or None)


def distance_km(country: str, postcode: str, lat: float, lon: float) -> float | None:
    """Distance from the postcode's centroid to a point, or None when the postcode is unknown."""
    found = lookup(country, postcode)
    return haversine_km(found.latitude, found.longitude, lat, lon) if found else None


def postcodes_by_distance(
    country: str, lat: float, lon: float, km: float = math.inf
) -> list[tuple[PostcodeArea, float]]:
    """(postcode, distance) pairs of a country within `km` of a point, nearest first."""
    pairs = [(area, haversine_km(lat, lon, area.latitude, area.longitude)) for area in _country(country).values()]
    return sorted(((area, d) for area, d in pairs if d <= km), key=lambda pair: (pair[1], pair[0].postcode))


def postcodes_within(country: str, lat: float, lon: float, km: float) -> list[str]:
    """The postcodes of a country whose centroid lies within `km` of a point, nearest first."""
    return [area.postcode for area, _distance in postcodes_by_distance(country, lat, lon, km)]

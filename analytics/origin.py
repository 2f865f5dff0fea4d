"""Where visitors come from: a postcode → distance band, municipality, inside or outside the catchment.

Built on `areas.geo` (NL PC4 and BE postcode centroids shipped with the project, GeoNames; see
docs/data-sources.md): nothing is fetched at run time. The distance runs from the postcode's centroid to
the area's centre; the catchment is the area's `catchment_km` radius.

A postcode's municipality is the one the source names, or none: the Belgian source names only the postcodes
whose main place is itself a municipality (2800 Mechelen), so the postcodes of former municipalities (2801
Heffen, part of Mechelen) and the special postcodes of companies and institutions (1818 VTM) have no
municipality here and count as "not known" in the figures by municipality. Their place name is not one: shown
as a municipality it split a town into its villages and named a broadcaster. Telling them apart, and putting
the villages in their town, needs a Belgian postcode → NIS municipality code table (bpost's postcode list, or
Statbel's), which the project does not ship yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from areas import geo


@dataclass(frozen=True)
class Origin:
    country: str
    postcode: str  # as stored: four digits
    place: str
    municipality: str  # "" where the source names none (see the module docstring)
    municipality_code: str
    distance_km: float
    band: geo.DistanceBand
    inside_catchment: bool


def origin_of(*, area, country: str, postcode: str) -> Origin | None:
    """The origin of a postcode for an area, or None for an unknown postcode or a country without data."""
    try:
        found = geo.lookup(country, postcode)
    except ValueError:
        return None
    if found is None:
        return None
    distance = geo.haversine_km(
        found.latitude, found.longitude, float(area.centre_latitude), float(area.centre_longitude)
    )
    return Origin(
        country=found.country,
        postcode=found.postcode,
        place=found.place,
        municipality=found.municipality,
        municipality_code=found.municipality_code,
        distance_km=round(distance, 2),
        band=geo.distance_band(distance),
        inside_catchment=distance <= area.catchment_km,
    )


def origins_frame(*, area, pairs: Iterable[tuple[str, str]]) -> pd.DataFrame:
    """The origins of many (country, postcode) pairs, one row per distinct pair (unknown ones with NaN/None),
    columns: country, postcode4, municipality (None where not known), municipality_code, distance_km, band,
    inside_catchment. For joining with a visits frame on (country, postcode4)."""
    rows = []
    for country, postcode in {(c or "", p or "") for c, p in pairs}:
        origin = origin_of(area=area, country=country, postcode=postcode) if country and postcode else None
        rows.append(
            {
                "country": country,
                "postcode4": postcode,
                "municipality": (origin.municipality or None) if origin else None,
                "municipality_code": (origin.municipality_code or None) if origin else None,
                "distance_km": origin.distance_km if origin else float("nan"),
                "band": origin.band.value if origin else None,
                "inside_catchment": origin.inside_catchment if origin else None,
            }
        )
    columns = ["country", "postcode4", "municipality", "municipality_code", "distance_km", "band", "inside_catchment"]
    return pd.DataFrame(rows, columns=columns)

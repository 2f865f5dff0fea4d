"""Origin lookups, offline, for Dutch and Belgian postcodes."""

import pandas as pd
import pytest

from analytics.origin import origin_of, origins_frame
from areas.geo import DistanceBand


@pytest.mark.django_db
def test_a_dutch_postcode_near_the_centre_is_inside_the_catchment(area):
    origin = origin_of(area=area, country="NL", postcode="3811 AB")  # Amersfoort centre
    assert origin.municipality == "Amersfoort" and origin.municipality_code
    assert origin.distance_km < 5 and origin.band == DistanceBand.UNDER_5 and origin.inside_catchment


@pytest.mark.django_db
def test_a_far_dutch_postcode_is_outside(area):
    origin = origin_of(area=area, country="NL", postcode="9711")  # Groningen, about 150 km
    assert origin.band == DistanceBand.OVER_60 and not origin.inside_catchment
    assert 120 < origin.distance_km < 180


@pytest.mark.django_db
def test_belgian_postcodes_resolve_for_a_flemish_area(flemish_area):
    mechelen = origin_of(area=flemish_area, country="BE", postcode="2800")
    assert mechelen.municipality == "Mechelen" and mechelen.inside_catchment
    antwerp = origin_of(area=flemish_area, country="BE", postcode="2000")
    assert antwerp.band == DistanceBand.FROM_15_TO_30 and not antwerp.inside_catchment


@pytest.mark.django_db
def test_unknown_postcodes_and_countries_give_none(area):
    assert origin_of(area=area, country="NL", postcode="0000") is None
    assert origin_of(area=area, country="DE", postcode="47441") is None


@pytest.mark.django_db
def test_origins_frame_has_one_row_per_distinct_postcode(area):
    frame = origins_frame(area=area, pairs=[("NL", "3811"), ("NL", "3811"), ("BE", "2800"), ("NL", "0000")])
    assert len(frame) == 3
    unknown = frame[frame["postcode4"] == "0000"].iloc[0]
    assert pd.isna(unknown["band"])
    assert set(frame["band"].dropna()) == {"0-5", "60+"}


@pytest.mark.django_db
def test_belgian_postcodes_without_a_municipality_in_the_source_name_none(flemish_area):
    # 2801 Heffen is part of Mechelen, 1818 is the broadcaster VTM's own postcode: neither place is a
    # municipality, and the source does not say which one they lie in (that needs a postcode → NIS table).
    heffen = origin_of(area=flemish_area, country="BE", postcode="2801")
    vtm = origin_of(area=flemish_area, country="BE", postcode="1818")
    assert (heffen.place, heffen.municipality) == ("Heffen", "")
    assert (vtm.place, vtm.municipality) == ("VTM", "")
    assert heffen.band == DistanceBand.UNDER_5  # its distance is still known
    frame = origins_frame(area=flemish_area, pairs=[("BE", "2800"), ("BE", "2801"), ("BE", "1818")])
    municipality = dict(zip(frame["postcode4"], frame["municipality"].fillna("(none)"), strict=True))
    assert municipality == {"2800": "Mechelen", "2801": "(none)", "1818": "(none)"}

import math

import pytest

from areas import geo
from areas.geo import DistanceBand


def test_the_shipped_file_has_every_dutch_pc4_and_belgian_postcode_once():
    # given the GeoNames extracts (4,064 unique PC4; 1,175 BE postcodes of which one has no coordinates)
    nl, be = geo.postcodes("NL"), geo.postcodes("BE")
    # then
    assert len(nl) == 4064
    assert len(be) == 1174
    assert len({a.postcode for a in nl}) == len(nl)
    assert all(len(a.postcode) == 4 and a.postcode.isdigit() for a in nl + be)
    assert geo.centroid("BE", "0612") is None  # "Sinterklaas", the entry without coordinates


def test_centroid_of_a_dutch_postcode_accepts_pc4_and_full_postcodes():
    expected = geo.centroid("NL", "3811")
    assert expected == pytest.approx((52.1557, 5.3883), abs=1e-3)
    assert geo.centroid("NL", "3811 AB") == expected
    assert geo.centroid("NL", "3811ab") == expected
    assert geo.centroid("nl", "3811") == expected


def test_unknown_postcodes_have_no_centroid():
    assert geo.centroid("NL", "0000") is None
    assert geo.centroid("BE", "") is None


def test_an_unknown_country_is_an_error():
    with pytest.raises(ValueError, match="DE"):
        geo.centroid("DE", "10115")


def test_belgian_postcodes_carry_one_name_preferring_the_dutch_and_main_one():
    assert geo.lookup("BE", "2800").place == "Mechelen"  # not its former municipality Walem
    assert geo.lookup("BE", "1000").place == "Brussel"  # not Bruxelles
    assert geo.lookup("BE", "4000").place == "Luik"  # not Liège, Glain or Rocourt
    assert geo.lookup("BE", "3550").place == "Heusden-Zolder"  # the merged municipality, not Heusden


def test_municipality_gives_the_cbs_code_in_the_netherlands():
    assert geo.municipality("NL", "3811 AB") == geo.Municipality("Amersfoort", "0307")
    # a PC4 shared by two places goes to the place that is its own municipality
    assert geo.municipality("NL", "1481") == geo.Municipality("Purmerend", "0439")


def test_municipality_in_belgium_only_where_the_source_makes_it_known():
    assert geo.municipality("BE", "2800") == geo.Municipality("Mechelen", None)
    assert geo.municipality("BE", "2811") is None  # Hombeek/Leest: part of Mechelen, not in the source
    assert geo.municipality("NL", "0000") is None


def test_haversine_matches_known_distances():
    assert geo.haversine_km(52.1561, 5.3878, 52.1561, 5.3878) == 0
    # Amersfoort to Mechelen centre: about 142 km as the crow flies
    assert geo.haversine_km(52.1561, 5.3878, 51.0277, 4.4775) == pytest.approx(141.5, abs=1.5)
    # one degree of latitude is about 111.2 km
    assert geo.haversine_km(0, 0, 1, 0) == pytest.approx(111.19, abs=0.01)
    assert geo.haversine_km(51, 4, 52, 5) == pytest.approx(geo.haversine_km(52, 5, 51, 4))


def test_postcodes_within_a_radius_are_sorted_nearest_first():
    near = geo.postcodes_within("NL", 52.1561, 5.3878, 3)
    assert near[0] == "3811"
    assert {"3811", "3812", "3813"} <= set(near)
    distances = [geo.distance_km("NL", pc, 52.1561, 5.3878) for pc in near]
    assert distances == sorted(distances)
    assert all(d <= 3 for d in distances)
    assert geo.postcodes_within("BE", 52.1561, 5.3878, 30) == []
    assert "2800" in geo.postcodes_within("BE", 51.0277, 4.4775, 5)


@pytest.mark.parametrize(
    ("km", "band"),
    [
        (0, DistanceBand.UNDER_5),
        (4.99, DistanceBand.UNDER_5),
        (5, DistanceBand.FROM_5_TO_15),
        (14.9, DistanceBand.FROM_5_TO_15),
        (15, DistanceBand.FROM_15_TO_30),
        (30, DistanceBand.FROM_30_TO_60),
        (59.99, DistanceBand.FROM_30_TO_60),
        (60, DistanceBand.OVER_60),
        (1200, DistanceBand.OVER_60),
    ],
)
def test_distance_bands_include_their_lower_limit(km, band):
    assert geo.distance_band(km) is band


def test_distance_bands_have_labels_and_limits():
    assert [b.value for b in DistanceBand] == ["0-5", "5-15", "15-30", "30-60", "60+"]
    assert DistanceBand.UNDER_5.label == "< 5 km"
    assert DistanceBand.FROM_5_TO_15.label == "5–15 km"
    assert DistanceBand.OVER_60.label == "60+ km"
    assert DistanceBand.OVER_60.upper_km == math.inf


@pytest.mark.parametrize("km", [-0.1, math.nan])
def test_a_negative_or_missing_distance_has_no_band(km):
    with pytest.raises(ValueError):
        geo.distance_band(km)


def test_the_file_is_read_once():
    geo.centroid("NL", "3811")
    before = geo._table.cache_info().hits
    geo.centroid("BE", "2800")
    assert geo._table.cache_info().misses == 1
    assert geo._table.cache_info().hits == before + 1

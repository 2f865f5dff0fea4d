"""Counts as OSLO *Verkeersmetingen* JSON-LD (the Flemish profile of ISO 19156 / SOSA observations).

The shape follows the worked Telraam example of Informatievlaanderen's OSLO-mapping
(`docs/_mobility/Telraam/compact.jsonld`; a copy is in analytics/tests/data): one `Dataset`, per counting
point a `Verkeersmeetpunt` (a point geometry as GML), per sensor a `Sensor` (`Systeem.type` from the
`VkmMeetInstrumentType` codes), per period a `time:ProperInterval`-style phenomenon time, and per count a
`Verkeerstelling` whose observed characteristic is `cl-vkt:aantal` of a vehicle type (`cl-vrt:voetganger`,
`fiets`, `auto`, `vrachtwagen`), its result `Verkeerstelling.tellingresultaat`, and `dct:memberOf` the
dataset. Times are xsd:dateTime with their offset. Only aggregates leave: daily totals per counting point.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd

from .models import CountingPoint, ObservedProperty, Provider, Sensor

CONTEXT = [
    "https://implementatie.data.vlaanderen.be/doc/implementatiemodel/verkeersmetingen/ontwerpstandaard/2023-09-27/context/Verkeersmetingen-im.jsonld",
    "https://data.vlaanderen.be/doc/applicatieprofiel/sensoren-en-bemonstering/kandidaatstandaard/2022-04-28/context/ap-sensoren-en-bemonstering.jsonld",
    "https://data.vlaanderen.be/doc/applicatieprofiel/observaties-en-metingen/kandidaatstandaard/2022-04-28/context/ap-observaties-en-metingen.jsonld",
    "https://data.vlaanderen.be/doc/applicatieprofiel/GEODCAT-AP-VL/erkendestandaard/2022-04-21/context/geodcatap-vlaanderen.jsonld",
    "https://data.vlaanderen.be/doc/applicatieprofiel/generiek-basis/zonderstatus/2019-07-01/context/generiek-basis.jsonld",
    {
        "schema": "http://schema.org/",
        "dct": "http://purl.org/dc/terms/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "geosparql": "http://www.opengis.net/ont/geosparql#",
        "qudt-unit": "http://qudt.org/vocab/unit/",
        "qudt-schema": "https://qudt.org/schema/qudt/",
        "dcterms": "http://purl.org/dc/terms/",
        "time": "http://www.w3.org/2006/time#",
        "ucum": "https://w3id.org/cdt/",
        "Verkeerstelling.tellingresultaat": {
            "@type": "http://www.w3.org/2001/XMLSchema#double",
            "@id": "http://def.isotc211.org/iso19156/2011/Observation#OM_Observation.result",
        },
        "cl-vrt": "https://data.vlaanderen.be/doc/concept/VkmVoertuigType/",
        "cl-vkt": "https://data.vlaanderen.be/doc/concept/VkmVerkeersKenmerkType/",
        "cl-mit": "https://data.vlaanderen.be/doc/concept/VkmMeetInstrumentType/",
        "cl-op": "https://data.vlaanderen.be/doc/concept/VkmObservatieProcedure/",
        "cl-access": "http://publications.europa.eu/resource/authority/access-right/",
    },
]

VEHICLE_TYPE = {
    ObservedProperty.PERSONS: "cl-vrt:voetganger",
    ObservedProperty.PEDESTRIAN: "cl-vrt:voetganger",
    ObservedProperty.STORE_ENTRANTS: "cl-vrt:voetganger",
    ObservedProperty.ADULTS: "cl-vrt:voetganger",
    ObservedProperty.CHILDREN: "cl-vrt:voetganger",
    ObservedProperty.BIKE: "cl-vrt:fiets",
    ObservedProperty.CAR: "cl-vrt:auto",
    ObservedProperty.HEAVY: "cl-vrt:vrachtwagen",
}
INSTRUMENT = {Provider.TELRAAM: "cl-mit:telraam", Provider.HYSTREET: "cl-mit:laser", Provider.OWN: "cl-mit:andere"}


def _point_gml(latitude, longitude) -> str:
    coordinates = f"{latitude} {longitude}" if latitude is not None and longitude is not None else ""
    return (
        '<gml:Point srsName="http://www.opengis.net/def/crs/EPSG/0/4326">'
        f"<gml:coordinates>{coordinates}</gml:coordinates></gml:Point>"
    )


def _instant(moment: datetime) -> dict:
    return {"@type": "time:Instant", "time:inXSDDateTime": {"@type": "xsd:dateTime", "@value": moment.isoformat()}}


def counts_jsonld(
    *,
    area,
    daily: pd.DataFrame,
    observed_property: str,
    title: str,
    description: str,
    licence_url: str,
    source_url: str,
    issued: date,
) -> dict:
    """The JSON-LD document of a `selectors_sensors.daily_totals` frame (one property, local days)."""
    dataset_id = f"_:dataset-{area.slug}"
    graph: list[dict] = [
        {
            "@id": dataset_id,
            "@type": "Dataset",
            "Dataset.titel": {"@language": "nl", "@value": title},
            "Dataset.beschrijving": [{"@language": "nl", "@value": description}],
            "Dataset.toegankelijkheid": "cl-access:PUBLIC",
            "Dataset.trefwoord": [{"@language": "nl", "@value": "passantentellingen"}],
            "dct:license": {"@id": licence_url},
            "dct:publisher": {"@type": "schema:Organization", "schema:name": area.collective_name},
            "dct:source": {"@id": source_url},
            "dct:issued": {"@type": "xsd:date", "@value": issued.isoformat()},
        }
    ]
    point_ids = [int(pk) for pk in daily["counting_point"].unique()] if not daily.empty else []
    points = CountingPoint.objects.filter(area=area, pk__in=point_ids).order_by("pk")
    sensors = Sensor.objects.filter(counting_point__in=points).order_by("pk")
    instrument_of_point: dict[int, str] = {}
    for sensor in sensors:
        sensor_id = f"_:sensor-{sensor.pk}"
        instrument_of_point.setdefault(sensor.counting_point_id, sensor_id)
        graph.append(
            {"@id": sensor_id, "@type": "Sensor", "Systeem.type": INSTRUMENT.get(sensor.provider, "cl-mit:andere")}
        )
    for point in points:
        graph.append(
            {
                "@id": f"_:meetpunt-{point.pk}",
                "@type": "Verkeersmeetpunt",
                "Verkeersmeetpunt.geometrie": {
                    "@type": "Punt",
                    "Geometrie.gml": {
                        "@value": _point_gml(point.latitude, point.longitude),
                        "@type": "geosparql:gmlLiteral",
                    },
                },
                "schema:name": point.name,
            }
        )
    tz = area.tz
    periods: set[date] = set()
    vehicle = VEHICLE_TYPE.get(observed_property, "cl-vrt:voetganger")
    for row in daily.itertuples(index=False):
        day = row.date
        periods.add(day)
        telling = {
            "@id": f"_:telling-{row.counting_point}-{day.isoformat()}",
            "@type": "Verkeerstelling",
            "Verkeerstelling.geobserveerdKenmerk": {
                "@type": "Verkeerstellingkenmerk",
                "Verkeerstellingkenmerk.kenmerktype": "cl-vkt:aantal",
                "Verkeerskenmerk.voertuigType": vehicle,
            },
            "Verkeersmeting.geobserveerdObject": f"_:meetpunt-{row.counting_point}",
            "Verkeersmeting.fenomeenTijd": f"_:fenomeentijd-{day.isoformat()}",
            "Verkeerstelling.tellingresultaat": float(row.value),
            "dct:memberOf": dataset_id,
        }
        if row.counting_point in instrument_of_point:
            telling["Verkeersmeting.uitgevoerdMet"] = instrument_of_point[row.counting_point]
        graph.append(telling)
    for day in sorted(periods):
        start = datetime.combine(day, time(0), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        graph.append(
            {
                "@id": f"_:fenomeentijd-{day.isoformat()}",
                "Verkeersmeting.fenomeenTijd": {
                    "@type": "time:TemporalEntity",
                    "time:hasBeginning": _instant(start),
                    "time:hasEnd": _instant(end),
                },
            }
        )
    return {"@context": CONTEXT, "@graph": graph}

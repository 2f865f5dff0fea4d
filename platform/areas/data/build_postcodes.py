"""Build `postcodes/postcodes.csv`, the postcode centroids Agora ships, from GeoNames extracts.

    python platform/areas/data/build_postcodes.py [NL.txt] [belgium.json]

Inputs (both built from GeoNames postal codes, https://www.geonames.org/, CC BY 4.0):

- ``NL.txt`` — GeoNames ``NL`` postal-code dump (via hauleth/geopost): tab-separated, no header:
  country, postcode, place, province, province code, municipality, CBS municipality code, -, -,
  lat, lon. Some 4-digit postcodes (PC4) have one row per place.
- ``belgium.json`` — ``[{zipcode, name, latitude, longitude}]`` (adriaanvermeire/zipcodes): several
  names per postcode (sub-municipalities, and French and Dutch names in Brussels and along the
  language border); one entry without coordinates.

Output, one row per (country, postcode), sorted: ``country,postcode,place,municipality,
municipality_code,latitude,longitude``.

- Centroid: the mean of the distinct coordinates given for the postcode (its places), 5 decimals.
- NL place and municipality: the row whose place is its own municipality (Purmerend, not Purmer),
  else the first row. Municipality code: CBS ``GMxxxx`` without the prefix.
- BE place: one name per postcode. Candidates are the names that are a municipality or main town
  (``MUNICIPALITIES``) or the Dutch name of a place that also carries a French one
  (``DUTCH_NAMES``); failing those, every name. Among the candidates: a merged municipality's name
  that contains another listed name (``Heusden-Zolder`` over ``Heusden``), else the place nearest
  the centroid (a main town lies among its former municipalities), ties alphabetically.
- BE municipality: the source names none, so it is the place when that is a known municipality,
  else empty (``2811 Hombeek`` belongs to Mechelen, which the source does not say). No BE code.
- Entries without coordinates are skipped.

Deterministic: running it twice on the same inputs gives the same file.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_NL = Path("/work/shared/data/postcodes/geonames_NL.txt")
DEFAULT_BE = Path("/work/shared/data/postcodes/be_postcodes.json")
OUTPUT = HERE / "postcodes" / "postcodes.csv"

# Dutch names of places that GeoNames also lists under a French (or German) name with the same
# postcode: Brussels' municipalities, the facility municipalities and the language border.
DUTCH_NAMES = frozenset(
    {
        "Brussel",
        "Laken",
        "Schaarbeek",
        "Etterbeek",
        "Elsene",
        "Sint-Gillis",
        "Anderlecht",
        "Sint-Jans-Molenbeek",
        "Koekelberg",
        "Sint-Agatha-Berchem",
        "Ganshoren",
        "Jette",
        "Evere",
        "Sint-Pieters-Woluwe",
        "Oudergem",
        "Watermaal-Bosvoorde",
        "Ukkel",
        "Vorst",
        "Sint-Lambrechts-Woluwe",
        "Sint-Joost-ten-Node",
        "Sint-Genesius-Rode",
        "Sint-Pieters-Voeren",
        "'s Gravenvoeren",
        "Luik",
        "Namen",
        "Bergen",
        "Moeskroen",
        "Dottenijs",
        "Lowingen",
        "Komen-Waasten",
        "Komen",
        "Waasten",
        "Neerwaasten",
        "Edingen",
        "Mark",
        "Petit-Lettelingen",
        "Vloesberg",
        "Spiere",
        "Spiere-Helkijn",
        "Helkijn",
        "Mesen",
        "Ronse",
        "Doornik",
        "Aat",
        "Nijvel",
        "Waver",
        "Geldenaken",
        "Hoei",
        "Borgworm",
        "Tubeke",
        "'s-Gravenbrakel",
        "Zinnik",
        "Lessen",
        "Opzullik",
        "Kortessem",
    }
)

# Flemish and Brussels municipalities (before the mergers of 2019–2025), and the main Walloon
# towns: where one of these is among a postcode's names, it is the postcode's main place.
MUNICIPALITIES = frozenset(
    """
    Aartselaar Antwerpen Arendonk Baarle-Hertog Balen Beerse Berlaar Boechout Bonheiden Boom Bornem
    Borsbeek Brasschaat Brecht Dessel Duffel Edegem Essen Geel Grobbendonk Heist-op-den-Berg Hemiksem
    Herentals Herenthout Herselt Hoogstraten Hove Hulshout Kalmthout Kapellen Kasterlee Kontich Laakdal
    Lier Lille Lint Malle Mechelen Meerhout Merksplas Mol Mortsel Niel Nijlen Olen Oud-Turnhout Putte
    Puurs Ranst Ravels Retie Rijkevorsel Rumst Schelle Schilde Schoten Sint-Amands Sint-Katelijne-Waver
    Stabroek Turnhout Vorselaar Vosselaar Westerlo Wijnegem Willebroek Wommelgem Wuustwezel Zandhoven
    Zoersel Zwijndrecht
    Aarschot Affligem Asse Beersel Begijnendijk Bekkevoort Bertem Bever Bierbeek Boortmeerbeek Boutersem
    Diest Dilbeek Drogenbos Galmaarden Geetbets Glabbeek Gooik Grimbergen Haacht Halle Herent Herne
    Hoegaarden Hoeilaart Holsbeek Huldenberg Kampenhout Kapelle-op-den-Bos Keerbergen Kortenaken
    Kortenberg Kraainem Landen Lennik Leuven Liedekerke Linkebeek Linter Londerzeel Lubbeek Machelen Meise
    Merchtem Opwijk Oud-Heverlee Overijse Pepingen Roosdaal Rotselaar Scherpenheuvel-Zichem
    Sint-Genesius-Rode Sint-Pieters-Leeuw Steenokkerzeel Ternat Tervuren Tielt-Winge Tienen Tremelo
    Vilvoorde Wemmel Wezembeek-Oppem Zaventem Zemst Zoutleeuw
    Aalst Aalter Assenede Berlare Beveren Brakel Buggenhout De-Pinte Deinze Denderleeuw Dendermonde
    Destelbergen Eeklo Erpe-Mere Evergem Gavere Gent Geraardsbergen Haaltert Hamme Herzele Horebeke
    Kaprijke Kluisbergen Knesselare Kruibeke Kruishoutem Laarne Lebbeke Lede Lierde Lochristi Lokeren
    Lovendegem Maarkedal Maldegem Melle Merelbeke Moerbeke Nazareth Nevele Ninove Oosterzele Oudenaarde
    Ronse Sint-Gillis-Waas Sint-Laureins Sint-Lievens-Houtem Sint-Martens-Latem Sint-Niklaas Stekene
    Temse Waarschoot Waasmunster Wachtebeke Wetteren Wichelen Wortegem-Petegem Zele Zelzate Zingem
    Zomergem Zottegem Zulte Zwalm
    Alveringem Anzegem Ardooie Avelgem Beernem Blankenberge Bredene Brugge Damme De-Haan De-Panne
    Deerlijk Dentergem Diksmuide Gistel Harelbeke Heuvelland Hooglede Houthulst Ichtegem Ieper
    Ingelmunster Izegem Jabbeke Knokke-Heist Koekelare Koksijde Kortemark Kortrijk Kuurne
    Langemark-Poelkapelle Ledegem Lendelede Lichtervelde Lo-Reninge Menen Mesen Meulebeke Middelkerke
    Moorslede Nieuwpoort Oostende Oostkamp Oostrozebeke Oudenburg Pittem Poperinge Roeselare Ruiselede
    Spiere-Helkijn Staden Tielt Torhout Veurne Vleteren Waregem Wervik Wevelgem Wielsbeke Wingene
    Zedelgem Zonnebeke Zuienkerke Zwevegem
    Alken As Beringen Bilzen Bocholt Borgloon Bree Diepenbeek Dilsen-Stokkem Genk Gingelom Halen Ham
    Hamont-Achel Hasselt Hechtel-Eksel Heers Herk-de-Stad Herstappe Heusden-Zolder Hoeselt
    Houthalen-Helchteren Kinrooi Kortessem Lanaken Leopoldsburg Lommel Lummen Maaseik Maasmechelen
    Meeuwen-Gruitrode Neerpelt Nieuwerkerken Opglabbeek Overpelt Peer Riemst Sint-Truiden Tessenderlo
    Tongeren Voeren Wellen Zonhoven Zutendaal
    Anderlecht Brussel Elsene Etterbeek Evere Ganshoren Jette Koekelberg Oudergem Schaarbeek
    Sint-Agatha-Berchem Sint-Gillis Sint-Jans-Molenbeek Sint-Joost-ten-Node Sint-Lambrechts-Woluwe
    Sint-Pieters-Woluwe Ukkel Vorst Watermaal-Bosvoorde
    Namen Luik Bergen Charleroi Doornik La-Louvière Moeskroen Verviers Seraing Waver Nijvel Aarlen
    Ottignies-Louvain-la-Neuve Braine-l'Alleud Waterloo Eupen Hoei Aat Zinnik Spa Bastogne Dinant
    Marche-en-Famenne Gembloux Geldenaken Edingen Lessen
    """.replace("De-", "De ")
    .replace("La-", "La ")
    .split()
)


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    # Small distances: an equirectangular approximation ranks places as well as haversine.
    x = math.radians(b[1] - a[1]) * math.cos(math.radians((a[0] + b[0]) / 2))
    y = math.radians(b[0] - a[0])
    return math.hypot(x, y)


def _centroid(points: list[tuple[float, float]]) -> tuple[float, float]:
    distinct = sorted(set(points))
    return (
        round(sum(p[0] for p in distinct) / len(distinct), 5),
        round(sum(p[1] for p in distinct) / len(distinct), 5),
    )


def netherlands(path: Path) -> list[tuple]:
    by_postcode: dict[str, list[list[str]]] = defaultdict(list)
    with path.open(encoding="utf-8") as source:
        for line in source:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 11 or not fields[9] or not fields[10]:
                continue
            by_postcode[fields[1]].append(fields)
    rows = []
    for postcode, entries in by_postcode.items():
        main = next((e for e in entries if e[2] == e[5]), entries[0])
        lat, lon = _centroid([(float(e[9]), float(e[10])) for e in entries])
        rows.append(("NL", postcode, main[2], main[5], main[6], lat, lon))
    return rows


def _main_belgian_name(places: dict[str, tuple[float, float]], centre: tuple[float, float]) -> str:
    names = sorted(places)
    candidates = [n for n in names if n in DUTCH_NAMES or n in MUNICIPALITIES] or names
    merged = [n for n in candidates if any(other != n and other in n.split("-") for other in names)]
    if merged:
        return merged[0]
    return min(candidates, key=lambda n: (round(_distance(places[n], centre), 9), n))


def belgium(path: Path) -> list[tuple]:
    by_postcode: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    for entry in json.loads(path.read_text(encoding="utf-8")):
        if not entry["latitude"] or not entry["longitude"]:
            continue
        by_postcode[entry["zipcode"]][entry["name"].strip()] = (float(entry["latitude"]), float(entry["longitude"]))
    rows = []
    for postcode, places in by_postcode.items():
        lat, lon = _centroid(list(places.values()))
        name = _main_belgian_name(places, (lat, lon))
        municipality = name if name in MUNICIPALITIES else ""
        rows.append(("BE", postcode, name, municipality, "", lat, lon))
    return rows


def main(argv: list[str]) -> None:
    nl_path = Path(argv[1]) if len(argv) > 1 else DEFAULT_NL
    be_path = Path(argv[2]) if len(argv) > 2 else DEFAULT_BE
    rows = sorted(netherlands(nl_path) + belgium(be_path))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="") as target:
        writer = csv.writer(target, lineterminator="\n")
        writer.writerow(["country", "postcode", "place", "municipality", "municipality_code", "latitude", "longitude"])
        for country, postcode, place, municipality, code, lat, lon in rows:
            writer.writerow([country, postcode, place, municipality, code, f"{lat:.5f}", f"{lon:.5f}"])
    print(f"{OUTPUT}: {len(rows)} postcodes")


if __name__ == "__main__":
    main(sys.argv)

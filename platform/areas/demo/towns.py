"""The two demo shopping areas: Amersfoort (NL) and Mechelen (BE), as fixed facts.

Centres, time zones and streets are real; the collectives, passes and shops are invented.
"""

from __future__ import annotations

from dataclasses import dataclass

from areas.sectors import Sector


@dataclass(frozen=True)
class Street:
    name: str
    numbers: tuple[int, int]  # the house numbers the shops use on this street
    # Postcode letters for odd and even numbers (NL); Belgian postcodes have none.
    letters: tuple[str, str] = ("", "")
    # Where the street lies from the centre, in metres east and north.
    offset_m: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Town:
    slug: str
    name: str
    country: str
    city: str
    time_zone: str
    latitude: float
    longitude: float
    postcode: str  # the centre's postcode (PC4 in NL)
    hostname: str
    is_default_site: bool
    tagline: str
    pass_name: str
    collective_name: str
    collective_address: str
    privacy_email: str
    primary_colour: str  # both colours carry white text: contrast of at least 4.5:1
    accent_colour: str
    member_share: float  # share of the demo's members who hold this area's pass
    streets: tuple[Street, ...]


AMERSFOORT = Town(
    slug="amersfoort",
    name="Binnenstad Amersfoort",
    country="NL",
    city="Amersfoort",
    time_zone="Europe/Amsterdam",
    latitude=52.1561,
    longitude=5.3878,
    postcode="3811",
    hostname="amersfoort.localhost",
    is_default_site=True,
    tagline="Winkelen, proeven en beleven binnen de Muurhuizen",
    pass_name="Keistadpas",
    collective_name="Stichting BIZ Binnenstad Amersfoort",
    collective_address="Hof 24, 3811 CK Amersfoort",
    privacy_email="privacy@binnenstad-amersfoort.example",
    primary_colour="#8a1c2b",
    accent_colour="#1f5c63",
    member_share=0.58,
    streets=(
        Street("Langestraat", (2, 120), ("AE", "AG"), (40, 90)),
        Street("Utrechtsestraat", (1, 60), ("NB", "NC"), (-280, -170)),
        Street("Krommestraat", (1, 60), ("AB", "AC"), (-60, 260)),
        Street("Hof", (1, 45), ("CJ", "CK"), (0, 0)),
        Street("Lieve Vrouwestraat", (1, 30), ("EJ", "EK"), (-110, 40)),
        Street("Kamp", (1, 90), ("AN", "AP"), (310, 60)),
        Street("Arnhemsestraat", (1, 40), ("LA", "LB"), (330, -200)),
        Street("Varkensmarkt", (1, 20), ("LH", "LJ"), (120, -60)),
        Street("Groenmarkt", (1, 20), ("BR", "BT"), (-150, 120)),
        Street("Appelmarkt", (1, 20), ("BN", "BP"), (-40, 180)),
        Street("Kortegracht", (1, 40), ("BV", "BW"), (-240, 90)),
        Street("Havik", (1, 60), ("BH", "BJ"), (-180, 190)),
        Street("Bloemendalsestraat", (1, 40), ("EA", "EB"), (150, 250)),
        Street("'t Zand", (1, 40), ("ZA", "ZB"), (-270, 310)),
        Street("Scherbierstraat", (1, 20), ("DJ", "DK"), (230, -120)),
        Street("Beestenmarkt", (1, 20), ("GH", "GJ"), (180, 20)),
    ),
)

MECHELEN = Town(
    slug="mechelen",
    name="Binnenstad Mechelen",
    country="BE",
    city="Mechelen",
    time_zone="Europe/Brussels",
    latitude=51.0277,
    longitude=4.4775,
    postcode="2800",
    hostname="mechelen.localhost",
    is_default_site=False,
    tagline="Winkelen en genieten in de Maneblussersstad",
    pass_name="Maneblusserspas",
    collective_name="Centrummanagement Mechelen vzw",
    collective_address="Grote Markt 21, 2800 Mechelen",
    privacy_email="privacy@centrum-mechelen.example",
    primary_colour="#1b4a72",
    accent_colour="#8a4b08",
    member_share=0.42,
    streets=(
        Street("Bruul", (1, 120), offset_m=(40, -250)),
        Street("IJzerenleen", (1, 60), offset_m=(-40, -110)),
        Street("Onze-Lieve-Vrouwestraat", (1, 110), offset_m=(-120, -380)),
        Street("Grote Markt", (1, 40), offset_m=(0, 0)),
        Street("Befferstraat", (1, 50), offset_m=(60, 130)),
        Street("Hoogstraat", (1, 80), offset_m=(-330, -260)),
        Street("Korenmarkt", (1, 30), offset_m=(-200, 60)),
        Street("Vismarkt", (1, 40), offset_m=(-230, -60)),
        Street("Haverwerf", (1, 30), offset_m=(-320, 20)),
        Street("Schoenmarkt", (1, 20), offset_m=(-60, -60)),
        Street("Guldenstraat", (1, 40), offset_m=(210, 10)),
        Street("Botermarkt", (1, 30), offset_m=(120, -80)),
        Street("Frederik de Merodestraat", (1, 90), offset_m=(-150, 220)),
        Street("Sint-Katelijnestraat", (1, 100), offset_m=(-60, 380)),
        Street("Veemarkt", (1, 50), offset_m=(170, 160)),
        Street("Adegemstraat", (1, 80), offset_m=(330, 220)),
    ),
)

TOWNS: tuple[Town, ...] = (AMERSFOORT, MECHELEN)
DEMO_AREA_SLUGS: tuple[str, ...] = tuple(town.slug for town in TOWNS)

#: The sector mix of ~40 merchants, after the shares a Dutch or Flemish town centre shows in the
#: retail monitors: lots of fashion and hospitality, some daily goods, services and leisure.
SECTOR_MIX: tuple[tuple[str, int], ...] = (
    (Sector.FASHION, 9),
    (Sector.JEWELLERY, 3),
    (Sector.HOSPITALITY, 10),
    (Sector.GROCERIES, 1),
    (Sector.FOOD_SPECIALTY, 3),
    (Sector.HEALTH_BEAUTY, 2),
    (Sector.BOOKS_TOYS, 2),
    (Sector.SPORTS, 1),
    (Sector.ELECTRONICS, 1),
    (Sector.HOME_LIVING, 2),
    (Sector.FLOWERS, 1),
    (Sector.OTHER_RETAIL, 1),
    (Sector.SERVICES, 3),
    (Sector.LEISURE, 1),
)

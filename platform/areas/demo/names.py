"""Name lists for the demo town: people, and fictional shop names per sector.

Our own short lists (common Dutch and Flemish names) rather than Faker: they keep the generator
fast, deterministic across library upgrades, and the names plausible for the two regions.
Shop names are invented; any likeness to a real business is a coincidence of common words.
"""

from __future__ import annotations

from areas.sectors import Sector


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST_NAMES = {
    "NL": {
        "f": _words(
            "Anna Emma Sanne Lotte Fleur Lisa Eva Julia Sophie Anouk Iris Femke Noor Tess Sara Maud "
            "Ingrid Marieke Esther Monique Petra Annemarie Wilma Ria Carla Jolanda Yvonne Sandra Linda "
            "Nicole Karin Marloes Mirjam Ilse Saskia Naomi Fatima Yara Zoë Mila Evi Lieke Roos Hanna "
            "Ellen Gerda Marjolein Renate Bianca Astrid Nadia Samira Chantal Demi Kim Lisanne Merel"
        ),
        "m": _words(
            "Jan Pieter Kees Henk Gerrit Willem Johan Erik Mark Jeroen Bas Thomas Daan Sem Lucas Finn "
            "Luuk Jesse Milan Ruben Tim Niels Stefan Martijn Rob Frank Ronald Marcel Dennis Sander Joost "
            "Wouter Arjen Hans Theo Bert Kevin Mohamed Youssef Ahmet Levi Noah Bram Koen Jasper Rik "
            "Gijs Floris Hugo Max Wim Cor Dirk Hendrik Maarten Vincent Jelle Timo"
        ),
    },
    "BE": {
        "f": _words(
            "Emma Louise Marie Elise Julie Lotte Lore Hanne Sarah Laura Charlotte Anneleen Katrien "
            "Sofie Els An Griet Veerle Inge Kristel Nathalie Sandra Ilse Liesbeth Leen Evelien Jolien "
            "Lien Nele Fien Amber Febe Nina Mila Olivia Lina Noor Yasmina Fatma Greet Hilde Rita Godelieve "
            "Mieke Ann Tine Karen Caroline Marleen Bieke Jana Kato Ellen Silke"
        ),
        "m": _words(
            "Jan Pieter Wim Koen Kris Tom Bart Peter Dirk Luc Marc Geert Johan Stijn Wouter Jens Ruben "
            "Arne Lucas Louis Lars Noah Vic Mathis Warre Seppe Jonas Thomas Simon Frederik Bram Joris "
            "Gert Rudy Filip Frank Patrick Erwin Stefaan Yves Michiel Pieter-Jan Jeroen Maarten Toon "
            "Jef Rik Mohamed Yassin Emre Gilles Tibo Robbe Senne Jarne Lowie"
        ),
    },
}

LAST_NAMES = {
    "NL": _words(
        "de Jong|Jansen|de Vries|van den Berg|van Dijk|Bakker|Janssen|Visser|Smit|Meijer|de Boer|Mulder|"
        "de Groot|Bos|Vos|Peters|Hendriks|van Leeuwen|Dekker|Brouwer|de Wit|Dijkstra|Smits|de Graaf|"
        "van der Meer|van der Linden|Kok|Jacobs|de Haan|Vermeulen|van den Heuvel|van der Veen|"
        "van den Broek|de Bruijn|de Bruin|van der Heijden|Schouten|van Beek|Willems|van Vliet|van de Ven|"
        "Hoekstra|Maas|Verhoeven|Koster|van Dam|van der Wal|Prins|Blom|Huisman|Peeters|de Lange|Kuipers|"
        "van Wijk|Post|Kuiper|Veenstra|Kramer|van den Brink|Scholten|van Wijngaarden|Hoogland|Rozendaal|"
        "Bosman|Wolters|Hermans|Koning|Timmermans|Groen|Bouwman|Evers|Gerritsen|Boer|Schipper|Verbeek|"
        "Hamers|El Amrani|Yilmaz|Kaya|Bennani|Nguyen|Wijnands|Doornbos|Ravensbergen|Beekman|Stam",
        "|",
    ),
    "BE": _words(
        "Peeters|Janssens|Maes|Jacobs|Mertens|Willems|Claes|Goossens|Wouters|De Smet|Dubois|Hermans|"
        "Aerts|Lambrechts|Van den Broeck|Dumont|Michiels|Pauwels|Verstraeten|Martens|Desmet|Stevens|"
        "Van de Velde|Vermeulen|De Clercq|Claessens|Cools|Van Damme|Leclercq|Segers|Verhaegen|"
        "Van Dyck|Smets|Declercq|Vermeersch|De Backer|Bogaerts|Hendrickx|Wuyts|Van Hoof|Vandenberghe|"
        "Coppens|Geerts|Verbeke|Van Aken|Van Looy|Huysmans|Luyten|Schepens|Verhoeven|Vanhove|Thys|"
        "De Wilde|Verlinden|Moens|Baeten|Van Roy|Govaerts|De Cock|Vos|Laenen|Van Camp|Verheyen|Lenaerts|"
        "Bosmans|Daems|Hellemans|Nuyts|Rombouts|Sels|Van Gucht|Wauters|De Ridder|El Idrissi|Demir|"
        "Öztürk|Nowak|Van Rompaey|Mariën|Verschueren|Meeus|Van Hove|Cuypers|Bruynseels",
        "|",
    ),
}

EMAIL_DOMAINS = ("mail.example", "post.example", "inbox.example", "thuis.example", "online.example")


# --- Shops ---------------------------------------------------------------------------------------
# Per sector: names usable in both countries, then the country's own. "{s}" is a family name,
# "{f}" a woman's and "{m}" a man's first name (filled from the lists above).
TRADE_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    Sector.FASHION: {
        "*": (
            "Modehuis {s}",
            "Boutique {f}",
            "{f} Fashion",
            "Studio {f}",
            "Herenmode {s}",
            "Denim Depot",
            "Het Kledingatelier",
            "Lingerie {f}",
            "Kinderkleding De Kleine Reus",
            "Schoenen {s}",
            "Stapvoets Schoenen",
            "Jas & Jurk",
            "Mode Maison {f}",
            "Tweede Leven Vintage",
            "Atelier Linnen",
            "Noord & Zuid Outdoor Mode",
            "Ruit Herenkleding",
            "Blauw Denim Store",
        ),
        "NL": ("Keistad Mode", "{s} Mannenmode", "Muurhuis Boutique"),
        "BE": ("Maneblusser Mode", "Kledij {s}", "Schoenen Dijlezicht"),
    },
    Sector.JEWELLERY: {
        "*": (
            "Juwelier {s}",
            "Goudsmid {m} {s}",
            "Optiek {s}",
            "Brillenhuis Helder Zicht",
            "Horlogerie {s}",
            "Zilverstraat Sieraden",
        ),
        "NL": ("Oogwereld {s}",),
        "BE": ("Juwelen {f}",),
    },
    Sector.GROCERIES: {
        "*": ("Buurtsuper {s}", "Versmarkt Centrum", "Biowinkel De Zonnebloem"),
        "NL": ("Toko Sari", "Supermarkt Het Hof"),
        "BE": ("Buurtwinkel De Markt", "Nachtwinkel Centrum"),
    },
    Sector.FOOD_SPECIALTY: {
        "*": (
            "Bakkerij {s}",
            "Kaashandel {s}",
            "Chocolaterie {f}",
            "Notenbar De Eekhoorn",
            "Wijnhandel {s}",
            "Theehuis Het Blad",
            "Patisserie {f}",
            "Vishandel {s}",
        ),
        "NL": ("Slagerij {s}", "Echte Bakker {s}", "Poffertjeshuis"),
        "BE": ("Beenhouwerij {s}", "Bakkerij Het Gulden Brood", "Pralines {s}", "Traiteur {s}"),
    },
    Sector.HEALTH_BEAUTY: {
        "*": ("Parfumerie {f}", "Natuurwinkel Groene Kruid", "Apotheek Centrum", "Huidinstituut {f}"),
        "NL": ("Drogisterij {s}",),
        "BE": ("Apotheek {s}", "Parfumerie Dijle"),
    },
    Sector.BOOKS_TOYS: {
        "*": (
            "Boekhandel {s}",
            "Speelgoedwinkel De Tol",
            "Stripwinkel Ballon",
            "Hobbyhuis {s}",
            "Kantoorboekhandel Pen & Papier",
            "Spellenhuis Dobbel",
        ),
        "NL": ("Boekhandel Het Kei-Boek",),
        "BE": ("Boekhandel De Zandloper",),
    },
    Sector.SPORTS: {
        "*": ("Sportshop {s}", "Fietsenwinkel {s}", "Loopwinkel Tempo", "Buitensport De Kompas"),
        "NL": (),
        "BE": ("Fietsen {s}",),
    },
    Sector.ELECTRONICS: {
        "*": ("Telefoonreparatie Snel", "Elektro {s}", "Beeld & Geluid {s}", "Fotovakhandel {s}"),
        "NL": (),
        "BE": (),
    },
    Sector.HOME_LIVING: {
        "*": (
            "Woonwinkel Huiselijk",
            "Kookwinkel {s}",
            "Interieur {f}",
            "Stoffen & Gordijnen {s}",
            "Keramiek Atelier",
            "Cadeauwinkel Het Cadeautje",
        ),
        "NL": ("Wonen aan de Eem",),
        "BE": ("Wonen aan de Dijle",),
    },
    Sector.FLOWERS: {
        "*": ("Bloemen {f}", "Bloemsierkunst {s}", "Plantenwinkel Groene Vingers"),
        "NL": (),
        "BE": ("Bloemenhuis {s}",),
    },
    Sector.OTHER_RETAIL: {
        "*": ("Tabak & Lectuur {s}", "Kringloop Centrum", "Sleutelservice {s}", "Dierenwinkel {s}"),
        "NL": (),
        "BE": ("Dagbladhandel {s}",),
    },
    Sector.HOSPITALITY: {
        "*": (
            "Lunchroom {f}",
            "Koffiebar Bonen",
            "Restaurant De Gouden Leeuw",
            "Brasserie {s}",
            "IJssalon {f}",
            "Pizzeria Da {m}",
            "Wijnbar Kurk",
            "Restaurant Het Pakhuis",
            "Eetcafé De Vergulde Kruik",
            "Koffiehuis Het Hoekje",
            "Bistro {f}",
            "Sushi {s}",
            "Pannenkoekenhuis De Molen",
            "Grand Café Het Stadhuis",
            "Bakkerij-Lunchroom {s}",
            "Tapasbar Sol",
        ),
        "NL": ("Bruin Café De Kei", "Proeflokaal {s}", "Eetcafé De Muur"),
        "BE": ("Frituur {s}", "Taverne Het Anker", "Café De Maneblusser", "Bierhuis De Dijle", "Wafelhuis {f}"),
    },
    Sector.SERVICES: {
        "*": (
            "Kapsalon {f}",
            "Barbier {m}",
            "Reisbureau Verre Reizen",
            "Schoenmakerij {s}",
            "Kleermakerij {s}",
            "Nagelstudio {f}",
            "Stomerij Centrum",
            "Fotostudio {s}",
        ),
        "NL": ("Makelaardij {s}",),
        "BE": ("Haarstudio {f}", "Immo {s}"),
    },
    Sector.LEISURE: {
        "*": ("Escape Room Het Slot", "Filmtheater Lumière", "Atelier & Workshops {f}", "Speelhal Joker"),
        "NL": ("Museumwinkel Keistad",),
        "BE": ("Belevingscentrum Stadsverhalen",),
    },
}

#: A short Dutch description per sector for the merchant directory.
DESCRIPTIONS: dict[str, str] = {
    Sector.GROCERIES: "Dagelijkse boodschappen midden in het centrum, ook voor de snelle lunch.",
    Sector.FOOD_SPECIALTY: "Ambachtelijke specialiteiten, vers en met vakkennis geselecteerd.",
    Sector.HEALTH_BEAUTY: "Verzorging, gezondheid en persoonlijk advies.",
    Sector.FASHION: "Mode en schoenen met persoonlijke aandacht, van basics tot bijzondere stukken.",
    Sector.JEWELLERY: "Sieraden, horloges en brillen, met eigen atelier en reparatieservice.",
    Sector.BOOKS_TOYS: "Boeken, spellen en hobby voor jong en oud.",
    Sector.SPORTS: "Alles om in beweging te komen, met advies op maat.",
    Sector.ELECTRONICS: "Elektronica, telefoons en reparaties terwijl u wacht.",
    Sector.HOME_LIVING: "Wonen, koken en cadeaus: mooie dingen voor in en om het huis.",
    Sector.FLOWERS: "Verse bloemen en planten, boeketten op bestelling.",
    Sector.OTHER_RETAIL: "Handig en dichtbij: voor wat u vandaag nog nodig hebt.",
    Sector.HOSPITALITY: "Gastvrij eten en drinken in de binnenstad.",
    Sector.SERVICES: "Service met vakmanschap, op afspraak of gewoon binnenlopen.",
    Sector.LEISURE: "Uit in de binnenstad: beleven, spelen en ontdekken.",
}

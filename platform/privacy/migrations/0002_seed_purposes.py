"""The four purposes of a collective's pass, with their first texts in Dutch and English.

Texts are evidence once people agree to them: never edit a published version here or anywhere;
publish a new one (privacy.services.publish_purpose_version).
"""

import hashlib

from django.db import migrations

PURPOSES = [
    {
        "code": "operate_pass",
        "lawful_basis": "contract",
        "dpv_iri": "https://w3id.org/dpv#ServiceProvision",
        "order": 10,
        "title_nl": "Je stadspas laten werken",
        "title_en": "Running your city pass",
        "text_nl": (
            "We gebruiken je account om de stadspas te laten werken: om je pas te tonen, de punten "
            "bij te houden die je spaart en uitgeeft bij de ondernemers van het collectief, beloningen, "
            "waardebonnen en cadeaukaarten af te handelen en je account te beveiligen. Zonder deze "
            "gegevens werkt de pas niet. Daarom hoort dit bij de afspraak die je maakt als je je "
            "aanmeldt en vragen we er geen aparte toestemming voor. Je kunt je account altijd opzeggen."
        ),
        "text_en": (
            "We use your account to run the city pass: to show your pass, keep track of the points you "
            "collect and spend at the merchants of the collective, handle rewards, vouchers and gift "
            "cards, and keep your account secure. The pass cannot work without this data. That is why "
            "it is part of the agreement you make when you sign up, and we do not ask for separate "
            "consent. You can close your account at any time."
        ),
        "personal_data_nl": (
            "Je e-mailadres, je naam als je die invult, je taal, je pasnummer, de punten die je spaart en "
            "uitgeeft met datum, tijd en ondernemer, en je beloningen, waardebonnen en cadeaukaarten."
        ),
        "personal_data_en": (
            "Your e-mail address, your name if you give it, your language, your pass number, the points "
            "you collect and spend with the date, time and merchant, and your rewards, vouchers and gift cards."
        ),
        "retention_nl": (
            "Zolang je een account hebt. Drie jaar na je laatste activiteit maken we je account anoniem. "
            "Wat de boekhoudwet ons laat bewaren (zoals verkochte cadeaukaarten) blijft zo lang als "
            "nodig, zonder je naam."
        ),
        "retention_en": (
            "As long as you have an account. Three years after your last activity we anonymise your "
            "account. What bookkeeping law makes us keep (such as gift cards sold) stays as long as "
            "required, without your name."
        ),
    },
    {
        "code": "analytics",
        "lawful_basis": "consent",
        "dpv_iri": "https://w3id.org/dpv#ServiceUsageAnalytics",
        "order": 20,
        "title_nl": "Statistieken over bezoekers van de binnenstad",
        "title_en": "Statistics about visitors to the town centre",
        "text_nl": (
            "Met je toestemming gebruiken we je leeftijdsgroep en de vier cijfers van je postcode, samen "
            "met je bezoeken, om te begrijpen wie de binnenstad bezoekt en van waar: bijvoorbeeld hoe ver "
            "bezoekers reizen en welke leeftijdsgroepen op welke dagen komen. Dat doen we onder een "
            "codenummer, niet onder je naam of e-mailadres. We tonen alleen cijfers over groepen die groot "
            "genoeg zijn (minstens 10 mensen, meestal 30 of meer), zodat niemand te herkennen is. "
            "Ondernemers en het collectief zien alleen die groepscijfers. Je pas werkt precies hetzelfde "
            "als je nee zegt, en je kunt je keuze altijd veranderen."
        ),
        "text_en": (
            "With your consent we use your age group and the four digits of your postcode, together with "
            "your visits, to understand who visits the town centre and where they come from: for example "
            "how far visitors travel and which age groups come on which days. We do this under a code "
            "number, not under your name or e-mail address. We only show figures about groups that are "
            "large enough (at least 10 people, usually 30 or more), so that nobody can be recognised. "
            "Merchants and the collective only see those group figures. Your pass works exactly the same "
            "if you say no, and you can change your choice at any time."
        ),
        "personal_data_nl": (
            "Je leeftijdsgroep (bijvoorbeeld 35–44), de vier cijfers van je postcode, en datum, tijd en "
            "ondernemer van je bezoeken."
        ),
        "personal_data_en": (
            "Your age group (for example 35–44), the four digits of your postcode, and the date, time and "
            "merchant of your visits."
        ),
        "retention_nl": (
            "Tot je je toestemming intrekt of je account opzegt, of tot we het na drie jaar zonder "
            "activiteit anoniem maken. Groepscijfers die over niemand meer gaan, mogen blijven."
        ),
        "retention_en": (
            "Until you withdraw your consent or close your account, or until we anonymise it after three "
            "years without activity. Group figures that are no longer about anyone may stay."
        ),
    },
    {
        "code": "marketing",
        "lawful_basis": "consent",
        "dpv_iri": "https://w3id.org/dpv#DirectMarketing",
        "order": 30,
        "title_nl": "Nieuws en aanbiedingen per e-mail",
        "title_en": "News and offers by e-mail",
        "text_nl": (
            "Met je toestemming stuurt het collectief je nieuws over de binnenstad: aanbiedingen, "
            "evenementen, koopavonden en acties van de ondernemers, hooguit een paar keer per maand. We "
            "gebruiken daarvoor je e-mailadres, je voornaam en je taal, en we kunnen aanbiedingen kiezen "
            "op basis van de ondernemers die je bezoekt. In elk bericht staat een link om je af te melden, "
            "en je kunt je toestemming hier altijd intrekken. Je pas werkt precies hetzelfde als je nee zegt."
        ),
        "text_en": (
            "With your consent the collective sends you news about the town centre: offers, events, "
            "late-night shopping and campaigns of the merchants, no more than a few times a month. For this "
            "we use your e-mail address, your first name and your language, and we may choose offers based "
            "on the merchants you visit. Every message has a link to unsubscribe, and you can withdraw your "
            "consent here at any time. Your pass works exactly the same if you say no."
        ),
        "personal_data_nl": (
            "Je e-mailadres, voornaam en taal, en welke ondernemers je wanneer bezocht (om aanbiedingen te "
            "kiezen die bij je passen)."
        ),
        "personal_data_en": (
            "Your e-mail address, first name and language, and which merchants you visited and when (to "
            "choose offers that suit you)."
        ),
        "retention_nl": (
            "Tot je je toestemming intrekt of je account opzegt, of tot we het na drie jaar zonder "
            "activiteit anoniem maken."
        ),
        "retention_en": (
            "Until you withdraw your consent or close your account, or until we anonymise it after three "
            "years without activity."
        ),
    },
    {
        "code": "share_with_merchants",
        "lawful_basis": "consent",
        "dpv_iri": "https://w3id.org/dpv#CustomerRelationshipManagement",
        "order": 40,
        "title_nl": "Ondernemers die ik bezoek mogen me herkennen",
        "title_en": "Merchants I visit may recognise me",
        "text_nl": (
            "Met je toestemming ziet een ondernemer bij wie je je pas gebruikt je voornaam en je bezoeken "
            "aan die zaak (datum, tijd en punten), zodat die je bij naam kan begroeten en vaste klanten "
            "kan bedanken. Een ondernemer ziet alleen bezoeken aan de eigen zaak, nooit je bezoeken aan "
            "andere ondernemers, je e-mailadres of je achternaam. Je pas werkt precies hetzelfde als je nee "
            "zegt. Je kunt je toestemming altijd intrekken; ondernemers zien je naam dan niet meer."
        ),
        "text_en": (
            "With your consent, a merchant where you use your pass sees your first name and your visits "
            "to their shop (date, time and points), so they can greet you by name and thank regular "
            "customers. A merchant only sees visits to their own shop, never your visits to other "
            "merchants, your e-mail address or your last name. Your pass works exactly the same if you "
            "say no. You can withdraw your consent at any time; merchants then no longer see your name."
        ),
        "personal_data_nl": "Je voornaam, en datum, tijd en punten van je bezoeken aan die ondernemer.",
        "personal_data_en": "Your first name, and the date, time and points of your visits to that merchant.",
        "retention_nl": (
            "Tot je je toestemming intrekt of je account opzegt, of tot we het na drie jaar zonder "
            "activiteit anoniem maken. Na intrekken ziet de ondernemer je naam meteen niet meer."
        ),
        "retention_en": (
            "Until you withdraw your consent or close your account, or until we anonymise it after three "
            "years without activity. Once you withdraw, the merchant no longer sees your name."
        ),
    },
]

# The same hash as PurposeVersion.compute_hash (historical models do not carry model methods).
HASHED_FIELDS = [
    "title_nl",
    "title_en",
    "text_nl",
    "text_en",
    "personal_data_nl",
    "personal_data_en",
    "retention_nl",
    "retention_en",
]


def seed(apps, schema_editor):
    Purpose = apps.get_model("privacy", "Purpose")
    PurposeVersion = apps.get_model("privacy", "PurposeVersion")
    for spec in PURPOSES:
        purpose, _created = Purpose.objects.get_or_create(
            code=spec["code"],
            defaults={"lawful_basis": spec["lawful_basis"], "dpv_iri": spec["dpv_iri"], "order": spec["order"]},
        )
        if PurposeVersion.objects.filter(purpose=purpose).exists():
            continue
        texts = {name: spec[name] for name in HASHED_FIELDS}
        PurposeVersion.objects.create(
            purpose=purpose,
            version=1,
            content_sha256=hashlib.sha256("\x1f".join(texts[name] for name in HASHED_FIELDS).encode()).hexdigest(),
            **texts,
        )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    # Reversing leaves the purposes: once anyone has decided about them they are evidence.
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

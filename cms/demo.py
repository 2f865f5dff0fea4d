"""Demo data for the websites (found by areas.demo's autodiscovery): each demo area's Wagtail site, then its
content — events with the weekly market, offers tied to the pass campaigns, news, practical pages with parking
rates, the pass, contact and feedback pages — in Dutch (informal "je") with English translations, and images drawn
here."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from django.db.models import Q
from wagtail.images.models import Image
from wagtail.models import Collection, Locale, Page, Site

from areas.demo import DemoContext, WipeScope, demo_step, demo_wipe
from areas.demo.shops import SITE_PORT
from areas.demo.towns import TOWNS
from areas.models import ShoppingArea
from loyalty import selectors as loyalty_selectors
from loyalty.selectors import first_and_last_day

from .models import (
    ContactPage,
    DirectoryPage,
    EditorGroup,
    EventCategory,
    EventIndexPage,
    EventPage,
    FeedbackPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    OfferIndexPage,
    OfferPage,
    PassSignupPage,
    PracticalPage,
    SurveyResponse,
)
from .recurrence import Recurrence
from .services import create_area_site

# Per town: the weekly market, late-night shopping, car parks (name, hourly and day rate in cents, spaces), stops,
# toilets. Texts a visitor reads are (Dutch, English) pairs: the English site gets real translations.
CONTENT = {
    "amersfoort": {
        "tagline_en": "Shop, taste and explore within the Muurhuizen",
        "market": (("Weekmarkt op het Hof", "Weekly market on the Hof"), "Hof", 4, dt.time(8), dt.time(16)),  # Friday
        "late_night": (("Koopavond", "Late-night shopping"), 3),  # Thursday
        "garages": [
            ("Parkeergarage Stadhuisplein", 330, 2400, 325),
            ("Parkeergarage Flint", 320, 2200, 410),
            ("P+R Amersfoort Centraal", 100, 600, 600),
        ],
        "stops": [
            ("Amersfoort Centraal", ("trein; bus 1, 2, 3, 4", "train; bus 1, 2, 3, 4"), 10),
            ("Hof / Lieve Vrouwekerkhof", ("bus 2, 4", "bus 2, 4"), 1),
        ],
        "toilets": [
            (
                ("Stadhuis, Stadhuisplein 1", "Town hall, Stadhuisplein 1"),
                ("ma–za 9:00–17:00", "Mon–Sat 9:00–17:00"),
                True,
                0,
            ),
            (("Hof (urinoir)", "Hof (urinal)"), ("altijd", "always"), False, 0),
        ],
    },
    "mechelen": {
        "tagline_en": "Shop and enjoy yourself in the city of the Maneblussers",
        "market": (
            ("Zaterdagmarkt op de Grote Markt", "Saturday market on the Grote Markt"),
            "Grote Markt",
            5,  # Saturday
            dt.time(8),
            dt.time(13),
        ),
        "late_night": (("Shoppen tot 21 uur", "Shopping until 9 pm"), 4),  # Friday
        "garages": [
            ("Parking Grote Markt", 280, 1800, 230),
            ("Parking Kathedraal", 260, 1700, 440),
            ("Randparking Douaneplein", 0, 0, 300),
        ],
        "stops": [
            ("Station Mechelen", ("trein; De Lijn 1, 4, 500", "train; De Lijn 1, 4, 500"), 15),
            ("Grote Markt", ("De Lijn 1, 4, 5", "De Lijn 1, 4, 5"), 0),
        ],
        "toilets": [
            (
                ("Stadhuis, Grote Markt 21", "Town hall, Grote Markt 21"),
                ("ma–za 9:00–18:00", "Mon–Sat 9:00–18:00"),
                True,
                50,
            ),
            (("Vleeshuis", "Vleeshuis"), ("za 10:00–17:00", "Sat 10:00–17:00"), True, 50),
        ],
    },
}
NL, EN = 0, 1


@demo_step(order=15, name="cms.sites")
def create_sites(ctx: DemoContext) -> None:
    """A site per demo area with its Dutch and English home page (Amersfoort is the default site)."""
    for town in TOWNS:
        create_area_site(
            area=ctx.areas[town.slug],
            hostname=town.hostname,
            port=SITE_PORT,
            is_default=town.is_default_site,
            intro=town.tagline,
        )


@demo_step(order=400, name="cms.content")
def create_content(ctx: DemoContext) -> None:
    """The pages of each demo site, published, in Dutch (informal "je", as the rest of the site) and translated
    into English: home, sections, events, offers and news."""
    english = Locale.objects.get(language_code="en")
    for town in TOWNS:
        area = ctx.areas[town.slug]
        home = HomePage.objects.get(pk=Site.objects.get(pk=area.site_id).root_page_id)
        data = CONTENT[town.slug]
        banner = _banner(area, ctx)
        home.shop_text = "Bestel bij de zelfstandige winkels van de binnenstad, in één winkelmandje."
        home.parcel_point_text = f"Pakketten van alle vervoerders ophalen in het centrum ({town.city})."
        home.save_revision().publish()
        # (Dutch page, its English fields): the English tree is made once the Dutch one is complete.
        sections = [
            (
                _publish(
                    home, EventIndexPage(title="Agenda", slug="agenda", intro="Markten, festivals en koopavonden.")
                ),
                {"title": "Events", "intro": "Markets, festivals and late-night shopping."},
            ),
            (
                _publish(home, OfferIndexPage(title="Aanbiedingen", slug="aanbiedingen", intro="Nu in de binnenstad.")),
                {"title": "Offers", "intro": "In the town centre now."},
            ),
            (_publish(home, NewsIndexPage(title="Nieuws", slug="nieuws")), {"title": "News"}),
            (
                _publish(home, DirectoryPage(title="Winkels", slug="winkels", intro="Alle winkels en horeca.")),
                {"title": "Shops", "intro": "Every shop, café and restaurant."},
            ),
            (
                _publish(
                    home,
                    PracticalPage(title="Bereikbaarheid", slug="bereikbaarheid", body=_practical(data, banner, NL)),
                ),
                {"title": "Getting here", "body": _practical(data, banner, EN)},
            ),
            (
                _publish(
                    home,
                    PassSignupPage(
                        title=area.pass_name,
                        slug="stadspas",
                        intro="Spaar punten bij elke deelnemende winkel en besteed ze in de stad.",
                        button_label="Meld je gratis aan",
                    ),
                ),
                {
                    "intro": "Collect points at every participating shop and spend them in town.",
                    "button_label": "Join for free",
                },
            ),
            (_publish(home, ContactPage(title="Contact", slug="contact", email=area.privacy_email)), {}),
            (
                _publish(home, FeedbackPage(title="Hoe was je bezoek?", slug="enquete", thank_you="Dank je wel!")),
                {"title": "How was your visit?", "thank_you": "Thank you!"},
            ),
        ]
        events, offers, news = (page for page, _english in sections[:3])
        article = _publish(
            news,
            NewsPage(
                title="Nieuwe fietsenstalling bij de markt",
                slug="fietsenstalling",
                date=ctx.today - dt.timedelta(days=6),
                intro="Gratis en bewaakt, zes dagen per week.",
                body=[("paragraph", "<p>Vanaf deze maand staat je fiets gratis en droog vlak bij de markt.</p>")],
            ),
        )
        home_en = {
            "intro": data["tagline_en"],
            "shop_text": "Order from the town centre's independent shops, in one basket.",
            "parcel_point_text": f"Pick up parcels from every carrier in the centre ({town.city}).",
        }
        article_en = {
            "title": "New bicycle parking by the market",
            "intro": "Free and guarded, six days a week.",
            "body": [
                ("paragraph", "<p>From this month you can park your bike for free, dry, right by the market.</p>")
            ],
        }
        pages = [
            (home, home_en),
            *sections,
            *_events(events, data, ctx.today),
            *_offers(offers, area, ctx),
            (article, article_en),
        ]
        for page, fields in pages:
            if fields is not None:
                _translate(page, english, **fields)
        _survey_answers(area, ctx)
        ctx.count("cms pages", Page.objects.descendant_of(home).count())


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _translate(page, english, **fields) -> None:
    """Publish the page's English translation (made with its parents when missing) with these English fields;
    the rest, slugs included, stays as in Dutch."""
    translation = page.get_translations().filter(locale=english).first()
    if translation is None:
        translation = page.copy_for_translation(english, copy_parents=True)
    translation = translation.specific
    for name, value in fields.items():
        setattr(translation, name, value)
    translation.save_revision().publish()


def _practical(data: dict, banner: Image, language: int) -> list:
    def text(dutch: str, english: str) -> str:
        return (dutch, english)[language]

    return [
        (
            "image",
            {
                "image": banner,
                "alt_text": text(
                    "Het logo van de binnenstad in de kleuren van de stad",
                    "The town centre's logo in the town's colours",
                ),
                "caption": "",
            },
        ),
        (
            "parking",
            {
                "heading": text("Parkeren", "Parking"),
                "text": text(
                    "<p>Tip: met de stadspas krijg je bij deelnemende winkels een uur parkeren terug.</p>",
                    "<p>Tip: with the city pass, participating shops give you an hour's parking back.</p>",
                ),
                "garages": [
                    {
                        "name": n,
                        "address": "",
                        "hourly_rate_cents": h,
                        "day_rate_cents": d,
                        "spaces": s,
                        "opening": "24/7",
                    }
                    for n, h, d, s in data["garages"]
                ],
            },
        ),
        (
            "public_transport",
            {
                "heading": text("Openbaar vervoer", "Public transport"),
                "text": "",
                "stops": [{"name": n, "lines": lines[language], "walking_minutes": m} for n, lines, m in data["stops"]],
            },
        ),
        (
            "toilets",
            {
                "heading": text("Toiletten", "Toilets"),
                "toilets": [
                    {"name": n[language], "opening": o[language], "is_accessible": a, "fee_cents": f}
                    for n, o, a, f in data["toilets"]
                ],
            },
        ),
        (
            "accessibility",
            {
                "heading": text("Toegankelijkheid", "Accessibility"),
                "text": "",
                "features": [
                    text("Invalidenparkeerplaatsen in elke garage", "Disabled parking spaces in every car park"),
                    text("Vlakke looproutes door het centrum", "Level walking routes through the centre"),
                ],
            },
        ),
    ]


def _events(index, data: dict, today: dt.date) -> list[tuple[EventPage, dict]]:
    """The events, published, each with its English fields."""
    title, place, weekday, start, end = data["market"]
    first = today - dt.timedelta(days=(today.weekday() - weekday) % 7 + 7 * 26)
    market = _publish(
        index,
        EventPage(
            title=title[NL],
            slug="weekmarkt",
            category=EventCategory.MARKET,
            intro="Groente, fruit, kaas, vis en bloemen.",
            starts_on=first,
            start_time=start,
            end_time=end,
            place=place,
            recurrence=Recurrence.WEEKLY,
            repeat_until=today + dt.timedelta(days=365),
        ),
    )
    made = [(market, {"title": title[EN], "intro": "Vegetables, fruit, cheese, fish and flowers."})]
    late_title, late_weekday = data["late_night"]
    late_night = _publish(
        index,
        EventPage(
            title=late_title[NL],
            slug="koopavond",
            category=EventCategory.LATE_NIGHT,
            starts_on=today - dt.timedelta(days=(today.weekday() - late_weekday) % 7),
            start_time=dt.time(18),
            end_time=dt.time(21),
            place="Binnenstad",
            recurrence=Recurrence.WEEKLY,
            repeat_until=today + dt.timedelta(days=180),
        ),
    )
    made.append((late_night, {"title": late_title[EN], "place": "Town centre"}))
    for offset, name, category, slug in (
        (12, ("Zomerfestival", "Summer festival"), EventCategory.FESTIVAL, "zomerfestival"),
        (20, ("Stadsloop", "City run"), EventCategory.SPORT, "stadsloop"),
        (-10, ("Herbestrating winkelstraat", "Shopping street repaved"), EventCategory.STREET_WORKS, "herbestrating"),
    ):
        event = _publish(
            index,
            EventPage(
                title=name[NL],
                slug=slug,
                category=category,
                starts_on=today + dt.timedelta(days=offset),
                ends_on=today + dt.timedelta(days=offset + (1 if category == EventCategory.FESTIVAL else 0)),
                start_time=dt.time(10),
                end_time=dt.time(18),
                place="Centrum",
            ),
        )
        made.append((event, {"title": name[EN], "place": "Centre"}))
    return made


def _offers(index, area, ctx: DemoContext) -> list[tuple[OfferPage, dict | None]]:
    """The offers, published, each with its English fields (None: not translated)."""
    start, end = (
        ctx.at(area, ctx.today - dt.timedelta(days=60), 12),
        ctx.at(area, ctx.today + dt.timedelta(days=60), 12),
    )
    made = []
    for campaign in loyalty_selectors.campaigns_between(area, start, end):
        if campaign.segment or not campaign.is_active:
            continue
        # The page's days are whole days: a campaign ending at midnight has its last day the day before.
        first_day, last_day = first_and_last_day(campaign, area.tz)
        offer = _publish(
            index,
            OfferPage(
                title=campaign.name,
                slug=f"campagne-{campaign.pk}",
                intro=campaign.description[:250],
                valid_from=first_day,
                valid_until=last_day,
                campaign_id=campaign.pk,
            ),
        )
        english = {"title": campaign.name_en, "intro": campaign.description_en[:250]}
        made.append((offer, english if campaign.name_en else None))
    coffee = _publish(
        index,
        OfferPage(
            title="Gratis koffie bij de markt",
            slug="koffie",
            intro="Laat je stadspas zien bij de koffiekar.",
            valid_from=ctx.today - dt.timedelta(days=3),
            valid_until=ctx.today + dt.timedelta(days=25),
        ),
    )
    made.append((coffee, {"title": "Free coffee at the market", "intro": "Show your city pass at the coffee cart."}))
    return made


def _banner(area, ctx: DemoContext) -> Image:
    """A 1200×500 banner in the area's colours with simple shapes, drawn with Pillow (never downloaded)."""
    from PIL import Image as PILImage
    from PIL import ImageDraw

    rng = ctx.rng(f"cms.banner.{area.slug}")
    canvas = PILImage.new("RGB", (1200, 500), area.primary_colour)
    draw = ImageDraw.Draw(canvas)
    for _n in range(14):
        x, y, r = rng.randint(0, 1200), rng.randint(0, 500), rng.randint(30, 140)
        draw.ellipse((x - r, y - r, x + r, y + r), outline=area.accent_colour, width=10)
    draw.rectangle((0, 420, 1200, 500), fill=area.accent_colour)
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    collection = Collection.get_first_root_node().get_children().filter(name=area.name).first()
    image = Image(title=f"{area.name} banner", collection=collection or Collection.get_first_root_node())
    image.file = ImageFile(buffer, name=f"{area.slug}-banner.png")
    image.save()
    return image


def _survey_answers(area, ctx: DemoContext) -> None:
    rng = ctx.rng(f"cms.survey.{area.slug}")
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            area=area,
            rating=rng.choice([3, 4, 4, 4, 5, 5]),
            cleanliness=rng.choice([2, 3, 4, 4, 5]),
            atmosphere=rng.choice([3, 4, 5, 5]),
            offer=rng.choice([3, 3, 4, 5]),
            accessibility=rng.choice([None, 3, 4, 4]),
            visit_date=ctx.today - dt.timedelta(days=rng.randint(0, 60)),
        )
        for _n in range(60)
    )


@demo_wipe(order=400, name="cms.sites")
def wipe_sites(scope: WipeScope) -> None:
    # The banners drawn for the demo, and anything else in the demo areas' collections: the rows here, their
    # files and renditions by Wagtail's post_delete handlers once the wipe commits.
    names = list(ShoppingArea.objects.filter(pk__in=scope.area_ids).values_list("name", flat=True))
    root = Collection.get_first_root_node()
    collections = root.get_children().filter(name__in=names) if root else Collection.objects.none()
    banners = Q(collection__in=collections) | Q(title__in=[f"{name} banner" for name in names])
    for image in Image.objects.filter(banners):
        image.delete()
    for collection in collections:
        collection.delete()
    SurveyResponse.objects.filter(area_id__in=scope.area_ids).delete()
    groups = EditorGroup.objects.filter(area_id__in=scope.area_ids).values_list("group_id", flat=True)
    Group.objects.filter(pk__in=list(groups)).delete()
    root_pages = Site.objects.filter(shopping_area__in=scope.area_ids).values_list("root_page_id", flat=True)
    for page in Page.objects.filter(pk__in=list(root_pages)):
        for translation in page.get_translations(inclusive=True):
            translation.delete()  # the page tree; its Site goes with it

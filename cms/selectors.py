"""Reads of the area websites: the event calendar (also for analytics), offers, the merchant directory, search,
and the feedback survey's summary with small-group suppression."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Avg, Count, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Page

from areas import selectors as area_selectors
from areas.models import Merchant, MerchantStatus, ShoppingArea, Weekday
from areas.sectors import Sector
from loyalty import selectors as loyalty_selectors
from shop import selectors as shop_selectors

from .models import (
    ContactPage,
    DirectoryPage,
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

#: Never publish a survey figure resting on fewer answers than this, whatever the area says (ARCHITECTURE §6).
MIN_SUPPRESSION_K = 10
#: How many of a merchant's web-shop products their page shows (newest first; the shop lists them all).
MERCHANT_PAGE_PRODUCTS = 8


def area_of_page(page: Page) -> ShoppingArea | None:
    """The area whose site holds the page (in any language): its home page shares a translation key with the
    site's root page. One query."""
    home_path = page.path[: Page.steplen * 2]
    home_key = Page.objects.filter(path=home_path).values("translation_key")[:1]
    return ShoppingArea.objects.filter(site__root_page__translation_key=Subquery(home_key)).first()


def in_language_of(index: Page, pages):
    """`pages` (a queryset of item pages: events, offers, news) below `index`, in its language. Below a translation
    also the main language's pages below the index's original that have no live translation yet, as Wagtail's
    `Page.localized` falls back to the page itself: a visitor of /en/ sees the Dutch event rather than nothing
    (its link leads to the Dutch page). No query of its own: two subqueries."""
    default_language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    original = (
        Page.objects.filter(translation_key=index.translation_key, locale__language_code=default_language)
        .exclude(pk=index.pk)
        .values("path")[:1]
    )
    translated = Page.objects.filter(path__startswith=index.path, locale_id=index.locale_id).live()
    return pages.filter(
        Q(path__startswith=index.path, depth__gt=index.depth)
        | (
            Q(path__startswith=Subquery(original), depth__gt=index.depth)
            & ~Q(translation_key__in=translated.values("translation_key"))
        )
    )


# --- The language switch -----------------------------------------------------------------------------------


def language_versions(page: Page, request) -> dict:
    """The page's live translations (`translations`, for the alternate links) and where the language switch leads
    from it (`language_switch`: [(language, path)] for each other language): to its live translation (with the
    route and query below it: a merchant of the directory, a search), else to the live translation of its nearest
    ancestor that has one (the section's overview, the home page), else to the language's home. Never to a path
    that does not exist in that language, as "the same path under /en/" would be. One query."""
    current = get_language()
    others = [code for code, _name in settings.LANGUAGES if code != current]
    steps = range(2, page.depth + 1)  # the area's home (depth 2) down to the page itself
    lineage = Page.objects.filter(path__in=[page.path[: Page.steplen * depth] for depth in steps])
    rows = list(
        Page.objects.live()
        .filter(translation_key__in=lineage.values("translation_key"))
        .select_related("locale")
        .order_by("-depth", "pk")
    )
    translations = [row for row in rows if row.translation_key == page.translation_key and row.pk != page.pk]
    found: dict[str, Page] = {}
    for row in rows:
        if row.locale.language_code in others:
            found.setdefault(row.locale.language_code, row)
    own_url = page.get_url(request) or ""
    below = request.path[len(own_url) :] if own_url and request.path.startswith(own_url) else ""
    query = request.META.get("QUERY_STRING", "")
    switch = []
    for code in others:
        target = found.get(code)
        url = target.get_url(request) if target is not None else None
        if not url:
            switch.append((code, f"/{code}/"))
        elif target.translation_key == page.translation_key:
            switch.append((code, f"{url}{below}" + (f"?{query}" if query else "")))
        else:
            switch.append((code, url))
    return {"translations": translations, "language_switch": switch}


# --- Events -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event: what analytics' intervention calendar reads. `id` is stable per occurrence
    ("<page id>:<start in UTC>"); times are aware."""

    id: str
    page_id: int
    title: str
    category: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    place: str
    page: EventPage | None = field(default=None, compare=False, repr=False)

    @property
    def category_label(self) -> str:
        return EventCategory(self.category).label

    @property
    def is_multi_day(self) -> bool:
        """Ends on a later day than it starts (a festival weekend), on the area's wall clock."""
        return self.ends_at.date() > self.starts_at.date()


def _occurrences(events, *, tz, start: dt.datetime, end: dt.datetime, category: str | None = None) -> list[Occurrence]:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValueError("start and end must be aware datetimes")
    events = events.live().public().filter(starts_on__lte=end.astimezone(tz).date())
    events = events.filter(
        Q(repeat_until__isnull=True) | Q(repeat_until__gte=start.astimezone(tz).date() - dt.timedelta(days=31))
    )
    if category:
        events = events.filter(category=category)
    found = []
    for event in events:
        for starts_at, ends_at in event.occurrences(start, end, tz=tz):
            found.append(
                Occurrence(
                    id=f"{event.pk}:{starts_at.astimezone(dt.UTC):%Y%m%dT%H%MZ}",
                    page_id=event.pk,
                    title=event.title,
                    category=event.category,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    place=event.place,
                    page=event,
                )
            )
    found.sort(key=lambda occurrence: (occurrence.starts_at, occurrence.page_id))
    return found


def list_events(*, area: ShoppingArea, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
    """The area's event occurrences overlapping [start, end), soonest first: the intervention calendar analytics
    reads. Published, public pages of the area's site only, in its main language (so nothing counts twice);
    recurrences are expanded on the area's wall clock. Two queries."""
    if area.site_id is None:
        return []
    root = Page.objects.filter(sites_rooted_here__id=area.site_id).first()
    if root is None:
        return []
    return _occurrences(EventPage.objects.descendant_of(root), tz=area.tz, start=start, end=end)


def upcoming_occurrences(index: Page, *, days: int, category: str | None = None, now=None) -> list[Occurrence]:
    """The occurrences of the events below `index` (a home or events page) in the next days, in its language or
    else the main one (`in_language_of`)."""
    now = now or timezone.now()
    area = index.specific.area if hasattr(index.specific, "area") else area_of_page(index)
    if area is None:
        return []
    return _occurrences(
        in_language_of(index, EventPage.objects.all()),
        tz=area.tz,
        start=now,
        end=now + dt.timedelta(days=days),
        category=category,
    )


# --- Offers, news, the home page ----------------------------------------------------------------------------


def current_offers(index: Page, *, today: dt.date):
    """The published offers below `index` valid on `today` (the area's date), ending soonest first; in the index's
    language or else the main one (`in_language_of`). `valid_until` is the offer's last day, inclusive."""
    return (
        in_language_of(index, OfferPage.objects.all())
        .live()
        .public()
        .filter(valid_from__lte=today, valid_until__gte=today)
        .order_by("valid_until", "pk")
    )


def latest_news(index: Page, *, limit: int) -> list[NewsPage]:
    """The newest published articles below `index` (a home or news page), in its language or else the main one."""
    return list(in_language_of(index, NewsPage.objects.all()).live().public().order_by("-date", "-pk")[:limit])


#: Wide enough for any campaign: `campaigns_between` over these finds an area's campaign by its id.
_ALL_TIME = (dt.datetime(2000, 1, 1, tzinfo=dt.UTC), dt.datetime(2200, 1, 1, tzinfo=dt.UTC))


def _is_public(campaign) -> bool:
    # A campaign for a segment is a personal offer, shown only in the member's app; a cancelled one is no offer.
    return campaign.is_active and not campaign.segment


def _offer_period(offer: OfferPage, tz) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(offer.valid_from, dt.time.min, tzinfo=tz)
    return start, dt.datetime.combine(offer.valid_until + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def campaign_for_offer(offer: OfferPage):
    """The loyalty campaign an offer page presents, if it is one of the page's area's campaigns for every member
    (not a segment's, not cancelled) and runs while the offer is valid; else None. Read through loyalty.selectors
    (the website never writes loyalty's tables)."""
    if not offer.campaign_id or offer.area is None:
        return None
    start, end = _offer_period(offer, offer.area.tz)
    campaign = loyalty_selectors.campaigns_between(offer.area, start, end).filter(pk=offer.campaign_id).first()
    return campaign if campaign is not None and _is_public(campaign) else None


def _campaign_label(campaign, tz) -> str:
    first, last = loyalty_selectors.first_and_last_day(campaign, tz)
    return f"{campaign.name} ({date_format(first, 'j F Y')} – {date_format(last, 'j F Y')})"


def offer_campaign_choices(area: ShoppingArea, *, now: dt.datetime, keep: int | None = None) -> list[tuple[int, str]]:
    """What an offer page may present: the area's campaigns for every member that have not ended, soonest first,
    named with their first and last day; `keep` (the page's current campaign) stays in the list when it is still
    one of the area's public ones. Two queries."""
    wanted = Q(ends_at__gt=now) | Q(pk=keep) if keep else Q(ends_at__gt=now)
    campaigns = loyalty_selectors.campaigns_between(area, *_ALL_TIME).filter(wanted)
    return [(campaign.pk, _campaign_label(campaign, area.tz)) for campaign in campaigns if _is_public(campaign)]


def offer_campaign_errors(offer: OfferPage) -> list[str]:
    """Why the offer page cannot present its campaign (none: it can): it must be one of its area's campaigns for
    every member, not cancelled, running while the offer is valid."""
    if not offer.campaign_id:
        return []
    area = offer.area
    campaign = (
        loyalty_selectors.campaigns_between(area, *_ALL_TIME).filter(pk=offer.campaign_id).first() if area else None
    )
    if campaign is None:
        return [_("This is not one of this area's pass campaigns.")]
    if campaign.segment:
        return [
            _(
                "This campaign is a personal offer for a group of members, shown only in their app: choose a "
                "campaign for every member."
            )
        ]
    if not campaign.is_active:
        return [_("This campaign was cancelled.")]
    if offer.valid_from and offer.valid_until:
        start, end = _offer_period(offer, area.tz)
        if not (campaign.starts_at < end and campaign.ends_at > start):
            first, last = loyalty_selectors.first_and_last_day(campaign, area.tz)
            return [
                _("This campaign runs from %(first)s to %(last)s, not while the offer is valid.")
                % {"first": date_format(first, "j F Y"), "last": date_format(last, "j F Y")}
            ]
    return []


def public_campaigns_for(merchant: Merchant, *, now: dt.datetime) -> list:
    """The pass campaigns running now that apply to this merchant and are for every member (campaigns for a
    segment are personal offers, shown only in the member's app)."""
    running = loyalty_selectors.campaigns_between(merchant.area, now, now + dt.timedelta(seconds=1))
    found = []
    for campaign in running:
        if not campaign.is_active or campaign.segment:
            continue
        merchant_ids = {m.pk for m in campaign.merchants.all()}
        everyone = not merchant_ids and not campaign.sectors
        if everyone or merchant.pk in merchant_ids or merchant.sector in (campaign.sectors or []):
            found.append(campaign)
    return found


def home_overview(home: HomePage, *, now: dt.datetime) -> dict:
    """What the home page shows: this week's events, current offers, the latest news and the site's sections."""
    area = home.area
    # Plain Page rows (links and titles are all the page shows): one query, not one per page type.
    children = list(home.get_children().live().public())
    section = {}
    for page in reversed(children):  # the first of each type wins
        section[page.content_type_id] = page

    def first(model):
        return section.get(ContentType.objects.get_for_model(model).pk)  # content types are cached

    today = now.astimezone(area.tz).date() if area else now.date()
    practical_type = ContentType.objects.get_for_model(PracticalPage).pk
    return {
        "events": upcoming_occurrences(home, days=7, now=now)[:6] if area else [],
        "offers": list(current_offers(home, today=today)[:4]),
        "news": latest_news(home, limit=3),
        "event_index": first(EventIndexPage),
        "offer_index": first(OfferIndexPage),
        "news_index": first(NewsIndexPage),
        "directory": first(DirectoryPage),
        "pass_page": first(PassSignupPage),
        "contact_page": first(ContactPage),
        "feedback_page": first(FeedbackPage),
        "practical_pages": [page for page in children if page.content_type_id == practical_type],
    }


# --- The merchant directory ---------------------------------------------------------------------------------


def directory(area: ShoppingArea, *, sector: str = "", open_now: bool = False, now=None) -> dict:
    """The directory's list: the area's active merchants, by sector and/or open now (the area's wall clock,
    exceptions included), and the sectors to choose from. Four queries."""
    now = now or timezone.now()
    if sector not in Sector.values:
        sector = ""
    merchants = area_selectors.list_merchants(area, sector=sector or None, open_at=now if open_now else None)
    present = set(area_selectors.list_merchant_sectors(area))
    return {
        "merchants": merchants,
        "sector": sector,
        "open_now": open_now,
        "sectors": [(value, label) for value, label in Sector.choices if value in present],
    }


def merchant_page_url(merchant: Merchant) -> str | None:
    """The full address of the merchant's page in its area's directory, in the active language where the directory
    has a live translation; None for a merchant the directory does not list, or without a live directory. Three
    queries."""
    if merchant.status != MerchantStatus.ACTIVE or not merchant.area.site_id:
        return None
    root = Page.objects.filter(sites_rooted_here__id=merchant.area.site_id).first()
    directory = DirectoryPage.objects.child_of(root).live().first() if root else None
    if directory is None:
        return None
    base = directory.localized.get_full_url()
    return f"{base}{merchant.slug}/" if base else None


def merchant_profile(area: ShoppingArea, *, slug: str, now: dt.datetime) -> dict | None:
    """A merchant's public page: address, this week's hours, today's (exceptions included), upcoming exceptions,
    current offers (campaign, last day) and the newest products of their web shop (none when they do not sell
    online). None when no active merchant of the area has this slug."""
    merchant = area_selectors.get_listed_merchant(area, slug=slug)
    if merchant is None:
        return None
    hours = area_selectors.weekly_hours(merchant)
    local = now.astimezone(area.tz)
    today = area_selectors.opening_hours_on(merchant, local.date())
    # Each with its last day, as its offer page and the campaign list say it (the stored end is the next midnight).
    campaigns = [
        (campaign, loyalty_selectors.first_and_last_day(campaign, area.tz)[1])
        for campaign in public_campaigns_for(merchant, now=now)
    ]
    return {
        "merchant": merchant,
        "products": shop_selectors.products_of_merchant(merchant, limit=MERCHANT_PAGE_PRODUCTS),
        "week": [(day.label, hours[day]) for day in Weekday],
        "today": today,
        "is_open_now": today.is_open_at(local.time()),
        "exceptions": area_selectors.upcoming_exceptions(merchant, days=30),
        "campaigns": campaigns,
    }


# --- Search -------------------------------------------------------------------------------------------------


SEARCH_PAGES = 20


def search_site(*, home: Page, query: str) -> dict:
    """Pages of this site (in the home page's language), the area's merchants and the products of its web shop
    matching `query` (the shop's own search: full text on PostgreSQL). Offers that have ended are left out (one more
    query when offers are found).

    Below a translation (/en/) also the main language's matching pages that have no live translation yet, after
    the translated ones, as the event, offer and news lists show them (`in_language_of`): `fallback_language` names
    their language and `fallback_ids` which they are. Three more queries there."""
    pages = list(Page.objects.live().public().descendant_of(home, inclusive=True).search(query)[:SEARCH_PAGES])
    fallback_ids: set[int] = set()
    default_language = get_supported_content_language_variant(settings.LANGUAGE_CODE)
    original = None
    # (Pages are served in their own language, so a search in the main language needs no fallback query.)
    if len(pages) < SEARCH_PAGES and get_supported_content_language_variant(get_language()) != default_language:
        original = (
            Page.objects.filter(translation_key=home.translation_key, locale__language_code=default_language)
            .exclude(pk=home.pk)
            .first()
        )
    if original is not None:
        found = list(Page.objects.live().public().descendant_of(original, inclusive=True).search(query)[:SEARCH_PAGES])
        translated = set(
            Page.objects.live()
            .descendant_of(home, inclusive=True)
            .filter(translation_key__in=[page.translation_key for page in found])
            .values_list("translation_key", flat=True)
        )
        fallbacks = [page for page in found if page.translation_key not in translated]
        fallbacks = fallbacks[: SEARCH_PAGES - len(pages)]
        pages += fallbacks
        fallback_ids = {page.pk for page in fallbacks}
    area = area_of_page(home)
    # Offers whose last day has passed stay readable at their address, but are no longer found (nor listed).
    today = timezone.now().astimezone(area.tz).date() if area else timezone.localdate()
    offer_type = ContentType.objects.get_for_model(OfferPage).pk  # content types are cached
    offers = [page.pk for page in pages if page.content_type_id == offer_type]
    if offers:
        ended = set(OfferPage.objects.filter(pk__in=offers, valid_until__lt=today).values_list("pk", flat=True))
        pages = [page for page in pages if page.pk not in ended]
    merchants = area_selectors.search_merchants(area, query=query)[:20] if area else []
    products = shop_selectors.search_products(area, query, limit=12) if area else []
    directory_page = DirectoryPage.objects.child_of(home).live().first()
    return {
        "pages": pages,
        "fallback_ids": fallback_ids,
        "fallback_language": default_language,
        "merchants": list(merchants),
        "products": products,
        "directory": directory_page,
    }


# --- The feedback survey ------------------------------------------------------------------------------------

SURVEY_QUESTIONS = ("rating", "cleanliness", "atmosphere", "offer", "accessibility")


@dataclass(frozen=True)
class Figure:
    """An average rating, or None with the reason when it rests on too few answers."""

    average: float | None
    responses: int | None
    suppressed_reason: str = ""


def survey_summary(*, area: ShoppingArea, start: dt.date, end: dt.date) -> dict:
    """Average ratings per question for visits in [start, end] (the area's dates). Each figure resting on fewer
    than K answers (K = the area's suppression_k, never below 10) is None with the reason: a handful of answers
    could identify who gave them. One query."""
    k = max(area.suppression_k, MIN_SUPPRESSION_K)
    aggregates = {}
    for question in SURVEY_QUESTIONS:
        aggregates[f"{question}_avg"] = Avg(question)
        aggregates[f"{question}_n"] = Count(question)
    row = SurveyResponse.objects.filter(area=area, visit_date__range=(start, end)).aggregate(**aggregates)
    figures = {}
    for question in SURVEY_QUESTIONS:
        n = row[f"{question}_n"]
        if n < k:
            reason = str(_("Fewer than %(k)s answers: not shown, to protect who answered.") % {"k": k})
            figures[question] = Figure(None, None, reason)
        else:
            figures[question] = Figure(round(float(row[f"{question}_avg"]), 2), n)
    return {"k": k, "start": start, "end": end, "figures": figures}


def survey_results(*, area: ShoppingArea, start: dt.date, end: dt.date) -> dict:
    """`survey_summary` with a row per question (its label and figure), in the survey's order. One query."""
    summary = survey_summary(area=area, start=start, end=end)
    labels = {question: SurveyResponse._meta.get_field(question).verbose_name for question in SURVEY_QUESTIONS}
    summary["rows"] = [(labels[question], summary["figures"][question]) for question in SURVEY_QUESTIONS]
    return summary


def survey_qr_svg(url: str) -> str:
    """The survey's address as a printable QR code (drawn on the server, no third-party request)."""
    from loyalty.codes import qr_svg

    return qr_svg(url)

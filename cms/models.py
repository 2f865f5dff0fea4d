"""The page types of an area's website and the survey responses it collects.

Tree (explicit parent/subpage types, as bakerydemo): HomePage → EventIndexPage → EventPage, OfferIndexPage →
OfferPage, NewsIndexPage → NewsPage, DirectoryPage (merchants from `areas`, no double entry), PracticalPage,
PassSignupPage, ContactPage, FeedbackPage. Pages read through `cms.selectors`; they never write.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import BodyBlock, PracticalBlock
from .recurrence import Recurrence
from .recurrence import occurrences as expand

RATING_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class AreaPage(Page):
    """Common ground of the area's pages: the area they belong to, and translations in the sitemap."""

    class Meta:
        abstract = True

    @cached_property
    def area(self):
        from .selectors import area_of_page

        return area_of_page(self)

    def get_sitemap_urls(self, request=None):
        # The site's tree is Dutch; each page lists its live translations too (language-aware URLs).
        urls = super().get_sitemap_urls(request)
        for translation in self.get_translations().live().public():
            urls.extend(Page.get_sitemap_urls(translation, request))
        return urls

    def get_context(self, request, *args, **kwargs):
        from .selectors import language_versions

        context = super().get_context(request, *args, **kwargs)
        context.update(language_versions(self, request))  # translations (alternate links), the language switch
        return context


class HomePage(RoutablePageMixin, AreaPage):
    """The root page of an area's site: what is on now, the pass, the shop, the parcel point, practical info."""

    intro = models.CharField(_("introduction"), max_length=250, blank=True)
    body = RichTextField(_("body"), blank=True)
    shop_text = models.CharField(
        _("about the web shop"), max_length=250, blank=True, help_text=_("Shown in the web shop's box.")
    )
    parcel_point_text = models.CharField(
        _("about the parcel point"), max_length=250, blank=True, help_text=_("Where it is and when it is open.")
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("body"),
        FieldPanel("shop_text"),
        FieldPanel("parcel_point_text"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "cms.EventIndexPage",
        "cms.OfferIndexPage",
        "cms.NewsIndexPage",
        "cms.DirectoryPage",
        "cms.PracticalPage",
        "cms.PassSignupPage",
        "cms.ContactPage",
        "cms.FeedbackPage",
    ]
    max_count_per_parent = None

    class Meta:
        verbose_name = _("home page")

    @path("")
    def index_route(self, request, *args, **kwargs):
        # The overview is read here, not in get_context(), so that the search route does not read it too.
        from .selectors import home_overview

        return self.render(request, context_overrides=home_overview(self, now=timezone.now()))

    @path("search/", name="search")
    def search(self, request):
        from .selectors import search_site

        query = request.GET.get("q", "").strip()[:100]
        results = search_site(home=self, query=query) if query else None
        return self.render(
            request,
            template="cms/search.html",
            context_overrides={"query": query, "results": results},
        )


class EventCategory(models.TextChoices):
    MARKET = "market", _("Market")
    FESTIVAL = "festival", _("Festival")
    SPORT = "sport", _("Sport")
    LATE_NIGHT = "late_night", _("Late-night shopping")
    STREET_WORKS = "street_works", _("Street works")
    OTHER = "other", _("Other")


class EventIndexPage(AreaPage):
    intro = models.CharField(_("introduction"), max_length=250, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.EventPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("events overview")

    def get_context(self, request, *args, **kwargs):
        from .selectors import upcoming_occurrences

        context = super().get_context(request, *args, **kwargs)
        category = request.GET.get("category", "")
        if category not in EventCategory.values:
            category = ""
        context["categories"] = EventCategory.choices
        context["category"] = category
        context["occurrences"] = upcoming_occurrences(self, days=60, category=category or None)
        return context


class EventPage(AreaPage):
    """A market, festival, sport event, late-night shopping or street works; optionally weekly or monthly.

    Dates and times are the area's wall clock. Events are the intervention calendar analytics reads
    (`cms.selectors.list_events`).
    """

    intro = models.CharField(_("summary"), max_length=250, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=EventCategory.choices)
    starts_on = models.DateField(_("date"))
    start_time = models.TimeField(_("starts at"))
    ends_on = models.DateField(_("last day"), null=True, blank=True, help_text=_("Only for events over several days."))
    end_time = models.TimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200)
    recurrence = models.CharField(_("repeats"), max_length=10, choices=Recurrence.choices, default=Recurrence.NONE)
    repeat_until = models.DateField(_("repeats until"), null=True, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("category"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("starts_on"), FieldPanel("start_time")]),
                FieldRowPanel([FieldPanel("ends_on"), FieldPanel("end_time")]),
                FieldRowPanel([FieldPanel("recurrence"), FieldPanel("repeat_until")]),
            ],
            heading=_("When"),
        ),
        FieldPanel("place"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("place")]
    parent_page_types = ["cms.EventIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = pgettext_lazy("calendar", "event")

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("The last day cannot be before the first.")
        same_day = not self.ends_on or self.ends_on == self.starts_on
        if same_day and self.start_time and self.end_time and self.end_time <= self.start_time:
            errors["end_time"] = _("The event must end after it starts.")
        if self.recurrence != Recurrence.NONE and not self.repeat_until:
            errors["repeat_until"] = _("Say until when the event repeats.")
        if self.repeat_until and self.starts_on and self.repeat_until < self.starts_on:
            errors["repeat_until"] = _("The repetition cannot end before the first date.")
        if errors:
            raise ValidationError(errors)

    def occurrences(self, start: dt.datetime, end: dt.datetime, *, tz=None) -> list[tuple[dt.datetime, dt.datetime]]:
        """The (starts_at, ends_at) of this event's occurrences overlapping [start, end), in the area's time zone."""
        return expand(
            first_date=self.starts_on,
            start_time=self.start_time,
            end_date=self.ends_on,
            end_time=self.end_time,
            rule=self.recurrence,
            until=self.repeat_until,
            tz=tz or self.area.tz,
            start=start,
            end=end,
        )

    @property
    def is_multi_day(self) -> bool:
        return bool(self.ends_on and self.starts_on and self.ends_on > self.starts_on)

    def next_occurrences(self, now: dt.datetime, *, limit: int = 8) -> list[tuple[dt.datetime, dt.datetime]]:
        """The next `limit` occurrences from `now` (one under way included), however far ahead: a summer market
        announced in winter shows its dates, not "over". Empty once the last one has ended."""
        tz = self.area.tz
        last_start = self.repeat_until if self.recurrence != Recurrence.NONE and self.repeat_until else self.starts_on
        span = (self.ends_on - self.starts_on) if self.is_multi_day else dt.timedelta(0)
        end = dt.datetime.combine(last_start + span + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return self.occurrences(now, end, tz=tz)[:limit] if end > now else []

    def get_context(self, request, *args, **kwargs):
        from .seo import event_json_ld

        context = super().get_context(request, *args, **kwargs)
        context["next_occurrences"] = self.next_occurrences(timezone.now())
        context["json_ld"] = event_json_ld(self, context["next_occurrences"])
        return context


class OfferIndexPage(AreaPage):
    intro = models.CharField(_("introduction"), max_length=250, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.OfferPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("offers overview")

    def get_context(self, request, *args, **kwargs):
        from .selectors import current_offers

        context = super().get_context(request, *args, **kwargs)
        context["offers"] = current_offers(self, today=timezone.now().astimezone(self.area.tz).date())
        return context


class OfferPageForm(WagtailAdminPageForm):
    """The offer's pass campaign is chosen from its area's campaigns for every member (no number to look up)."""

    def __init__(self, *args, **kwargs):
        from .selectors import area_of_page, offer_campaign_choices

        super().__init__(*args, **kwargs)
        page = self.instance
        if not page.path and self.parent_page is not None:
            # A new page has no place in the tree yet: its area is its parent's (OfferPage.clean reads it).
            page.area = area_of_page(self.parent_page)
        if "campaign_id" in self.fields:
            field = self.fields["campaign_id"]
            choices = offer_campaign_choices(page.area, now=timezone.now(), keep=page.campaign_id) if page.area else []
            self.fields["campaign_id"] = forms.TypedChoiceField(
                label=field.label,
                help_text=field.help_text,
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("No pass campaign")), *choices],
            )


class OfferPage(AreaPage):
    """An offer or campaign page; it may present one of its area's loyalty campaigns for every member (by id, read
    through loyalty.selectors)."""

    intro = models.CharField(_("summary"), max_length=250, blank=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    campaign_id = models.PositiveIntegerField(
        _("pass campaign"),
        null=True,
        blank=True,
        help_text=_(
            "The area's pass campaigns for every member that have not ended; a campaign for a group of members is "
            "shown only in their app. Campaigns are made under “Campaigns” in the site's menu."
        ),
    )
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
        FieldPanel("campaign_id"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.OfferIndexPage"]
    subpage_types = []
    base_form_class = OfferPageForm

    class Meta:
        verbose_name = _("offer")

    def clean(self) -> None:
        from .selectors import offer_campaign_errors

        super().clean()
        errors = {}
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The offer cannot end before it starts.")
        if campaign_errors := offer_campaign_errors(self):
            errors["campaign_id"] = campaign_errors
        if errors:
            raise ValidationError(errors)

    def is_over(self, now: dt.datetime | None = None) -> bool:
        """Its last day (`valid_until`, inclusive) has passed on the area's calendar."""
        tz = self.area.tz if self.area else timezone.get_current_timezone()
        return self.valid_until < (now or timezone.now()).astimezone(tz).date()

    def get_sitemap_urls(self, request=None):
        # An offer that has ended stays readable (with a note) but is no longer offered to search engines.
        return [] if self.is_over() else super().get_sitemap_urls(request)

    def get_context(self, request, *args, **kwargs):
        from .selectors import campaign_for_offer

        context = super().get_context(request, *args, **kwargs)
        context["is_over"] = self.is_over()
        context["campaign"] = None if context["is_over"] else campaign_for_offer(self)
        return context


class NewsIndexPage(AreaPage):
    intro = models.CharField(_("introduction"), max_length=250, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsPage"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("news overview")

    def get_context(self, request, *args, **kwargs):
        from .selectors import latest_news

        context = super().get_context(request, *args, **kwargs)
        context["articles"] = latest_news(self, limit=30)
        return context


class NewsPage(AreaPage):
    date = models.DateField(_("date"), default=dt.date.today)
    intro = models.CharField(_("summary"), max_length=250, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("date"), FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("news article")


class PracticalPage(AreaPage):
    """Parking with rates, public transport, toilets, accessibility: built from blocks."""

    intro = models.CharField(_("introduction"), max_length=250, blank=True)
    body = StreamField(PracticalBlock(), verbose_name=_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro"), index.SearchField("body")]
    parent_page_types = ["cms.HomePage", "cms.PracticalPage"]
    subpage_types = ["cms.PracticalPage"]

    class Meta:
        verbose_name = _("practical information")


class PassSignupPage(AreaPage):
    """The landing page of the city pass; the button leads to the pass's own join flow (loyalty:join)."""

    intro = models.CharField(_("introduction"), max_length=250, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)
    button_label = models.CharField(_("button label"), max_length=60, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body"), FieldPanel("button_label")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("pass sign-up page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["join_url"] = reverse("loyalty:join")
        return context


class ContactPage(AreaPage):
    intro = models.CharField(_("introduction"), max_length=250, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    visiting_hours = models.CharField(_("when to visit"), max_length=200, blank=True)
    body = StreamField(BodyBlock(), verbose_name=_("body"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldRowPanel([FieldPanel("email"), FieldPanel("phone")]),
        FieldPanel("visiting_hours"),
        FieldPanel("body"),
    ]
    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("contact page")


class DirectoryPage(RoutablePageMixin, AreaPage):
    """The merchant directory, generated from the area's merchants (no double entry): a list with filters and a
    sub-page per merchant (/<slug>/)."""

    intro = models.CharField(_("introduction"), max_length=250, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("merchant directory")

    @path("")
    def index(self, request):
        from .selectors import directory

        return self.render(
            request,
            context_overrides=directory(
                self.area, sector=request.GET.get("sector", ""), open_now=request.GET.get("open") == "1"
            ),
        )

    @path("<slug:slug>/", name="merchant")
    def merchant(self, request, slug: str):
        from .selectors import merchant_profile
        from .seo import local_business_json_ld

        profile = merchant_profile(self.area, slug=slug, now=timezone.now())
        if profile is None:
            raise Http404
        return self.render(
            request,
            template="cms/merchant_page.html",
            context_overrides={
                **profile,
                "json_ld": local_business_json_ld(profile["merchant"], profile["week"]),
            },
        )

    def get_sitemap_urls(self, request=None):
        from areas.selectors import list_merchants

        urls = super().get_sitemap_urls(request)
        if self.area is None:
            return urls
        merchants = list(list_merchants(self.area))
        # Each merchant's page in every language the directory is published in (/nl/winkels/x/, /en/winkels/x/).
        for directory in [self, *self.get_translations().live().public()]:
            if base := directory.get_full_url(request):
                urls.extend({"location": f"{base}{merchant.slug}/"} for merchant in merchants)
        return urls


class FeedbackPage(RoutablePageMixin, AreaPage):
    """A short satisfaction survey (no personal data), reached by a QR code on posters (/poster/)."""

    intro = models.CharField(_("introduction"), max_length=250, blank=True)
    thank_you = models.CharField(_("thank-you text"), max_length=250, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("thank_you")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = []

    class Meta:
        verbose_name = _("feedback survey")

    @path("", name="survey")
    def survey(self, request):
        from . import services
        from .exceptions import TooManyResponses
        from .forms import SurveyForm

        form = SurveyForm(request.POST or None)
        status = 200
        if request.method == "POST" and form.is_valid():
            try:
                services.record_survey_response(
                    area=self.area, page=self, ip=request.META.get("REMOTE_ADDR", ""), **form.cleaned_data
                )
            except TooManyResponses as error:
                form.add_error(None, str(error))
                status = 429
            else:
                return self.render(request, template="cms/feedback_thanks.html")
        response = self.render(request, context_overrides={"form": form, "shows_results": self._shows_results(request)})
        response.status_code = status
        return response

    def _shows_results(self, request) -> bool:
        from accounts.permissions import can

        return request.user.is_authenticated and can(request.user, "cms.view_survey_results", self.area)

    @path("resultaten/", name="results")
    def results(self, request):
        """The survey's results for the area's managers: averages per question for a period of whole months,
        each suppressed below K answers."""
        from django.contrib.auth.views import redirect_to_login
        from django.core.exceptions import PermissionDenied
        from django.utils.cache import add_never_cache_headers

        from .forms import SurveyPeriodForm
        from .selectors import survey_results

        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if self.area is None or not self._shows_results(request):
            raise PermissionDenied
        form = SurveyPeriodForm(request.GET or None, today=timezone.now().astimezone(self.area.tz).date())
        start, end = form.period()
        response = self.render(
            request,
            template="cms/feedback_results.html",
            context_overrides={"form": form, **survey_results(area=self.area, start=start, end=end)},
        )
        add_never_cache_headers(response)  # figures for the area's managers only: no shared caches
        return response

    @path("poster/", name="poster")
    def poster(self, request):
        from .selectors import survey_qr_svg

        url = self.get_full_url(request)
        return self.render(
            request, template="cms/feedback_poster.html", context_overrides={"qr_svg": survey_qr_svg(url), "url": url}
        )


class SurveyResponse(models.Model):
    """One answer to a feedback survey: ratings 1–5, an optional comment and the visit date; no personal data
    (not even the IP address: the rate limit keeps only a salted hash, in the cache)."""

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.CASCADE, related_name="+"
    )
    page = models.ForeignKey(
        "wagtailcore.Page", verbose_name=_("survey"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(_("overall rating"), validators=RATING_VALIDATORS)
    cleanliness = models.PositiveSmallIntegerField(
        _("cleanliness"), null=True, blank=True, validators=RATING_VALIDATORS
    )
    atmosphere = models.PositiveSmallIntegerField(_("atmosphere"), null=True, blank=True, validators=RATING_VALIDATORS)
    offer = models.PositiveSmallIntegerField(_("shops and offer"), null=True, blank=True, validators=RATING_VALIDATORS)
    accessibility = models.PositiveSmallIntegerField(
        _("accessibility"), null=True, blank=True, validators=RATING_VALIDATORS
    )
    comment = models.TextField(_("comment"), blank=True, max_length=1000)
    visit_date = models.DateField(_("date of the visit"))
    created_at = models.DateTimeField(_("received at"), default=timezone.now, editable=False)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [models.Index(fields=["area", "visit_date"], name="survey_area_visit_date")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5)
                & (models.Q(cleanliness__isnull=True) | models.Q(cleanliness__gte=1, cleanliness__lte=5))
                & (models.Q(atmosphere__isnull=True) | models.Q(atmosphere__gte=1, atmosphere__lte=5))
                & (models.Q(offer__isnull=True) | models.Q(offer__gte=1, offer__lte=5))
                & (models.Q(accessibility__isnull=True) | models.Q(accessibility__gte=1, accessibility__lte=5)),
                name="survey_ratings_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit_date} · {self.rating}/5"


class EditorGroup(models.Model):
    """The Wagtail group whose members edit an area's site (area None: every site, for platform admins).

    Its members are kept equal to the holders of the matching role by `cms.services.sync_editor_groups`."""

    area = models.OneToOneField(
        "areas.ShoppingArea",
        verbose_name=_("shopping area"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    group = models.OneToOneField("auth.Group", verbose_name=_("group"), on_delete=models.CASCADE, related_name="+")

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("website editor group")
        verbose_name_plural = _("website editor groups")

    def __str__(self) -> str:
        return self.group.name

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.roles import AREA_ROLES, MERCHANT_ROLES, Role
from agora.languages import in_page_language

from . import validators
from .sectors import Sector, sector_group


class Country(models.TextChoices):
    NL = "NL", _("Netherlands")
    BE = "BE", _("Belgium")


TIME_ZONES = [("Europe/Amsterdam", "Europe/Amsterdam"), ("Europe/Brussels", "Europe/Brussels")]
hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Use a colour like #1f5f8b."))


def default_suppression_k() -> int:
    return settings.AGORA_DEFAULT_SUPPRESSION_K


def default_languages() -> list[str]:
    return ["nl", "en"]


class ShoppingArea(models.Model):
    """One collective's shopping area: its pass programme, site, branding, staff and time zone.

    The collective is the data controller for its members; its details appear on consent receipts.
    """

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    time_zone = models.CharField(_("time zone"), max_length=40, choices=TIME_ZONES)
    languages = models.JSONField(_("languages"), default=default_languages)
    site = models.OneToOneField(
        "wagtailcore.Site",
        verbose_name=_("website"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shopping_area",
    )
    # Branding
    tagline = models.CharField(_("tagline"), max_length=200, blank=True)
    primary_colour = models.CharField(_("primary colour"), max_length=7, default="#1f5f8b", validators=[hex_colour])
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#e07a1f", validators=[hex_colour])
    pass_name = models.CharField(_("pass name"), max_length=60, help_text=_("For example “Stadspas Amersfoort”."))
    # The collective (controller)
    collective_name = models.CharField(_("collective's legal name"), max_length=200)
    collective_address = models.CharField(_("collective's address"), max_length=250)
    privacy_email = models.EmailField(_("privacy contact e-mail"))
    # Geography: the centre, used for distance bands and the catchment.
    centre_latitude = models.DecimalField(_("centre latitude"), max_digits=9, decimal_places=6)
    centre_longitude = models.DecimalField(_("centre longitude"), max_digits=9, decimal_places=6)
    catchment_km = models.PositiveSmallIntegerField(_("catchment radius (km)"), default=15)
    # Privacy: figures resting on fewer than K people are suppressed outside the platform admin.
    suppression_k = models.PositiveSmallIntegerField(
        _("small-group threshold (K)"), default=default_suppression_k, validators=[validators.validate_suppression_k]
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Permission scope (see accounts.permissions): the area itself.
    scope_area_path = "pk"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("shopping area")
        verbose_name_plural = _("shopping areas")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(suppression_k__gte=10), name="area_suppression_k_at_least_10"),
            models.CheckConstraint(condition=Q(country__in=["NL", "BE"]), name="area_country_nl_or_be"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise ValidationError({"time_zone": _("Unknown time zone.")}) from error
        unknown = set(self.languages or []) - {code for code, _name in settings.LANGUAGES}
        if not self.languages or unknown:
            raise ValidationError({"languages": _("Choose one or more of: Dutch (nl), English (en).")})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class MerchantStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    LEFT = "left", _("Left the collective")


class MerchantQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=MerchantStatus.ACTIVE)


class Merchant(models.Model):
    """A business that is a member of an area's collective."""

    area = models.ForeignKey(
        ShoppingArea, verbose_name=_("shopping area"), on_delete=models.PROTECT, related_name="merchants"
    )
    trade_name = models.CharField(_("trade name"), max_length=120)
    legal_name = models.CharField(_("legal name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80)
    registration_number = models.CharField(
        _("registration number"), max_length=20, help_text=_("KvK number (NL) or enterprise number (KBO, BE).")
    )
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    street = models.CharField(_("street and number"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=8)
    city = models.CharField(_("town"), max_length=100)
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    description_en = models.TextField(
        _("description in English"), blank=True, help_text=_("For the English website. Empty: the description above.")
    )
    status = models.CharField(_("status"), max_length=10, choices=MerchantStatus.choices, default=MerchantStatus.ACTIVE)
    joined_on = models.DateField(_("member since"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MerchantQuerySet.as_manager()

    scope_area_path = "area"
    scope_merchant_path = "pk"

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["trade_name"]
        constraints = [
            models.UniqueConstraint(fields=["area", "slug"], name="merchant_slug_unique_per_area"),
            models.UniqueConstraint(fields=["area", "registration_number", "street"], name="merchant_branch_unique"),
        ]
        indexes = [models.Index(fields=["area", "status", "sector"], name="merchant_area_status_sector")]

    def __str__(self) -> str:
        return self.trade_name

    @property
    def shown_description(self) -> str:
        """The description in the page's language: the English one on English pages where there is one."""
        return in_page_language(self.description, self.description_en)

    @property
    def pc4(self) -> str:
        return self.postcode[:4]

    @property
    def sector_group(self):
        return sector_group(self.sector)

    def clean(self) -> None:
        country = self.area.country if self.area_id else None
        errors: dict[str, list] = {}
        if country:
            checks = [
                (
                    "registration_number",
                    validators.validate_kvk if country == "NL" else validators.validate_enterprise_number,
                ),
                ("postcode", lambda v: validators.validate_postcode(v, country=country)),
            ]
            if self.vat_number:
                checks.append(("vat_number", lambda v: validators.validate_vat(v, country=country)))
            for field, check in checks:
                try:
                    check(getattr(self, field))
                except ValidationError as error:
                    errors.setdefault(field, []).extend(error.messages)
        if self.status == MerchantStatus.LEFT and not self.left_on:
            errors.setdefault("left_on", []).append(_("Enter the date the merchant left."))
        if errors:
            raise ValidationError(errors)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """A regular opening period on a weekday; several per day for a lunch break."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    scope_area_path = "merchant__area"
    scope_merchant_path = "merchant"

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(opens_at__lt=models.F("closes_at")), name="hours_open_before_close"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="hours_weekday_0_6"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class ExceptionKind(models.TextChoices):
    CLOSED = "closed", _("Closed")
    SPECIAL_HOURS = "special", _("Special hours")
    LATE_NIGHT = "late_night", _("Late-night shopping")


class OpeningException(models.Model):
    """A date on which the regular hours do not apply: a holiday, late-night shopping, a Sunday opening.

    Without a merchant it applies to every merchant of the area; a merchant's own exception wins.
    """

    area = models.ForeignKey(ShoppingArea, on_delete=models.CASCADE, related_name="opening_exceptions")
    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.CASCADE, related_name="opening_exceptions"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=12, choices=ExceptionKind.choices)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    label = models.CharField(_("label"), max_length=120, blank=True, help_text=_("For example “Koningsdag”."))

    scope_area_path = "area"
    scope_merchant_path = "merchant"

    class Meta:
        verbose_name = _("opening exception")
        verbose_name_plural = _("opening exceptions")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "merchant", "date"],
                name="one_exception_per_merchant_day",
                condition=Q(merchant__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["area", "date"], name="one_area_exception_per_day", condition=Q(merchant__isnull=True)
            ),
            models.CheckConstraint(
                condition=Q(kind="closed", opens_at__isnull=True, closes_at__isnull=True)
                | (~Q(kind="closed") & Q(opens_at__lt=models.F("closes_at"))),
                name="exception_hours_match_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.label}".strip()


class StaffMembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_at__isnull=True)


class StaffMembership(models.Model):
    """A role held by a person: platform-wide, for an area, or for a merchant."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    area = models.ForeignKey(ShoppingArea, null=True, blank=True, on_delete=models.CASCADE, related_name="staff")
    merchant = models.ForeignKey(Merchant, null=True, blank=True, on_delete=models.CASCADE, related_name="staff")
    created_at = models.DateTimeField(_("since"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Who gave and who took the role: access to a merchant's customers must be traceable.
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = StaffMembershipQuerySet.as_manager()

    scope_area_path = "area"
    scope_merchant_path = "merchant"

    class Meta:
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role=Role.PLATFORM_ADMIN, area__isnull=True, merchant__isnull=True)
                    | Q(role__in=sorted(AREA_ROLES), area__isnull=False, merchant__isnull=True)
                    | Q(role__in=sorted(MERCHANT_ROLES), area__isnull=False, merchant__isnull=False)
                ),
                name="membership_scope_matches_role",
            ),
            # One active membership per person, role and scope (three shapes of scope, three constraints).
            models.UniqueConstraint(
                fields=["user", "role", "merchant"],
                condition=Q(ended_at__isnull=True, merchant__isnull=False),
                name="one_active_merchant_membership",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                condition=Q(ended_at__isnull=True, merchant__isnull=True, area__isnull=False),
                name="one_active_area_membership",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(ended_at__isnull=True, area__isnull=True),
                name="one_active_platform_membership",
            ),
        ]

    def __str__(self) -> str:
        scope = self.merchant or self.area or _("platform")
        return f"{self.get_role_display()} · {scope}"

"""The city pass and its points ledger.

- `Pass`: one per member per area; the card number, the TOTP secret of the rotating QR code,
  optional profile fields, and `points_balance`, a cached projection of the ledger.
- The ledger is append-only: `LedgerEntry` rows (earn, spend, expire, reverse, adjust). Every
  credit opens a `PointLot` that expires on its own date; every debit is split over the lots it
  draws from by `LotAllocation` rows (oldest-expiring first), so an expiry never takes points
  that were already spent, and a balance is always explainable lot by lot.
- `PointLot.remaining` and `Pass.points_balance` are projections, changed only by the services
  while they hold the pass's row lock, and checked against the entries by `services.check_ledger`.
- `TillTransaction`: what happened at a merchant's till (purchase, undo, refund). It is also the
  "visit" that analytics reads through `selectors.visits`.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agora.languages import in_page_language
from privacy.models import AppendOnlyModel

from . import totp
from .codes import group_card_number


class LoyaltySettings(models.Model):
    """An area's pass programme rules. Created with the defaults on first use (`for_area`)."""

    area = models.OneToOneField(
        "areas.ShoppingArea",
        verbose_name=_("shopping area"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="loyalty_settings",
    )
    points_per_euro = models.PositiveSmallIntegerField(
        _("points per euro"), default=1, help_text=_("Base rate, per whole euro of the purchase.")
    )
    welcome_bonus_points = models.PositiveIntegerField(_("welcome bonus (points)"), default=0)
    first_visit_bonus_points = models.PositiveIntegerField(
        _("first visit bonus (points)"),
        default=0,
        help_text=_("Extra points for a member's first purchase at a merchant."),
    )
    expiry_months = models.PositiveSmallIntegerField(
        _("points expire after (months)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    undo_window_minutes = models.PositiveSmallIntegerField(
        _("undo window (minutes)"), default=10, validators=[MaxValueValidator(24 * 60)]
    )
    daily_cap_points = models.PositiveIntegerField(
        _("points per member per day (cap)"), default=500, help_text=_("0 means no cap.")
    )
    max_purchase_cents = models.PositiveIntegerField(
        _("largest purchase (cents)"), default=1_000_000, help_text=_("Larger amounts are refused as a typing error.")
    )
    # Velocity limits (0: no limit). Counted over purchase scans.
    max_scans_per_member_per_hour = models.PositiveSmallIntegerField(_("scans per member per hour"), default=10)
    max_scans_per_member_per_merchant_per_day = models.PositiveSmallIntegerField(
        _("scans per member per merchant per day"), default=5
    )
    max_scans_per_merchant_per_hour = models.PositiveIntegerField(_("scans per merchant per hour"), default=600)
    max_scans_per_device_per_hour = models.PositiveIntegerField(_("scans per till device per hour"), default=240)
    adjustment_approval_threshold = models.PositiveIntegerField(
        _("adjustments above this need a second person (points)"), default=200
    )
    expiry_notice_days = models.PositiveSmallIntegerField(
        _("tell members about expiring points (days before)"),
        default=30,
        validators=[MinValueValidator(30), MaxValueValidator(180)],
        help_text=_("At least 30 days."),
    )
    # Gift cards ("cadeaukaart"): valid at least two years (Dutch rule for gift cards since 2022).
    giftcard_validity_months = models.PositiveSmallIntegerField(
        _("gift cards valid for (months)"), default=24, validators=[MinValueValidator(24), MaxValueValidator(120)]
    )
    giftcard_max_load_cents = models.PositiveIntegerField(
        _("largest gift card value (cents)"), default=50_000, validators=[MinValueValidator(500)]
    )
    # Settlement: merchants pay the scheme per point issued at their till; the scheme pays them back per
    # point redeemed there, and for every gift-card euro they took (less a commission, if any).
    issue_fee_millicents_per_point = models.PositiveIntegerField(
        _("merchant pays per point issued (1/1000 cent)"), default=1000, help_text=_("1000 = 1 cent per point.")
    )
    redeem_refund_millicents_per_point = models.PositiveIntegerField(
        _("scheme pays back per point redeemed (1/1000 cent)"), default=1000
    )
    giftcard_commission_permille = models.PositiveSmallIntegerField(
        _("commission on gift-card takings (‰)"), default=0, validators=[MaxValueValidator(200)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("loyalty settings")
        verbose_name_plural = _("loyalty settings")
        constraints = [
            models.CheckConstraint(condition=Q(expiry_months__gte=1), name="loyalty_expiry_at_least_a_month"),
            models.CheckConstraint(condition=Q(max_purchase_cents__gte=100), name="loyalty_max_purchase_sane"),
            models.CheckConstraint(
                condition=Q(giftcard_validity_months__gte=24), name="loyalty_giftcard_valid_two_years"
            ),
            models.CheckConstraint(condition=Q(expiry_notice_days__gte=30), name="loyalty_expiry_notice_30_days"),
        ]

    def __str__(self) -> str:
        return str(_("Pass rules of %(area)s") % {"area": self.area})

    #: Fresh points stay usable at least this long before their expiry notice (members must be told 30+ days ahead,
    #: `services.notices`; a period not much longer than that would announce points' end as they are earned).
    EXPIRY_MARGIN_DAYS = 30

    def shortest_expiry_months(self) -> int:
        """The shortest expiry period for this notice period: notice + margin in months of 28 days (February)."""
        return math.ceil((self.expiry_notice_days + self.EXPIRY_MARGIN_DAYS) / 28)

    def clean(self) -> None:
        super().clean()
        if self.expiry_months is None or self.expiry_notice_days is None:
            return  # their own fields report what is missing
        if self.expiry_months < (months := self.shortest_expiry_months()):
            raise ValidationError(
                {
                    "expiry_months": _(
                        "Points must stay valid for at least %(months)s months: members are told %(days)s days before "
                        "their points expire, and should have at least a month to use fresh points before that."
                    )
                    % {"months": months, "days": self.expiry_notice_days}
                }
            )

    @classmethod
    def for_area(cls, area_or_id) -> LoyaltySettings:
        area_id = getattr(area_or_id, "pk", area_or_id)
        settings_row, _created = cls.objects.get_or_create(area_id=area_id)
        return settings_row


class MerchantLoyalty(models.Model):
    """A merchant's own pass settings: the multiplier on the area's base rate (1000 ‰ = ×1)."""

    merchant = models.OneToOneField(
        "areas.Merchant", verbose_name=_("merchant"), primary_key=True, on_delete=models.CASCADE, related_name="loyalty"
    )
    multiplier_permille = models.PositiveIntegerField(
        _("multiplier (‰)"),
        default=1000,
        validators=[MaxValueValidator(10_000)],
        help_text=_("1000 = the area's base rate, 1500 = one and a half times, 2000 = double points."),
    )

    scope_area_path = "merchant__area"
    scope_merchant_path = "merchant"

    class Meta:
        verbose_name = _("merchant pass settings")
        verbose_name_plural = _("merchant pass settings")
        constraints = [
            models.CheckConstraint(condition=Q(multiplier_permille__lte=10_000), name="loyalty_multiplier_at_most_10x")
        ]

    def __str__(self) -> str:
        return f"{self.merchant} ×{self.multiplier_permille / 1000:g}"


class PassStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    BLOCKED = "blocked", _("Blocked")
    CLOSED = "closed", _("Closed")


class AgeBand(models.TextChoices):
    UNDER_25 = "<25", _("under 25")
    FROM_25 = "25-34", _("25–34")
    FROM_35 = "35-44", _("35–44")
    FROM_45 = "45-54", _("45–54")
    FROM_55 = "55-64", _("55–64")
    FROM_65 = "65+", _("65 or older")


class Pass(models.Model):
    """A member's pass in one area. The number is on the printed card; the app shows a rotating QR code."""

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.PROTECT, related_name="passes"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.PROTECT, related_name="passes"
    )
    card_number = models.CharField(_("card number"), max_length=12, unique=True, editable=False)
    # The app's TOTP key: handed to the member's installed app, never exported or shown to staff.
    totp_secret = models.CharField(_("code secret"), max_length=64, default=totp.new_secret, editable=False)
    # The last accepted time step: a code (a step) is accepted once (RFC 6238 §5.2).
    last_totp_step = models.BigIntegerField(_("last accepted code step"), default=0, editable=False)
    pin_hash = models.CharField(_("PIN"), max_length=128, blank=True, editable=False)
    failed_pin_attempts = models.PositiveSmallIntegerField(_("failed PIN attempts"), default=0, editable=False)
    # Optional profile, asked with its purpose shown: a 4-digit postcode (NL PC4 or BE) and an age band.
    postcode = models.CharField(_("postcode (4 digits)"), max_length=4, blank=True)
    age_band = models.CharField(_("age group"), max_length=5, choices=AgeBand.choices, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PassStatus.choices, default=PassStatus.ACTIVE)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    # The contract terms accepted on joining: the privacy registry's `operate_pass` text (append-only, so its version
    # names the exact text, and the hash proves it). Empty for passes made before this was recorded.
    terms_version = models.PositiveIntegerField(_("version of the terms accepted"), null=True, editable=False)
    terms_sha256 = models.CharField(_("hash of the terms accepted"), max_length=64, blank=True, editable=False)
    terms_accepted_at = models.DateTimeField(_("terms accepted at"), null=True, editable=False)
    points_balance = models.IntegerField(_("points balance"), default=0, editable=False)
    # Goes up with every till transaction of the pass (purchase, undo, refund): a scan that read the pass without
    # locking it writes only if this is still what it read (`services.till_sql`), else it reads again.
    till_version = models.BigIntegerField(_("till version"), default=0, editable=False)

    scope_area_path = "area"
    scope_merchant_path = None
    scope_owner_path = "member"

    class Meta:
        verbose_name = _("pass")
        verbose_name_plural = _("passes")
        constraints = [
            models.UniqueConstraint(fields=["area", "member"], name="one_pass_per_member_per_area"),
            models.CheckConstraint(condition=Q(points_balance__gte=0), name="pass_balance_not_negative"),
        ]

    def __str__(self) -> str:
        return self.card_number_display

    @property
    def card_number_display(self) -> str:
        return group_card_number(self.card_number)

    @property
    def is_active(self) -> bool:
        return self.status == PassStatus.ACTIVE

    @property
    def has_pin(self) -> bool:
        return bool(self.pin_hash)


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    SPEND = "spend", _("Spent")
    EXPIRE = "expire", _("Expired")
    REVERSE = "reverse", _("Reversed")
    ADJUST = "adjust", _("Correction")


#: Reasons the services write on entries they make themselves.
WELCOME_REASON = "welcome"
#: The webshop's entries (points and gift-card value): "webshop <order number>".
ONLINE_REASON_PREFIX = "webshop"


def online_order(reason: str) -> str | None:
    """The webshop order number an entry's reason names, or None when it is not the webshop's."""
    prefix = f"{ONLINE_REASON_PREFIX} "
    return reason.removeprefix(prefix) if reason.startswith(prefix) else None


#: The privacy purpose under which merchants may see the first name of a member at their till.
NAME_PURPOSE = "share_with_merchants"


class LedgerEntry(AppendOnlyModel):
    """One change of a pass's points: positive entries open a lot, negative ones are allocated to lots."""

    member_pass = models.ForeignKey(Pass, verbose_name=_("pass"), on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    points = models.IntegerField(_("points"))
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    # The idempotency key: a retried request finds its first entry instead of making a second one.
    request_key = models.UUIDField(_("request key"), unique=True, editable=False)
    merchant = models.ForeignKey(
        "areas.Merchant",
        verbose_name=_("merchant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="loyalty_entries",
    )
    till_transaction = models.ForeignKey(
        "TillTransaction", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope_area_path = "member_pass__area"
    scope_merchant_path = "merchant"
    scope_owner_path = "member_pass__member"

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["member_pass", "occurred_at"], name="entry_pass_time")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=EntryKind.EARN, points__gt=0)
                    | Q(kind__in=[EntryKind.SPEND, EntryKind.EXPIRE], points__lt=0)
                    # a reversal takes back an earning (negative) or gives back a spend (positive)
                    | (Q(kind__in=[EntryKind.REVERSE, EntryKind.ADJUST]) & ~Q(points=0))
                ),
                name="entry_sign_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("by")), name="entry_approver_is_another_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.points:+d}"


class PointLot(models.Model):
    """Points credited by one entry, expiring together. `remaining` is a projection of its allocations."""

    member_pass = models.ForeignKey(Pass, verbose_name=_("pass"), on_delete=models.PROTECT, related_name="lots")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="lot")
    points = models.PositiveIntegerField(_("points"))
    remaining = models.PositiveIntegerField(_("remaining"), editable=False)
    earned_at = models.DateTimeField(_("earned at"))
    expires_at = models.DateTimeField(_("expires at"))
    # When the member was told that these points will expire (the notice job sets it once).
    expiry_notified_at = models.DateTimeField(_("expiry notice sent at"), null=True, blank=True, editable=False)
    # When the expiry job gave the lot a new date because its member had not been told in time (once per lot).
    expiry_postponed_at = models.DateTimeField(_("expiry postponed at"), null=True, blank=True, editable=False)

    scope_area_path = "member_pass__area"
    scope_merchant_path = None
    scope_owner_path = "member_pass__member"

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        ordering = ["expires_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="lot_has_points"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0, remaining__lte=F("points")), name="lot_remaining_within_points"
            ),
        ]
        indexes = [
            # Open lots only: what spends draw from and what the expiry job looks for.
            models.Index(fields=["member_pass", "expires_at"], condition=Q(remaining__gt=0), name="lot_open_by_pass"),
            models.Index(fields=["expires_at"], condition=Q(remaining__gt=0), name="lot_open_by_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.remaining}/{self.points} → {self.expires_at:%Y-%m-%d}"


class LotAllocation(AppendOnlyModel):
    """How many points a debit entry took from one lot."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations")
    lot = models.ForeignKey(PointLot, on_delete=models.PROTECT, related_name="allocations")
    points = models.PositiveIntegerField(_("points"))

    class Meta:
        verbose_name = _("lot allocation")
        verbose_name_plural = _("lot allocations")
        constraints = [
            models.UniqueConstraint(fields=["entry", "lot"], name="one_allocation_per_entry_and_lot"),
            models.CheckConstraint(condition=Q(points__gt=0), name="allocation_has_points"),
        ]

    def __str__(self) -> str:
        return f"{self.points} from lot {self.lot_id}"


class TillKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    UNDO = "undo", pgettext_lazy("till transaction kind", "Undo")  # the purchase it undid reads "Undone"
    REFUND = "refund", _("Refund")


class TillTransaction(AppendOnlyModel):
    """A scan at a merchant's till, or its undo or (partial) refund. Never edited: reversals are new rows.

    Amounts and points are signed: a purchase adds, an undo or refund subtracts. `points` is what the
    ledger changed by; `points_unrecovered` is what a reversal should have taken but could not (the
    member had spent those points already, or they had expired).
    """

    merchant = models.ForeignKey(
        "areas.Merchant", verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="till_transactions"
    )
    member_pass = models.ForeignKey(
        Pass,
        verbose_name=_("pass"),
        on_delete=models.PROTECT,
        related_name="till_transactions",
        db_index=False,  # the indexes below start with the pass
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TillKind.choices, default=TillKind.PURCHASE)
    amount_cents = models.IntegerField(_("amount (cents)"))
    receipt_number = models.CharField(_("receipt number"), max_length=40, blank=True)
    points = models.IntegerField(_("points"))
    bonus_points = models.PositiveIntegerField(_("of which first-visit bonus"), default=0)
    points_unrecovered = models.PositiveIntegerField(_("points not recovered"), default=0)
    # The campaign whose extra points are part of `points` (at most one campaign per purchase: the best).
    campaign = models.ForeignKey(
        "Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="till_transactions",
    )
    campaign_points = models.IntegerField(_("of which campaign points"), default=0)
    # The parts of the amount not paid in money at the till: they earn no points. Signed like the amount.
    voucher = models.ForeignKey(
        "Voucher",
        verbose_name=_("voucher"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="till_transactions",
    )
    voucher_cents = models.IntegerField(_("paid with a voucher (cents)"), default=0)
    reward = models.ForeignKey(
        "Reward",
        verbose_name=_("reward"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="till_transactions",
    )
    reward_cents = models.IntegerField(_("paid with points (cents)"), default=0)
    points_spent = models.IntegerField(_("points spent"), default=0)
    giftcard_cents = models.IntegerField(_("paid with gift card (cents)"), default=0)
    balance_after = models.IntegerField(_("balance after"))
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    request_key = models.UUIDField(_("request key"), unique=True, editable=False)
    device_id = models.CharField(_("till device"), max_length=64, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("reverses"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )

    scope_area_path = "merchant__area"
    scope_merchant_path = "merchant"
    scope_owner_path = "member_pass__member"

    class Meta:
        verbose_name = _("till transaction")
        verbose_name_plural = _("till transactions")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["merchant", "occurred_at"], name="till_merchant_time"),
            models.Index(fields=["member_pass", "occurred_at"], name="till_pass_time"),
            # The member's purchases (and undos) at a merchant: the first-visit bonus.
            models.Index(fields=["member_pass", "merchant"], name="till_pass_merchant"),
            models.Index(fields=["merchant", "device_id", "occurred_at"], name="till_device_time"),
            # A receipt earns once per merchant: looked up at every scan that carries a receipt number.
            models.Index(
                fields=["merchant", "receipt_number"], condition=~Q(receipt_number=""), name="till_merchant_receipt"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=TillKind.PURCHASE, reverses__isnull=True, amount_cents__gt=0, points__gte=0)
                    | Q(
                        kind__in=[TillKind.UNDO, TillKind.REFUND],
                        reverses__isnull=False,
                        amount_cents__lte=0,
                        points__lte=0,
                        bonus_points=0,
                    )
                ),
                name="till_signs_match_kind",
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="till_balance_after_not_negative"),
            # The parts paid otherwise have the amount's sign and never exceed it.
            models.CheckConstraint(
                condition=(
                    Q(kind=TillKind.PURCHASE, voucher_cents__gte=0, reward_cents__gte=0, giftcard_cents__gte=0)
                    & Q(points_spent__gte=0, campaign_points__gte=0)
                )
                | (
                    Q(kind__in=[TillKind.UNDO, TillKind.REFUND], voucher_cents__lte=0, reward_cents__lte=0)
                    & Q(giftcard_cents__lte=0, points_spent__lte=0, campaign_points__lte=0)
                ),
                name="till_parts_signs_match_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[TillKind.UNDO, TillKind.REFUND])
                | Q(amount_cents__gte=F("voucher_cents") + F("reward_cents") + F("giftcard_cents")),
                name="till_parts_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents / 100:.2f} € {self.points:+d}"

    @property
    def earning_cents(self) -> int:
        """The part of the amount paid in money at the till: the only part that earns points."""
        return self.amount_cents - self.voucher_cents - self.reward_cents - self.giftcard_cents


# --- Campaigns -------------------------------------------------------------------------------------------


class CampaignKind(models.TextChoices):
    MULTIPLIER = "multiplier", _("Multiplier on the points")
    BONUS = "bonus", _("Fixed bonus per purchase")


class Funder(models.TextChoices):
    COLLECTIVE = "collective", _("The collective")
    MERCHANT = "merchant", _("The merchant")


class InEnglishToo:
    """Texts members read, written in Dutch (the field itself) and, optionally, in English (`<field>_en`): English
    pages show the English text where there is one, the Dutch otherwise."""

    def localised(self, field: str, language: str | None = None) -> str:
        return in_page_language(getattr(self, field), getattr(self, f"{field}_en"), language)

    @property
    def shown_description(self) -> str:
        return self.localised("description")


class Campaign(InEnglishToo, models.Model):
    """Extra points for purchases in a period, at some merchants or sectors, optionally for one segment.

    A segment (`segments.SEGMENTS`) only ever includes members who consented to offers chosen for them
    (the "marketing" purpose); without a segment the campaign is for every member.
    """

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    name_en = models.CharField(_("name in English"), max_length=120, blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    merchants = models.ManyToManyField(
        "areas.Merchant",
        verbose_name=_("merchants"),
        blank=True,
        related_name="campaigns",
        help_text=_("Leave empty (and no sectors) for every merchant of the area."),
    )
    sectors = models.JSONField(_("sectors"), default=list, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CampaignKind.choices, default=CampaignKind.MULTIPLIER)
    multiplier_permille = models.PositiveIntegerField(
        _("multiplier (‰)"), default=2000, validators=[MinValueValidator(1000), MaxValueValidator(10_000)]
    )
    bonus_points = models.PositiveIntegerField(_("bonus points per purchase"), default=0)
    min_amount_cents = models.PositiveIntegerField(_("smallest purchase (cents)"), default=0)
    segment = models.CharField(_("segment"), max_length=40, blank=True)
    funded_by = models.CharField(
        _("extra points paid by"), max_length=12, choices=Funder.choices, default=Funder.COLLECTIVE
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at", "pk"]
        indexes = [models.Index(fields=["area", "ends_at"], name="campaign_area_end")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="campaign_ends_after_start"),
            models.CheckConstraint(
                condition=Q(kind=CampaignKind.MULTIPLIER, multiplier_permille__gt=1000, multiplier_permille__lte=10_000)
                | Q(kind=CampaignKind.BONUS, bonus_points__gt=0),
                name="campaign_gives_something",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_name(self) -> str:
        return self.localised("name")


# --- Rewards and vouchers --------------------------------------------------------------------------------


class Reward(InEnglishToo, models.Model):
    """Something a member chooses for points: funded by the collective (any merchant) or by one merchant."""

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.PROTECT, related_name="rewards"
    )
    merchant = models.ForeignKey(
        "areas.Merchant",
        verbose_name=_("merchant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rewards",
        help_text=_("Empty: funded by the collective and valid at every merchant."),
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    title_en = models.CharField(_("title in English"), max_length=120, blank=True)
    description_en = models.TextField(_("description in English"), blank=True)
    cost_points = models.PositiveIntegerField(_("cost (points)"), validators=[MinValueValidator(1)])
    value_cents = models.PositiveIntegerField(
        _("value (cents)"), validators=[MinValueValidator(1)], help_text=_("What it is worth at the till.")
    )
    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True, help_text=_("Empty: no limit."))
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    voucher_valid_days = models.PositiveSmallIntegerField(
        _("voucher valid for (days)"), default=90, validators=[MinValueValidator(1)]
    )
    is_active = models.BooleanField(_("active"), default=True)

    scope_area_path = "area"
    scope_merchant_path = "merchant"

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["cost_points", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(cost_points__gt=0, value_cents__gt=0), name="reward_cost_and_value"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gt=F("valid_from")),
                name="reward_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def shown_title(self) -> str:
        return self.localised("title")

    @property
    def funded_by(self) -> str:
        return Funder.MERCHANT if self.merchant_id else Funder.COLLECTIVE


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second manager")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Not applied")


class PointsCorrection(models.Model):
    """A manager's correction of a pass's points above the area's threshold, waiting for a second manager
    (`services.corrections`). Decided once: applied (it names the ledger entry it made, whose key is its
    `request_key`; the entry says who asked and who approved) or not applied. Corrections within the threshold are
    applied at once and are only ledger entries."""

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.PROTECT, related_name="+"
    )
    member_pass = models.ForeignKey(Pass, verbose_name=_("pass"), on_delete=models.PROTECT, related_name="corrections")
    points = models.IntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=200)
    request_key = models.UUIDField(_("request key"), unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    entry = models.OneToOneField(
        LedgerEntry,
        verbose_name=_("ledger entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="correction",
    )

    scope_area_path = "area"
    scope_owner_path = "member_pass__member"

    class Meta:
        verbose_name = _("points correction")
        verbose_name_plural = _("points corrections")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["area", "status", "requested_at"], name="correction_area_status")]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="correction_not_zero"),
            models.CheckConstraint(
                condition=Q(status=CorrectionStatus.PENDING, decided_by__isnull=True, decided_at__isnull=True)
                | Q(status__in=[CorrectionStatus.APPLIED, CorrectionStatus.REJECTED], decided_at__isnull=False),
                name="correction_decided_with_time",
            ),
            models.CheckConstraint(
                condition=Q(status=CorrectionStatus.APPLIED, entry__isnull=False, decided_by__isnull=False)
                | (~Q(status=CorrectionStatus.APPLIED) & Q(entry__isnull=True)),
                name="correction_applied_has_entry",
            ),
            # Four eyes: whoever asked never approves (withdrawing their own is a rejection).
            models.CheckConstraint(
                condition=~Q(status=CorrectionStatus.APPLIED, decided_by=F("requested_by")),
                name="correction_approved_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_pass} {self.points:+d}"


class VoucherKind(models.TextChoices):
    FIXED = "fixed", _("Fixed amount")
    PERCENT = "percent", _("Percentage")
    REWARD = "reward", _("Reward")


class Voucher(models.Model):
    """A single-use code: a fixed amount or a percentage off, at some merchants, until it expires.

    A reward the member chose in the app becomes a voucher (kind "reward") in their wallet. `redeemed_by`
    is the till purchase that used it; an undo of that purchase makes the voucher usable again (the
    undo row in the till's history says so), so single use is enforced by a conditional update of this row.
    """

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.PROTECT, related_name="vouchers"
    )
    code = models.CharField(_("code"), max_length=16, unique=True, editable=False)
    member_pass = models.ForeignKey(
        Pass,
        verbose_name=_("pass"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="vouchers",
        help_text=_("Empty: anyone holding the code may use it."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=VoucherKind.choices)
    value_cents = models.PositiveIntegerField(_("value (cents)"), default=0)
    percent = models.PositiveSmallIntegerField(
        _("percentage"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    max_discount_cents = models.PositiveIntegerField(
        _("at most (cents)"), null=True, blank=True, help_text=_("For a percentage: the largest discount.")
    )
    merchants = models.ManyToManyField(
        "areas.Merchant",
        verbose_name=_("valid at"),
        blank=True,
        related_name="vouchers",
        help_text=_("Empty: every merchant of the area."),
    )
    # Who pays for the discount: the collective (reimbursed in the settlement) or the merchant itself.
    funded_by_merchant = models.ForeignKey(
        "areas.Merchant",
        verbose_name=_("funded by merchant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funded_vouchers",
        help_text=_("Empty: funded by the collective."),
    )
    reward = models.ForeignKey(
        Reward, verbose_name=_("reward"), null=True, blank=True, on_delete=models.PROTECT, related_name="vouchers"
    )
    # The points spent on the reward (kind "reward"): what an undone redemption gives back, and what the settlement
    # reimburses per point.
    spend_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="voucher", editable=False
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), null=True, blank=True, on_delete=models.PROTECT, related_name="vouchers"
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    request_key = models.UUIDField(_("request key"), unique=True, editable=False)
    redeemed_by = models.ForeignKey(
        TillTransaction,
        verbose_name=_("redeemed with"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True, editable=False)
    # An online order that used the voucher (the webshop's order number), instead of a till purchase.
    redeemed_online = models.CharField(_("redeemed with webshop order"), max_length=40, blank=True, editable=False)
    # A reward's voucher the member gave back for its points (`services.rewards.cancel_reward_voucher`); it ended then.
    returned_at = models.DateTimeField(_("given back at"), null=True, blank=True, editable=False)

    scope_area_path = "area"
    scope_merchant_path = "funded_by_merchant"
    scope_owner_path = "member_pass__member"

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["expires_at", "pk"]
        indexes = [models.Index(fields=["member_pass", "expires_at"], name="voucher_pass_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=[VoucherKind.FIXED, VoucherKind.REWARD], value_cents__gt=0, percent=0)
                | Q(kind=VoucherKind.PERCENT, value_cents=0, percent__gt=0, percent__lte=100),
                name="voucher_value_matches_kind",
            ),
            models.CheckConstraint(condition=Q(expires_at__gt=F("valid_from")), name="voucher_expires_after_start"),
            models.CheckConstraint(
                condition=Q(redeemed_by__isnull=True, redeemed_online="", redeemed_at__isnull=True)
                | Q(redeemed_by__isnull=False, redeemed_online="", redeemed_at__isnull=False)
                | (Q(redeemed_by__isnull=True, redeemed_at__isnull=False) & ~Q(redeemed_online="")),
                name="voucher_redeemed_with_time",
            ),
            models.CheckConstraint(
                condition=~Q(kind=VoucherKind.REWARD) | Q(reward__isnull=False, member_pass__isnull=False),
                name="voucher_reward_has_reward_and_pass",
            ),
            models.CheckConstraint(
                condition=Q(returned_at__isnull=True)
                | Q(kind=VoucherKind.REWARD, redeemed_at__isnull=True, expires_at=F("returned_at")),
                name="voucher_returned_unused_and_ended",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def discount_for(self, amount_cents: int) -> int:
        """The discount on a purchase of `amount_cents`: never more than the purchase."""
        if self.kind == VoucherKind.PERCENT:
            discount = amount_cents * self.percent // 100
            if self.max_discount_cents is not None:
                discount = min(discount, self.max_discount_cents)
        else:
            discount = self.value_cents
        return max(0, min(discount, amount_cents))


# --- Gift cards ------------------------------------------------------------------------------------------


class GiftCardStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    BLOCKED = "blocked", _("Blocked")


class GiftCard(models.Model):
    """Stored value in cents ("cadeaukaart"): on a member's pass or a standalone card with its own number and PIN.

    Its own ledger (`GiftCardEntry`), separate from points; `balance_cents` is a projection changed only under
    the card's row lock, like a pass's points balance.
    """

    area = models.ForeignKey(
        "areas.ShoppingArea", verbose_name=_("shopping area"), on_delete=models.PROTECT, related_name="gift_cards"
    )
    number = models.CharField(_("card number"), max_length=16, unique=True, editable=False)
    pin_hash = models.CharField(_("PIN"), max_length=128, blank=True, editable=False)
    failed_pin_attempts = models.PositiveSmallIntegerField(_("failed PIN attempts"), default=0, editable=False)
    member_pass = models.ForeignKey(
        Pass,
        verbose_name=_("on pass"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gift_cards",
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))
    balance_cents = models.IntegerField(_("balance (cents)"), default=0, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=GiftCardStatus.choices, default=GiftCardStatus.ACTIVE)
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sold by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    sold_via = models.CharField(_("sold via"), max_length=20, default="desk")

    scope_area_path = "area"
    scope_merchant_path = None
    scope_owner_path = "member_pass__member"

    class Meta:
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")
        ordering = ["-issued_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(balance_cents__gte=0), name="giftcard_balance_not_negative"),
            models.CheckConstraint(condition=Q(expires_at__gt=F("issued_at")), name="giftcard_expires_after_issue"),
        ]

    def __str__(self) -> str:
        return " ".join(self.number[i : i + 4] for i in range(0, len(self.number), 4))


class GiftCardEntryKind(models.TextChoices):
    LOAD = "load", _("Loaded")
    SPEND = "spend", _("Spent")
    REVERSE = "reverse", _("Reversed")
    EXPIRE = "expire", _("Expired")
    ADJUST = "adjust", _("Correction")


class GiftCardEntry(AppendOnlyModel):
    """One change of a gift card's value, in cents. `merchant` is where it was spent (what the settlement pays)."""

    card = models.ForeignKey(GiftCard, verbose_name=_("gift card"), on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=GiftCardEntryKind.choices)
    amount_cents = models.IntegerField(_("amount (cents)"))
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    request_key = models.UUIDField(_("request key"), unique=True, editable=False)
    merchant = models.ForeignKey(
        "areas.Merchant",
        verbose_name=_("merchant"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="gift_card_entries",
    )
    till_transaction = models.ForeignKey(
        TillTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="gift_card_entries"
    )
    reverses = models.ForeignKey(
        "self", verbose_name=_("reverses"), null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope_area_path = "card__area"
    scope_merchant_path = "merchant"
    scope_owner_path = "card__member_pass__member"

    class Meta:
        verbose_name = _("gift card entry")
        verbose_name_plural = _("gift card entries")
        ordering = ["occurred_at", "pk"]
        indexes = [
            models.Index(fields=["card", "occurred_at"], name="giftcard_entry_card_time"),
            models.Index(fields=["merchant", "occurred_at"], name="giftcard_entry_merchant_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=GiftCardEntryKind.LOAD, amount_cents__gt=0)
                | Q(kind__in=[GiftCardEntryKind.SPEND, GiftCardEntryKind.EXPIRE], amount_cents__lt=0)
                | (Q(kind__in=[GiftCardEntryKind.REVERSE, GiftCardEntryKind.ADJUST]) & ~Q(amount_cents=0)),
                name="giftcard_entry_sign_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents / 100:+.2f} €"


class GiftCardChangeKind(models.TextChoices):
    BLOCK = "block", _("Blocked")
    UNBLOCK = "unblock", _("Unblocked")
    CLEAR_PIN_LOCK = "clear_pin", _("PIN lock cleared")


#: The reasons the desk offers for blocking a card, stored by their key; any other reason is stored as typed.
GIFT_CARD_BLOCK_REASONS = {"lost": _("Lost"), "stolen": _("Stolen")}


class GiftCardChange(AppendOnlyModel):
    """The desk blocked or unblocked a card, or cleared its PIN lock: who, when and why. The card's value is not
    touched (that is `GiftCardEntry`'s), so a blocked card keeps its balance."""

    card = models.ForeignKey(GiftCard, verbose_name=_("gift card"), on_delete=models.PROTECT, related_name="changes")
    kind = models.CharField(_("kind"), max_length=10, choices=GiftCardChangeKind.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope_area_path = "card__area"
    scope_merchant_path = None
    scope_owner_path = "card__member_pass__member"

    class Meta:
        verbose_name = _("gift card change")
        verbose_name_plural = _("gift card changes")
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["card", "occurred_at"], name="giftcard_change_card_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.card}"

    @property
    def reason_display(self) -> str:
        return str(GIFT_CARD_BLOCK_REASONS.get(self.reason, self.reason))


# --- Webshop points per merchant -------------------------------------------------------------------------


class OnlinePointsShare(AppendOnlyModel):
    """Which merchant's sale the points of a webshop ledger entry belong to (what the settlement charges per point).

    The webshop credits one EARN entry per order (no merchant: an order has parts at several merchants) and takes
    points back with REVERSE entries; each such entry has one share per merchant part, written in the same
    transaction, whose points add up to the entry's. Signed like the entry: negative for a reversal.
    `campaign_points` is the part of `points` a campaign gave (what the collective pays when it funds the
    campaign), with the points' sign and never larger. Orders credited before shares existed have none.
    """

    entry = models.ForeignKey(
        LedgerEntry,
        verbose_name=_("ledger entry"),
        on_delete=models.PROTECT,
        related_name="online_shares",
        db_index=False,  # the unique constraint's index starts with the entry
    )
    merchant = models.ForeignKey(
        "areas.Merchant",
        verbose_name=_("merchant"),
        on_delete=models.PROTECT,
        related_name="online_points_shares",
        db_index=False,  # the index below starts with the merchant
    )
    points = models.IntegerField(_("points"))
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="online_points_shares",
    )
    campaign_points = models.IntegerField(_("of which campaign points"), default=0)

    scope_area_path = "merchant__area"
    scope_merchant_path = "merchant"
    scope_owner_path = "entry__member_pass__member"

    class Meta:
        verbose_name = _("webshop points of a merchant")
        verbose_name_plural = _("webshop points of merchants")
        ordering = ["entry", "pk"]
        indexes = [models.Index(fields=["merchant", "entry"], name="online_share_merchant_entry")]
        constraints = [
            # One share per merchant part: an order has at most one part per merchant.
            models.UniqueConstraint(fields=["entry", "merchant"], name="online_share_once_per_entry_and_merchant"),
            models.CheckConstraint(
                condition=Q(points__gt=0, campaign_points__gte=0, campaign_points__lte=F("points"))
                | Q(points__lt=0, campaign_points__lte=0, campaign_points__gte=F("points")),
                name="online_share_campaign_within_points",
            ),
            models.CheckConstraint(
                condition=Q(campaign__isnull=False) | Q(campaign_points=0), name="online_share_campaign_points_have_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id}: {self.points:+d}"


# --- Settlement ------------------------------------------------------------------------------------------


class SettlementStatement(AppendOnlyModel):
    """An issued settlement statement of one merchant for a closed period of whole local days: stored once.

    The rates, the quantities and the rounded amounts are a snapshot taken when it was issued, so a later
    change of the area's rates (or of the merchant's address) never changes a statement already sent.
    `sequence` numbers the statements of an area without gaps (issuing holds the area's settings row lock).
    The rules themselves are in `loyalty.services.settlement`.
    """

    area = models.ForeignKey(
        "areas.ShoppingArea",
        verbose_name=_("shopping area"),
        on_delete=models.PROTECT,
        related_name="settlement_statements",
    )
    merchant = models.ForeignKey(
        "areas.Merchant", verbose_name=_("merchant"), on_delete=models.PROTECT, related_name="settlement_statements"
    )
    sequence = models.PositiveIntegerField(_("statement number"))
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    time_zone = models.CharField(_("time zone"), max_length=40)
    # The area's rates when the statement was issued.
    issue_fee_millicents_per_point = models.PositiveIntegerField(_("fee per point issued (1/1000 cent)"))
    redeem_refund_millicents_per_point = models.PositiveIntegerField(_("refund per point redeemed (1/1000 cent)"))
    giftcard_commission_permille = models.PositiveSmallIntegerField(_("commission on gift-card takings (‰)"))
    # Quantities and amounts, signed: a positive amount is owed by the merchant to the collective.
    points_issued = models.IntegerField(_("points issued"))
    issue_fee_cents = models.IntegerField(_("fee for points issued (cents)"))
    points_redeemed = models.IntegerField(_("points redeemed"))
    redeem_refund_cents = models.IntegerField(_("refund for points redeemed (cents)"))
    voucher_cents = models.IntegerField(_("collective vouchers taken (cents)"))
    voucher_refund_cents = models.IntegerField(_("refund for collective vouchers (cents)"))
    giftcard_cents = models.IntegerField(_("gift cards taken (cents)"))
    giftcard_refund_cents = models.IntegerField(_("refund for gift cards taken (cents)"))
    giftcard_commission_cents = models.IntegerField(_("commission on gift cards (cents)"))
    net_cents = models.IntegerField(_("net (cents)"))
    # The merchant's name, address and registration numbers as printed on the statement.
    merchant_details = models.JSONField(_("merchant details"), default=dict)
    created_at = models.DateTimeField(_("issued at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.PROTECT, related_name="+"
    )

    scope_area_path = "area"
    scope_merchant_path = "merchant"

    class Meta:
        verbose_name = _("settlement statement")
        verbose_name_plural = _("settlement statements")
        ordering = ["-first_day", "merchant_id"]
        constraints = [
            # Issuing twice returns the first statement: the constraint, not a lookup, is what makes it safe.
            models.UniqueConstraint(fields=["merchant", "first_day", "last_day"], name="settlement_once_per_period"),
            models.UniqueConstraint(fields=["area", "sequence"], name="settlement_number_unique_per_area"),
            models.CheckConstraint(condition=Q(last_day__gte=F("first_day")), name="settlement_period_not_empty"),
            models.CheckConstraint(
                condition=Q(
                    net_cents=F("issue_fee_cents")
                    + F("redeem_refund_cents")
                    + F("voucher_refund_cents")
                    + F("giftcard_refund_cents")
                    + F("giftcard_commission_cents")
                ),
                name="settlement_net_is_sum_of_lines",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.first_day:%Y-%m-%d}…{self.last_day:%Y-%m-%d}"

    @property
    def number(self) -> str:
        return f"{self.sequence:06d}"


class SettlementPayment(AppendOnlyModel):
    """That an issued statement was settled: the money moved, in full, on `paid_on`. Recorded once, never changed.

    `amount_cents` is the statement's net, signed as the net is: positive, the merchant paid the collective;
    negative, the collective paid the merchant. A statement whose net is zero has nothing to pay and no payment.
    The rules are in `loyalty.services.settlement.record_payment`.
    """

    # One payment per statement: the one-to-one's unique index is what makes recording twice return the first.
    statement = models.OneToOneField(
        SettlementStatement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="payment"
    )
    paid_on = models.DateField(_("paid on"))
    amount_cents = models.IntegerField(_("amount (cents)"))
    reference = models.CharField(
        _("reference"), max_length=60, blank=True, help_text=_("The bank transfer's reference.")
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )

    scope_area_path = "statement__area"
    scope_merchant_path = "statement__merchant"

    class Meta:
        verbose_name = _("settlement payment")
        verbose_name_plural = _("settlement payments")
        ordering = ["-paid_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="settlement_payment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.statement.number} {self.paid_on:%Y-%m-%d}"

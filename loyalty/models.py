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

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_path = "area"
    scope_merchant_path = None

    class Meta:
        verbose_name = _("loyalty settings")
        verbose_name_plural = _("loyalty settings")
        constraints = [
            models.CheckConstraint(condition=Q(expiry_months__gte=1), name="loyalty_expiry_at_least_a_month"),
            models.CheckConstraint(condition=Q(max_purchase_cents__gte=100), name="loyalty_max_purchase_sane"),
        ]

    def __str__(self) -> str:
        return str(_("Pass rules of %(area)s") % {"area": self.area})

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
    points_balance = models.IntegerField(_("points balance"), default=0, editable=False)

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
    UNDO = "undo", _("Undone")
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
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_cents / 100:.2f} € {self.points:+d}"

"""Campaigns: which apply to a purchase, the extra points of the best one, vouchers for a campaign's members.

One campaign per purchase, never stacked: the one that gives the most extra points (ties: the one ending
first, then the oldest). A campaign with a segment counts only for members in that segment, and segments
only ever hold members who consent to marketing (`segments`), so withdrawing consent ends targeted offers.

Running campaigns (`save_campaign`, `end_campaign`, `loyalty.manage_campaigns` on the area): before a campaign
starts everything may change; once it has started, the points it gave (and what the settlement charges for them)
must not be rewritten, so only its name, description and end may change, and the end never into the past. One
cancelled before it started (`end_campaign`) stays as it was: nothing of it changes and it hands out no vouchers.
One the merchants pay for names its merchants, and no sectors: the settlement charges each of them, so each agreed.

Consent and campaign vouchers: a campaign *with* a segment issues vouchers only to its (consenting)
segment members; a campaign *without* one issues to every active pass of the area, consent or not, as
nothing about the member was used to choose them: it is the same offer for everyone, like a poster.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import can
from areas.models import Merchant
from areas.sectors import Sector

from ..exceptions import InvalidCampaign, InvalidVoucher, NotAllowed, UnknownSegment
from ..models import Campaign, CampaignKind, Funder, Pass, PassStatus, Voucher, VoucherKind
from ..segments import get_segment, is_in_segment, passes_in_segment
from .ledger import derived_key
from .vouchers import new_voucher_code, validate_voucher_terms

logger = logging.getLogger(__name__)

ISSUE_CHUNK = 500


def active_campaigns(*, area_id: int, merchant, now: datetime, until: datetime | None = None) -> list[Campaign]:
    """The area's campaigns running at `now` (or starting before `until`) that apply at `merchant`: no
    merchants and no sectors means every merchant; otherwise the merchant is one of them or in one of the
    sectors. One query."""
    through = Campaign.merchants.through
    rows = (
        Campaign.objects.filter(area_id=area_id, is_active=True, starts_at__lte=until or now, ends_at__gt=now)
        .annotate(
            has_merchant=Exists(through.objects.filter(campaign_id=OuterRef("pk"), merchant_id=merchant.pk)),
            has_any_merchant=Exists(through.objects.filter(campaign_id=OuterRef("pk"))),
        )
        .order_by("ends_at", "pk")
    )
    return [
        campaign
        for campaign in rows
        if campaign.has_merchant
        or merchant.sector in (campaign.sectors or [])
        or (not campaign.has_any_merchant and not campaign.sectors)
    ]


#: How long the till keeps a merchant's list of running campaigns (seconds). A campaign saved or ended through
#: `save_campaign` or `end_campaign` reaches the tills at their next scan all the same (`campaigns_changed`); this
#: bounds what another way of changing one (a script, the database) takes to arrive.
CAMPAIGN_CACHE_SECONDS = 60


def _version_key(area_id: int) -> str:
    return f"loyalty:campaigns:{area_id}:version"


def campaigns_for_till(*, area_id: int, merchant, now: datetime) -> list[Campaign]:
    """`active_campaigns` as the till reads it on every scan: cached per merchant for up to a minute, and only as
    long as no campaign of the area was saved or ended since (`campaigns_changed`) — one cache round trip.

    The list is the campaigns running at the start of the minute or starting within it; `campaign_extra`
    then keeps only those running at the purchase's own time, so a campaign starts and ends on the second.
    """
    bucket = int(now.timestamp()) // CAMPAIGN_CACHE_SECONDS * CAMPAIGN_CACHE_SECONDS
    key, version_key = f"loyalty:campaigns:{area_id}:{merchant.pk}:{bucket}", _version_key(area_id)
    found = cache.get_many([key, version_key])
    version = found.get(version_key, 0)
    if (cached := found.get(key)) is not None and cached[0] == version:
        return cached[1]
    start = datetime.fromtimestamp(bucket, tz=UTC)
    campaigns = active_campaigns(
        area_id=area_id, merchant=merchant, now=start, until=start + timedelta(seconds=CAMPAIGN_CACHE_SECONDS)
    )
    cache.set(key, (version, campaigns), CAMPAIGN_CACHE_SECONDS)
    return campaigns


def campaigns_changed(area_id: int) -> None:
    """A campaign of the area was saved or ended: once that commits, every till list cached before is stale.

    A version per area, raised after the commit: a till that read the campaigns before it stored its list under
    the old version, so even a list stored after the change is not used."""

    def raise_version() -> None:
        try:
            cache.incr(_version_key(area_id))
        except ValueError:  # not there yet (or evicted): any version but the 0 lists were stored under
            cache.set(_version_key(area_id), 1, timeout=None)

    transaction.on_commit(raise_version)


def campaign_points(campaign: Campaign, *, earning_cents: int, base_points: int) -> int:
    """The extra points one campaign gives on a purchase (0 when its smallest amount is not reached)."""
    if earning_cents <= 0 or earning_cents < campaign.min_amount_cents:
        return 0
    if campaign.kind == CampaignKind.MULTIPLIER:
        return max(0, base_points * (campaign.multiplier_permille - 1000) // 1000)
    return campaign.bonus_points


def campaign_points_back(*, campaign_points: int, points: int, taken_in_all: int, given_back_before: int) -> int:
    """The campaign's part of points taken back (an undo or refund at the till, a webshop refund), for the
    settlement: cumulative like the points themselves — floor(campaign points × points taken back in all ÷ points
    awarded) less what earlier take-backs gave back — so never more than was given, and all of it once all the
    points are back."""
    if points <= 0:
        return 0
    return campaign_points * taken_in_all // points - given_back_before


def campaign_extra(
    *, campaigns, member_pass: Pass, merchant, earning_cents: int, base_points: int, now: datetime
) -> tuple[Campaign | None, int]:
    """The best of `campaigns` (from `active_campaigns`) for this purchase and its extra points, or (None, 0).

    Multiplier: base_points × (multiplier − 1); bonus: a fixed number; only from `min_amount_cents` of the
    amount paid in money (`earning_cents`). Not stacked. A segment campaign counts only if the member is in
    the segment (consent-gated; two queries, asked only of campaigns that would beat the best so far).
    The daily cap is the caller's. A campaign with an unknown segment is skipped and logged, never fatal.
    """
    candidates = []
    for campaign in campaigns:
        if not (campaign.is_active and campaign.starts_at <= now < campaign.ends_at):
            continue
        extra = campaign_points(campaign, earning_cents=earning_cents, base_points=base_points)
        if extra > 0:
            candidates.append((-extra, campaign.ends_at, campaign.pk, campaign))
    for minus_extra, _ends_at, _pk, campaign in sorted(candidates, key=lambda row: row[:3]):
        if campaign.segment:
            try:
                if not is_in_segment(member_pass, campaign.segment, now=now):
                    continue
            except UnknownSegment:
                logger.error("Campaign %s has an unknown segment %r: skipped", campaign.pk, campaign.segment)
                continue
        return campaign, -minus_extra
    return None, 0


def _campaign_merchants(campaign: Campaign) -> list:
    """The merchants a campaign's vouchers are valid at: its merchants and those of its sectors (empty: all)."""
    merchants = list(campaign.merchants.all())
    if campaign.sectors:
        chosen = {merchant.pk for merchant in merchants}
        merchants += [
            merchant
            for merchant in Merchant.objects.filter(area_id=campaign.area_id, sector__in=campaign.sectors)
            if merchant.pk not in chosen
        ]
    return merchants


def voucher_refusal(campaign: Campaign, *, now: datetime) -> str:
    """Why the campaign hands out no vouchers (any more), or "". A cancelled one: members were told it will not
    happen (`end_campaign`), so vouchers in its name would say otherwise. One that has ended: its vouchers would
    count towards a campaign whose effect is already being measured, after its period (the campaign pages offer
    vouchers only while a campaign is upcoming or running)."""
    if not campaign.is_active:
        return _("This campaign was cancelled, so it hands out no vouchers. Make a new campaign instead.")
    if campaign.ends_at <= now:
        return _("This campaign has ended, so it hands out no more vouchers. Make a new campaign instead.")
    return ""


def issue_campaign_vouchers(
    *,
    campaign: Campaign,
    kind: str,
    value_cents: int = 0,
    percent: int = 0,
    max_discount_cents: int | None = None,
    valid_days: int,
    by,
    now: datetime | None = None,
    batch: str = "1",
) -> int:
    """A voucher per pass the campaign aims at (its segment's consenting members; without a segment, every
    active pass of the area), valid at the campaign's merchants for `valid_days`. Returns how many were new.

    Idempotent per campaign, pass and `batch`: running it again (or concurrently: the campaign row is locked)
    only adds vouchers for passes that had none of this batch, e.g. new members. `loyalty.issue_vouchers` on the
    area. Not for a campaign that was cancelled or has ended (`voucher_refusal`). Raises NotAllowed, InvalidVoucher,
    UnknownSegment.
    """
    if not can(by, "loyalty.issue_vouchers", campaign.area):
        raise NotAllowed()
    now = now or timezone.now()
    closed = voucher_refusal(Campaign.objects.get(pk=campaign.pk), now=now)
    if closed:
        raise InvalidVoucher(closed)
    if not isinstance(valid_days, int) or valid_days < 1:
        raise InvalidVoucher(errors={"valid_days": ["valid_days >= 1"]})
    expires_at = now + timedelta(days=valid_days)
    merchants = _campaign_merchants(campaign)
    validate_voucher_terms(
        area=campaign.area,
        kind=kind,
        value_cents=value_cents,
        percent=percent,
        max_discount_cents=max_discount_cents,
        valid_from=now,
        expires_at=expires_at,
        merchants=merchants,
    )
    # A merchant-funded campaign at one merchant: that merchant pays for its vouchers too.
    funder = merchants[0] if campaign.funded_by == Funder.MERCHANT and len(merchants) == 1 else None
    if campaign.segment:
        targets = passes_in_segment(campaign.area, campaign.segment, now=now)
    else:
        targets = Pass.objects.filter(area_id=campaign.area_id, status=PassStatus.ACTIVE)
    issued = 0
    with transaction.atomic():
        # Serialises runs for one campaign: the second finds the first one's keys and adds nothing.
        Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        pass_ids = list(targets.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(pass_ids), ISSUE_CHUNK):
            keys = {
                derived_key(f"campaign-voucher:{campaign.pk}:{pass_id}:{batch}"): pass_id
                for pass_id in pass_ids[start : start + ISSUE_CHUNK]
            }
            existing = set(Voucher.objects.filter(request_key__in=keys).values_list("request_key", flat=True))
            vouchers = Voucher.objects.bulk_create(
                Voucher(
                    area_id=campaign.area_id,
                    code=new_voucher_code(),
                    member_pass_id=pass_id,
                    kind=kind,
                    value_cents=value_cents,
                    percent=percent,
                    max_discount_cents=max_discount_cents if kind == VoucherKind.PERCENT else None,
                    campaign=campaign,
                    funded_by_merchant=funder,
                    valid_from=now,
                    expires_at=expires_at,
                    issued_at=now,
                    issued_by=by,
                    request_key=key,
                )
                for key, pass_id in keys.items()
                if key not in existing
            )
            if merchants:
                through = Voucher.merchants.through
                links = [through(voucher_id=v.pk, merchant_id=m.pk) for v in vouchers for m in merchants]
                through.objects.bulk_create(links)
            issued += len(vouchers)
    return issued


# --- Running campaigns ----------------------------------------------------------------------------------------

MANAGE_ACTION = "loyalty.manage_campaigns"

#: What `save_campaign` takes, with a new campaign's value when it is not given.
CAMPAIGN_FIELDS = {
    "name": "",
    "description": "",
    "name_en": "",
    "description_en": "",
    "starts_at": None,
    "ends_at": None,
    "kind": CampaignKind.MULTIPLIER,
    "multiplier_permille": None,
    "bonus_points": None,
    "min_amount_cents": 0,
    "merchants": (),
    "sectors": (),
    "segment": "",
    "funded_by": Funder.COLLECTIVE,
    "is_active": True,
}
#: What may still change once a campaign has started: nothing that decided the points it gave.
CHANGEABLE_AFTER_START = frozenset({"name", "description", "name_en", "description_en", "ends_at"})
#: ×10, as the model's constraint allows.
MAX_MULTIPLIER_PERMILLE = 10_000
#: A multiplier goes in steps of 0.05 (×1.25, ×1.5): the extra points are rounded down per purchase
#: (`campaign_points`), so ×1.001 would give nothing below 1000 points, and ×1.05 gives one from 20.
MULTIPLIER_STEP_PERMILLE = 50


def campaign_values(campaign: Campaign) -> dict:
    """A stored campaign's values as `save_campaign` takes them (merchants as a list of Merchant)."""
    values = {name: getattr(campaign, name) for name in CAMPAIGN_FIELDS if name != "merchants"}
    values["merchants"] = list(campaign.merchants.all())
    values["sectors"] = list(campaign.sectors or [])
    return values


def _comparable(name: str, value):
    if name == "merchants":
        return {merchant.pk for merchant in value}
    if name == "sectors":
        return set(value or [])
    return value


def has_started(campaign: Campaign, *, now: datetime) -> bool:
    """Has the campaign (possibly) given points? From then on its terms are fixed (`CHANGEABLE_AFTER_START`)."""
    return campaign.pk is not None and campaign.starts_at <= now


def is_cancelled(campaign: Campaign, *, now: datetime) -> bool:
    """Was the campaign switched off before it started (`end_campaign`)? It never gives points, and never changes."""
    return campaign.pk is not None and not campaign.is_active and not has_started(campaign, now=now)


def check_campaign(*, area, campaign: Campaign | None = None, now: datetime | None = None, **fields) -> dict:
    """The rules of a campaign's terms, and of changing one that has started; reads only. Returns the values the
    campaign would have (the stored ones, or a new campaign's defaults, with `fields` over them).

    Raises InvalidCampaign with `errors` per field (the names of `CAMPAIGN_FIELDS`, and "area").
    """
    unknown = set(fields) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown campaign fields: {sorted(unknown)}")
    now = now or timezone.now()
    stored = campaign_values(campaign) if campaign is not None else dict(CAMPAIGN_FIELDS)
    values = {**stored, **fields}
    values.update(
        name=(values["name"] or "").strip(),
        description=(values["description"] or "").strip(),
        name_en=(values["name_en"] or "").strip(),
        description_en=(values["description_en"] or "").strip(),
        merchants=list(values["merchants"] or []),
        sectors=list(values["sectors"] or []),
        segment=values["segment"] or "",
        min_amount_cents=values["min_amount_cents"] or 0,
    )
    errors: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if campaign is not None and campaign.area_id != area.pk:
        refuse("area", _("A campaign stays in its shopping area."))
    if campaign is not None and is_cancelled(campaign, now=now):
        # Members and merchants were told it will not happen: a campaign that starts after all is a new one.
        refuse(
            "is_active", _("This campaign was cancelled, so it cannot change any more. Make a new campaign instead.")
        )
        raise InvalidCampaign(errors=errors)
    if not values["name"]:
        refuse("name", _("Give the campaign a name."))
    elif len(values["name"]) > Campaign._meta.get_field("name").max_length:
        refuse("name", _("The name is too long."))
    if len(values["name_en"]) > Campaign._meta.get_field("name_en").max_length:
        refuse("name_en", _("The name is too long."))
    if campaign is not None and has_started(campaign, now=now):
        _check_started(stored, values, now=now, refuse=refuse)
    else:
        _check_terms(area, values, now=now, refuse=refuse)
    if errors:
        raise InvalidCampaign(errors=errors)
    return values


def _check_started(stored: dict, values: dict, *, now: datetime, refuse) -> None:
    # Points were given under these terms (and the settlement charges them to the funder): changing them now would
    # rewrite what members and merchants were told and paid, so they are fixed. The end may move, not into the past.
    for name in CAMPAIGN_FIELDS:
        if name not in CHANGEABLE_AFTER_START and _comparable(name, values[name]) != _comparable(name, stored[name]):
            refuse(name, _("This cannot change any more: the campaign has started and points were given under it."))
    ends_at = values["ends_at"]
    if ends_at == stored["ends_at"]:
        return
    if stored["ends_at"] <= now or not stored["is_active"]:
        refuse("ends_at", _("This campaign has ended. Start a new campaign instead."))
    elif ends_at is None:
        refuse("ends_at", _("Enter when the campaign ends."))
    elif ends_at <= now:
        refuse("ends_at", _("The end cannot be in the past. To stop the campaign now, end it."))


def _check_terms(area, values: dict, *, now: datetime, refuse) -> None:
    starts_at, ends_at = values["starts_at"], values["ends_at"]
    if starts_at is None:
        refuse("starts_at", _("Enter when the campaign starts."))
    elif starts_at < timezone.localtime(now, area.tz).replace(hour=0, minute=0, second=0, microsecond=0):
        # Points already given are never recalculated: a start before today would promise what nobody got.
        refuse("starts_at", _("A campaign cannot start in the past: the earliest is today."))
    if ends_at is None:
        refuse("ends_at", _("Enter when the campaign ends."))
    elif starts_at is not None and ends_at <= starts_at:
        refuse("ends_at", _("The campaign must end after it starts."))
    elif ends_at <= now:
        refuse("ends_at", _("The end cannot be in the past."))
    kind = values["kind"]
    if kind == CampaignKind.MULTIPLIER:
        permille = values["multiplier_permille"]
        if not isinstance(permille, int) or not 1000 < permille <= MAX_MULTIPLIER_PERMILLE:
            refuse(
                "multiplier_permille", _("A multiplier campaign needs a factor above 1 and at most 10 (×1.5, ×2, ×3).")
            )
        elif permille % MULTIPLIER_STEP_PERMILLE:
            refuse(
                "multiplier_permille",
                _(
                    "A multiplier goes in steps of 0.05, such as ×1.25 or ×1.5: a finer one gives no extra points on"
                    " most purchases."
                ),
            )
        values["bonus_points"] = 0
    elif kind == CampaignKind.BONUS:
        if not isinstance(values["bonus_points"], int) or values["bonus_points"] <= 0:
            refuse("bonus_points", _("A bonus campaign needs a number of bonus points."))
        values["multiplier_permille"] = 1000
    else:
        refuse("kind", _("Choose a multiplier or a fixed bonus."))
    if not isinstance(values["min_amount_cents"], int) or values["min_amount_cents"] < 0:
        refuse("min_amount_cents", _("The smallest purchase cannot be negative."))
    if any(merchant.area_id != area.pk for merchant in values["merchants"]):
        refuse("merchants", _("Choose merchants of the campaign's shopping area."))
    if any(code not in Sector.values for code in values["sectors"]):
        refuse("sectors", _("Choose one of the sectors."))
    if values["segment"]:
        try:
            get_segment(values["segment"])
        except UnknownSegment:
            refuse("segment", _("Choose one of the groups of members."))
    if values["funded_by"] not in Funder.values:
        refuse("funded_by", _("Choose who pays for the extra points."))
    elif values["funded_by"] == Funder.MERCHANT and (not values["merchants"] or values["sectors"]):
        # The settlement charges each merchant its campaign points: only merchants who agreed may pay them. The
        # whole area or a sector takes in merchants nobody asked (also those who join later), so they are named.
        refuse(
            "funded_by",
            _(
                "A campaign the merchants pay for must name them: choose the merchants who agreed to pay (not the"
                " whole area, and no sectors)."
            ),
        )


@transaction.atomic
def save_campaign(*, area, by, campaign: Campaign | None = None, now: datetime | None = None, **fields) -> Campaign:
    """Create a campaign in `area` (no `campaign`), or change one: `fields` are those of `CAMPAIGN_FIELDS`, left
    out ones keep their value. The rules are `check_campaign`'s. The tills see the change within
    `loyalty.manage_campaigns` on the area. The tills see it at their next scan. Raises NotAllowed, InvalidCampaign.
    """
    if not can(by, MANAGE_ACTION, area):
        raise NotAllowed()
    now = now or timezone.now()
    if campaign is not None:
        # The stored row, locked: the caller's instance may carry unsaved values already (the admin's form sets
        # them), and two people saving at once are checked one after the other.
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    values = check_campaign(area=area, campaign=campaign, now=now, **fields)
    merchants = values.pop("merchants")
    if campaign is None:
        campaign = Campaign(area=area, created_by=by, created_at=now)
    for name, value in values.items():
        setattr(campaign, name, value)
    campaign.save()
    campaign.merchants.set(merchants)
    campaigns_changed(area.pk)
    return campaign


@transaction.atomic
def end_campaign(*, campaign: Campaign, by, now: datetime | None = None) -> Campaign:
    """End a running campaign now (its end moves to `now`; points given stay). One that has not started yet is
    switched off instead, so it never starts; one that has ended already is left as it is (a second click).
    The tills see it at their next scan. `loyalty.manage_campaigns` on the area. Raises NotAllowed.
    """
    if not can(by, MANAGE_ACTION, campaign.area):
        raise NotAllowed()
    now = now or timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if not campaign.is_active or campaign.ends_at <= now:
        return campaign
    if campaign.starts_at >= now:
        campaign.is_active = False
        campaign.save(update_fields=["is_active"])
    else:
        campaign.ends_at = now
        campaign.save(update_fields=["ends_at"])
    campaigns_changed(campaign.area_id)
    return campaign

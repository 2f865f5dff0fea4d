"""Campaigns: which apply to a purchase, the extra points of the best one, vouchers for a campaign's members.

One campaign per purchase, never stacked: the one that gives the most extra points (ties: the one ending
first, then the oldest). A campaign with a segment counts only for members in that segment, and segments
only ever hold members who consent to marketing (`segments`), so withdrawing consent ends targeted offers.

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

from accounts.permissions import can
from areas.models import Merchant

from ..exceptions import InvalidVoucher, NotAllowed, UnknownSegment
from ..models import Campaign, CampaignKind, Funder, Pass, PassStatus, Voucher, VoucherKind
from ..segments import is_in_segment, passes_in_segment
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


#: How long the till keeps an area's list of running campaigns (seconds): a new or changed campaign reaches the
#: tills within this time. Each campaign's own period is still checked per purchase (`campaign_extra`).
CAMPAIGN_CACHE_SECONDS = 60


def campaigns_for_till(*, area_id: int, merchant, now: datetime) -> list[Campaign]:
    """`active_campaigns` as the till reads it on every scan: cached per merchant for up to a minute.

    The list is the campaigns running at the start of the minute or starting within it; `campaign_extra`
    then keeps only those running at the purchase's own time, so a campaign starts and ends on the second.
    """
    bucket = int(now.timestamp()) // CAMPAIGN_CACHE_SECONDS * CAMPAIGN_CACHE_SECONDS
    key = f"loyalty:campaigns:{area_id}:{merchant.pk}:{bucket}"
    campaigns = cache.get(key)
    if campaigns is None:
        start = datetime.fromtimestamp(bucket, tz=UTC)
        campaigns = active_campaigns(
            area_id=area_id, merchant=merchant, now=start, until=start + timedelta(seconds=CAMPAIGN_CACHE_SECONDS)
        )
        cache.set(key, campaigns, CAMPAIGN_CACHE_SECONDS)
    return campaigns


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
    area. Raises NotAllowed, InvalidVoucher, UnknownSegment.
    """
    if not can(by, "loyalty.issue_vouchers", campaign.area):
        raise NotAllowed()
    now = now or timezone.now()
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

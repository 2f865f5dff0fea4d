"""Helpers of the rewards, vouchers, campaigns and segments tests: state made through the real services."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from loyalty.models import Campaign, CampaignKind, Reward
from loyalty.services import adjust_points
from privacy.models import CollectionMethod
from privacy.services import give_consent, withdraw_consent

from .factories import manager_for, rules_for


def give_points(member_pass, points: int, *, now: datetime) -> None:
    """A manager's correction: the simplest way to put points on a pass."""
    rules_for(member_pass.area, adjustment_approval_threshold=1_000_000)
    adjust_points(
        pass_id=member_pass.pk,
        points=points,
        reason="test",
        by=manager_for(member_pass.area),
        request_key=uuid.uuid4(),
        now=now,
    )
    member_pass.refresh_from_db()


def consent(member_pass, *, given: bool = True) -> None:
    """The member gives (or withdraws) consent to marketing in the pass's area, now."""
    record = give_consent if given else withdraw_consent
    record(
        subject=member_pass.member,
        area=member_pass.area,
        purpose_code="marketing",
        method=CollectionMethod.SETTINGS,
        language="en",
    )


def make_campaign(area, *, now: datetime, merchants=(), **fields) -> Campaign:
    values = {
        "name": "Double points",
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=7),
        "kind": CampaignKind.MULTIPLIER,
        "multiplier_permille": 2000,
        **fields,
    }
    campaign = Campaign.objects.create(area=area, **values)
    if merchants:
        campaign.merchants.set(merchants)
    return campaign


def make_reward(area, **fields) -> Reward:
    values = {"title": "Coffee", "cost_points": 100, "value_cents": 500, **fields}
    return Reward.objects.create(area=area, **values)

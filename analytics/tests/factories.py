"""Helpers for analytics tests: members with their consents, and visits made through the real till."""

from __future__ import annotations

from datetime import datetime
from itertools import count

from areas.tests.factories import UserFactory
from loyalty.tests.factories import PassFactory, award, cashier_for
from privacy.services import give_consent, withdraw_consent

_names = count(1)


def member(
    area,
    *,
    analytics: bool = True,
    share: bool = False,
    postcode: str = "",
    age_band: str = "",
    joined_at: datetime | None = None,
    **user_fields,
):
    """A member with a pass in the area and the consents asked for; returns (user, pass)."""
    n = next(_names)
    user = UserFactory(
        first_name=user_fields.pop("first_name", f"Lid{n}"),
        last_name=f"Achternaam{n}",
        email=f"lid{n}@example.org",
        **user_fields,
    )
    member_pass = PassFactory(area=area, member=user, postcode=postcode, age_band=age_band, now=joined_at)
    if analytics:
        give_consent(subject=user, area=area, purpose_code="analytics", method="settings", language="nl")
    if share:
        give_consent(subject=user, area=area, purpose_code="share_with_merchants", method="settings", language="nl")
    return user, member_pass


def withdraw(user, area, purpose: str = "analytics") -> None:
    withdraw_consent(subject=user, area=area, purpose_code=purpose, method="settings", language="nl")


class Till:
    """Scans at a merchant's till through loyalty's services (one cashier per merchant)."""

    def __init__(self):
        self._cashiers = {}

    def visit(self, merchant, member_pass, amount_cents: int, at: datetime):
        cashier = self._cashiers.get(merchant.pk)
        if cashier is None:
            cashier = self._cashiers[merchant.pk] = cashier_for(merchant)
        return award(merchant, member_pass, amount_cents, at=at, by=cashier)

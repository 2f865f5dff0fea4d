"""Factories and helpers for loyalty tests. State is set up through the real services where that is cheap."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import factory

from accounts.roles import Role
from areas.tests.factories import ShoppingAreaFactory, StaffMembershipFactory, UserFactory
from loyalty import services, totp
from loyalty.codes import qr_payload
from loyalty.models import LoyaltySettings, MerchantLoyalty, Pass, PointLot
from loyalty.services.ledger import LOTS_THAT_CAN_BE_TOLD
from privacy.services import give_consent
from privacy.tests.factories import with_totp


class PassFactory(factory.django.DjangoModelFactory):
    """A pass made by `services.join_pass` (with the area's welcome bonus, if any)."""

    class Meta:
        model = Pass

    area = factory.SubFactory(ShoppingAreaFactory)
    member = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class, *, area, member, **profile):
        return services.join_pass(user=member, area=area, **profile)


def recognisable(user, area):
    """The member consents to merchants seeing their first name at the till (`share_with_merchants`)."""
    give_consent(subject=user, area=area, purpose_code="share_with_merchants", method="settings", language="nl")
    return user


def tell_of_expiry() -> None:
    """Run the daily notice job (`services.send_expiry_notices`) in time for every lot not announced yet, as it runs
    every day: points expire only once their member was told (`ledger._hold_untold`)."""
    while lot := (
        PointLot.objects.filter(LOTS_THAT_CAN_BE_TOLD, expiry_notified_at__isnull=True, remaining__gt=0)
        .select_related("member_pass")
        .order_by("expires_at", "pk")
        .first()
    ):
        notice = timedelta(days=LoyaltySettings.for_area(lot.member_pass.area_id).expiry_notice_days, hours=12)
        services.send_expiry_notices(now=max(lot.earned_at, lot.expires_at - notice))
        if PointLot.objects.filter(pk=lot.pk, expiry_notified_at__isnull=True).exists():
            raise AssertionError(f"The notice job did not tell the member of lot {lot.pk}")


def rules_for(area, **values) -> LoyaltySettings:
    """The area's loyalty settings, with `values` changed."""
    rules = LoyaltySettings.for_area(area)
    for name, value in values.items():
        setattr(rules, name, value)
    rules.save()
    return rules


def set_multiplier(merchant, permille: int) -> None:
    MerchantLoyalty.objects.update_or_create(merchant=merchant, defaults={"multiplier_permille": permille})


def cashier_for(merchant, role: str = Role.MERCHANT_STAFF):
    return StaffMembershipFactory(role=role, merchant=merchant).user


def manager_for(area):
    return StaffMembershipFactory(role=Role.AREA_MANAGER, area=area, merchant=None).user


def person_with(role, **scope):
    """A person holding `role` (in the area or at the merchant `scope` names) with a second factor, as every role
    holder needs before a staff page."""
    return with_totp(StaffMembershipFactory(role=role, **scope).user)


def qr(member_pass: Pass, at: datetime) -> str:
    """What the member's app shows at `at`, as the till's scanner reads it."""
    return qr_payload(member_pass.card_number, totp.code_at(member_pass.totp_secret, at))


def key() -> uuid.UUID:
    return uuid.uuid4()


def award(merchant, member_pass: Pass, amount_cents: int, *, at: datetime, by, code: str | None = None, **extra):
    """Scan the pass (a fresh code at `at`, unless `code` is given) and award points for the purchase."""
    return services.award_for_purchase(
        merchant=merchant,
        code=code if code is not None else qr(member_pass, at),
        amount_cents=amount_cents,
        request_key=extra.pop("request_key", None) or key(),
        by=by,
        now=at,
        **extra,
    )

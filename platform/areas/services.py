"""Writes for shopping areas, merchants, opening hours and staff roles: one transaction each.

Permission checks happen in the interfaces (views, API, admin); `by` is taken where the change must be
traceable to a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from itertools import pairwise

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.permissions import forget_memberships
from accounts.roles import AREA_ROLES, MERCHANT_ROLES, Role
from privacy.models import AuditAction
from privacy.services import log_access

from . import validators
from .exceptions import AreaInvalid, MerchantInvalid, OpeningHoursInvalid, RoleNotGrantable, RoleScopeMismatch
from .models import (
    ExceptionKind,
    Merchant,
    MerchantStatus,
    OpeningException,
    OpeningHours,
    ShoppingArea,
    StaffMembership,
)

DEFAULT_TIME_ZONE = {"NL": "Europe/Amsterdam", "BE": "Europe/Brussels"}

AREA_OPTIONAL_FIELDS = frozenset(
    {
        "languages",
        "tagline",
        "primary_colour",
        "accent_colour",
        "catchment_km",
        "suppression_k",
        "is_active",
        "site",
    }
)
AREA_EDITABLE_FIELDS = AREA_OPTIONAL_FIELDS | {
    "name",
    "slug",
    "time_zone",
    "pass_name",
    "collective_name",
    "collective_address",
    "privacy_email",
    "centre_latitude",
    "centre_longitude",
}

#: What a merchant's owner keeps up to date: how the shop presents itself.
MERCHANT_PROFILE_FIELDS = frozenset(
    {
        "trade_name",
        "street",
        "postcode",
        "city",
        "latitude",
        "longitude",
        "email",
        "phone",
        "website",
        "description",
        "description_en",
    }
)
#: The merchant's identity in the collective's books: changed by the area's manager only.
MERCHANT_REGISTRATION_FIELDS = frozenset(
    {"legal_name", "slug", "registration_number", "vat_number", "sector", "joined_on"}
)
MERCHANT_EDITABLE_FIELDS = MERCHANT_PROFILE_FIELDS | MERCHANT_REGISTRATION_FIELDS


# --- Areas --------------------------------------------------------------------------------------------


@transaction.atomic
def create_area(
    *,
    name: str,
    slug: str,
    country: str,
    pass_name: str,
    collective_name: str,
    collective_address: str,
    privacy_email: str,
    centre_latitude,
    centre_longitude,
    time_zone: str = "",
    by=None,
    **optional,
) -> ShoppingArea:
    """Create a shopping area; the time zone defaults to the country's. Raises AreaInvalid with errors per field."""
    _refuse_unknown(optional, AREA_OPTIONAL_FIELDS)
    area = ShoppingArea(
        name=name.strip(),
        slug=slug.strip(),
        country=country,
        time_zone=time_zone or DEFAULT_TIME_ZONE.get(country, ""),
        pass_name=pass_name.strip(),
        collective_name=collective_name.strip(),
        collective_address=collective_address.strip(),
        privacy_email=privacy_email.strip(),
        centre_latitude=centre_latitude,
        centre_longitude=centre_longitude,
        **optional,
    )
    _full_clean(area, AreaInvalid)
    area.save()
    return area


@transaction.atomic
def update_area(*, area: ShoppingArea, by=None, **changes) -> ShoppingArea:
    """Change an area's details (not its country: merchants' numbers were checked against it). Raises AreaInvalid."""
    _refuse_unknown(changes, AREA_EDITABLE_FIELDS)
    area = ShoppingArea.objects.select_for_update().get(pk=area.pk)
    for field, value in changes.items():
        setattr(area, field, value.strip() if isinstance(value, str) else value)
    _full_clean(area, AreaInvalid)
    area.save()
    return area


# --- Merchants ----------------------------------------------------------------------------------------


@transaction.atomic
def create_merchant(
    *,
    area: ShoppingArea,
    trade_name: str,
    legal_name: str,
    registration_number: str,
    sector: str,
    street: str,
    postcode: str,
    city: str,
    slug: str = "",
    by=None,
    **optional,
) -> Merchant:
    """Admit a merchant to the area's collective, with its numbers normalised (KvK/KBO, VAT, postcode).

    The slug defaults to one made from the trade name, unique in the area. Raises MerchantInvalid per field.
    """
    _refuse_unknown(optional, MERCHANT_EDITABLE_FIELDS)
    fields = _normalised(
        area.country,
        {
            "trade_name": trade_name,
            "legal_name": legal_name,
            "registration_number": registration_number,
            "sector": sector,
            "street": street,
            "postcode": postcode,
            "city": city,
            **optional,
        },
    )
    merchant = Merchant(area=area, **fields)
    merchant.slug = slugify(slug) if slug else _free_slug(area, trade_name)
    _validate_merchant(merchant)
    merchant.save()
    return merchant


@transaction.atomic
def update_merchant(*, merchant: Merchant, by=None, **changes) -> Merchant:
    """Change a merchant's details (not its area or status: see set_merchant_status). Raises MerchantInvalid."""
    _refuse_unknown(changes, MERCHANT_EDITABLE_FIELDS)
    merchant = Merchant.objects.select_for_update().select_related("area").get(pk=merchant.pk)
    for field, value in _normalised(merchant.area.country, changes).items():
        setattr(merchant, field, value)
    _validate_merchant(merchant)
    merchant.save()
    return merchant


@transaction.atomic
def set_merchant_status(*, merchant: Merchant, status: str, left_on: dt.date | None = None, by=None) -> Merchant:
    """Pause, reactivate or record that a merchant left the collective (leaving needs `left_on`).

    Leaving ends every staff role at the merchant: its people no longer see the collective's data.
    """
    merchant = Merchant.objects.select_for_update().select_related("area").get(pk=merchant.pk)
    if status not in MerchantStatus.values:
        raise MerchantInvalid(errors={"status": [_("Unknown status.")]})
    if status == MerchantStatus.LEFT:
        if left_on is None:
            raise MerchantInvalid(errors={"left_on": [_("Enter the date the merchant left.")]})
        if merchant.joined_on and left_on < merchant.joined_on:
            raise MerchantInvalid(errors={"left_on": [_("A merchant cannot leave before joining.")]})
    elif left_on is not None:
        raise MerchantInvalid(errors={"left_on": [_("Only a merchant who left has a leaving date.")]})
    merchant.status = status
    merchant.left_on = left_on
    merchant.save(update_fields=["status", "left_on", "updated_at"])
    if status == MerchantStatus.LEFT:
        _end_memberships(StaffMembership.objects.active().filter(merchant=merchant), by=by)
    return merchant


def _normalised(country: str, fields: dict) -> dict:
    """Strip text and bring the registration, VAT and postcode to their stored form."""
    out = {key: value.strip() if isinstance(value, str) else value for key, value in fields.items()}
    if "registration_number" in out:
        normalise = validators.normalise_kvk if country == "NL" else validators.normalise_enterprise_number
        out["registration_number"] = normalise(out["registration_number"])
    if out.get("vat_number"):
        vat = validators.normalise_vat(out["vat_number"])
        if country == "BE" and vat.isdigit():  # an enterprise number typed without its BE prefix
            vat = "BE" + validators.normalise_enterprise_number(vat)
        out["vat_number"] = vat
    if "postcode" in out:
        out["postcode"] = validators.normalise_postcode(out["postcode"], country=country)
    return out


def _validate_merchant(merchant: Merchant) -> None:
    # The two unique constraints span several columns, so Django would report them without a field;
    # they are checked here to point at the field (the constraints still catch a concurrent insert).
    errors: dict[str, list] = {}
    try:
        merchant.full_clean(validate_constraints=False)
    except ValidationError as error:
        errors = dict(error.message_dict)
    others = Merchant.objects.filter(area_id=merchant.area_id).exclude(pk=merchant.pk)
    if merchant.slug and others.filter(slug=merchant.slug).exists():
        errors.setdefault("slug", []).append(_("Another merchant in this area already uses this slug."))
    if others.filter(registration_number=merchant.registration_number, street=merchant.street).exists():
        errors.setdefault("registration_number", []).append(
            _("This business is already registered at this address in this area.")
        )
    if errors:
        raise MerchantInvalid(_("The merchant's details are not valid."), errors=errors)


def _free_slug(area: ShoppingArea, trade_name: str) -> str:
    base = slugify(trade_name)[:72] or "merchant"
    taken = set(Merchant.objects.filter(area=area, slug__startswith=base).values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- Opening hours ------------------------------------------------------------------------------------

Week = Mapping[int, Iterable[tuple[dt.time, dt.time]]]


def check_week(week: Week) -> dict[int, list[tuple[dt.time, dt.time]]]:
    """The week in order, or OpeningHoursInvalid keyed by weekday: weekdays 0–6, each period opens before it
    closes (no periods past midnight), and periods on a day do not overlap."""
    errors: dict[int, list[str]] = {}
    checked: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, periods in week.items():
        if weekday not in range(7):
            errors.setdefault(weekday, []).append(_("A weekday is a number from 0 (Monday) to 6 (Sunday)."))
            continue
        ordered = sorted(periods)
        for opens, closes in ordered:
            if opens >= closes:
                errors.setdefault(weekday, []).append(
                    _("%(opens)s–%(closes)s: the closing time must come after the opening time.")
                    % {"opens": f"{opens:%H:%M}", "closes": f"{closes:%H:%M}"}
                )
        for (_opens, closes), (next_opens, _closes) in pairwise(ordered):
            if next_opens < closes:
                errors.setdefault(weekday, []).append(_("Two opening periods on this day overlap."))
        checked[weekday] = ordered
    if errors:
        raise OpeningHoursInvalid(_("The opening hours are not valid."), errors=errors)
    return checked


@transaction.atomic
def set_opening_hours(*, merchant: Merchant, week: Week, by=None) -> list[OpeningHours]:
    """Replace the merchant's regular week; weekdays left out are closed. Raises OpeningHoursInvalid."""
    checked = check_week(week)
    # The lock serialises two editors saving at once, so the week is one person's, never a mix of both.
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
    OpeningHours.objects.filter(merchant=merchant).delete()
    return OpeningHours.objects.bulk_create(
        OpeningHours(merchant=merchant, weekday=weekday, opens_at=opens, closes_at=closes)
        for weekday, periods in sorted(checked.items())
        for opens, closes in periods
    )


@transaction.atomic
def add_opening_exception(
    *,
    date: dt.date,
    kind: str,
    area: ShoppingArea | None = None,
    merchant: Merchant | None = None,
    opens_at: dt.time | None = None,
    closes_at: dt.time | None = None,
    label: str = "",
    by=None,
) -> OpeningException:
    """Set the exception for one day, for a merchant or (without one) the whole area; it replaces an earlier
    exception for that day and scope. Closed days have no times; other kinds need both. Raises OpeningHoursInvalid.
    """
    if merchant is not None:
        if area is not None and area.pk != merchant.area_id:
            raise OpeningHoursInvalid(errors={"merchant": [_("This merchant is in another area.")]})
        area = merchant.area
    if area is None:
        raise TypeError("add_opening_exception needs an area or a merchant")
    errors: dict[str, list[str]] = {}
    if kind not in ExceptionKind.values:
        errors["kind"] = [_("Unknown kind of exception.")]
    elif kind == ExceptionKind.CLOSED:
        if opens_at or closes_at:
            errors[NON_FIELD_ERRORS] = [_("A closed day has no opening times.")]
    elif not (opens_at and closes_at):
        errors[NON_FIELD_ERRORS] = [_("Enter the opening and the closing time.")]
    elif opens_at >= closes_at:
        errors["closes_at"] = [_("The closing time must come after the opening time.")]
    if errors:
        raise OpeningHoursInvalid(_("The exception is not valid."), errors=errors)
    # update_or_create retries as an update when a concurrent request inserted the same day (unique constraint).
    exception, _created = OpeningException.objects.update_or_create(
        area=area,
        merchant=merchant,
        date=date,
        defaults={"kind": kind, "opens_at": opens_at, "closes_at": closes_at, "label": label.strip()},
    )
    return exception


@transaction.atomic
def remove_opening_exception(*, exception: OpeningException, by=None) -> None:
    """Drop an exception: the regular hours (or the area's exception) apply again that day."""
    OpeningException.objects.filter(pk=exception.pk).delete()


# --- Staff roles --------------------------------------------------------------------------------------


def resolve_role_scope(
    *, role: str, area: ShoppingArea | None = None, merchant: Merchant | None = None
) -> tuple[ShoppingArea | None, Merchant | None]:
    """The scope a role is held in: none for the platform admin, an area for area roles, a merchant (and its
    area) for merchant roles. Raises RoleScopeMismatch keyed by the field at fault."""
    if role not in Role.values:
        raise RoleScopeMismatch(errors={"role": [_("Unknown role.")]})
    if role in MERCHANT_ROLES:
        if merchant is None:
            raise RoleScopeMismatch(errors={"merchant": [_("A merchant role needs its merchant.")]})
        if area is not None and area.pk != merchant.area_id:
            raise RoleScopeMismatch(errors={"area": [_("This merchant belongs to another area.")]})
        return merchant.area, merchant
    if merchant is not None:
        raise RoleScopeMismatch(errors={"merchant": [_("This role is not held for a merchant.")]})
    if role in AREA_ROLES:
        if area is None:
            raise RoleScopeMismatch(errors={"area": [_("An area role needs its area.")]})
        return area, None
    if area is not None:
        raise RoleScopeMismatch(errors={"area": [_("The platform admin role is held for the whole platform.")]})
    return None, None


#: Callables `listener(user=…)` run inside the transaction that granted or ended a role (`on_role_change`).
_ROLE_LISTENERS: list[Callable] = []


def on_role_change(listener: Callable) -> None:
    """Register a function called with `user=` in the same transaction whenever a role of that person is
    granted or ended: the website gives area managers their site's Wagtail editor group this way, so that
    Wagtail's permissions and `accounts.permissions` cannot disagree after a commit."""
    if listener not in _ROLE_LISTENERS:
        _ROLE_LISTENERS.append(listener)


def roles_changed(user) -> None:
    """Tell the role listeners (`on_role_change`) that the person's roles changed: `grant_role` and `end_role` do;
    code that writes memberships in bulk (the demo's seed) calls it for each person afterwards."""
    forget_memberships(user)
    for listener in _ROLE_LISTENERS:
        listener(user=user)


@transaction.atomic
def grant_role(
    *, user, role: str, area: ShoppingArea | None = None, merchant: Merchant | None = None, granted_by
) -> StaffMembership:
    """Give a person a role; granting one they already hold returns that membership (no duplicate).

    Raises RoleScopeMismatch for a scope that does not fit the role, RoleNotGrantable for an inactive account or
    a merchant that left the collective.
    """
    area, merchant = resolve_role_scope(role=role, area=area, merchant=merchant)
    if not user.is_active:
        raise RoleNotGrantable(_("This account is not active."))
    if merchant is not None:
        # Locked as set_merchant_status locks it: a grant cannot slip in after leaving ended the roles.
        merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
        if merchant.status == MerchantStatus.LEFT:
            raise RoleNotGrantable(_("This merchant has left the collective."))
    # The partial unique constraints make this safe when two requests grant the same role at once:
    # get_or_create falls back to reading the row the other request inserted.
    membership, created = StaffMembership.objects.get_or_create(
        user=user, role=role, area=area, merchant=merchant, ended_at=None, defaults={"granted_by": granted_by}
    )
    if created:
        # A role opens access to other people's data: who gave it is part of the audit trail.
        log_access(actor=granted_by, action=AuditAction.CHANGE, subject=user, obj=membership, fields=["role"])
        roles_changed(user)
    forget_memberships(user)
    return membership


@transaction.atomic
def end_role(*, membership: StaffMembership, by=None) -> StaffMembership:
    """End a membership now; ending an ended one changes nothing. The history is kept."""
    membership = StaffMembership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    if membership.ended_at is None:
        membership.ended_at = timezone.now()
        membership.ended_by = by
        membership.save(update_fields=["ended_at", "ended_by"])
        log_access(actor=by, action=AuditAction.CHANGE, subject=membership.user, obj=membership, fields=["ended_at"])
        roles_changed(membership.user)
    return membership


def _end_memberships(memberships, *, by) -> int:
    return memberships.update(ended_at=timezone.now(), ended_by=by)


# --- Helpers ------------------------------------------------------------------------------------------


def _refuse_unknown(fields: dict, allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Not editable here: {', '.join(sorted(unknown))}")


def _full_clean(instance, error_class) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        raise error_class(_("Some details are not valid."), errors=error.message_dict) from error

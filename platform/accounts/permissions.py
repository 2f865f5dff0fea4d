"""The one place that decides "may this user do X on this object".

Views, the API and the admin all ask `can(user, action, obj)` or filter lists through
`visible(user, action, queryset)`. Decisions rest on three things:

- the action, registered once with the roles that grant it (`register_action`);
- the object's scope — the area and merchant it belongs to — read from the model's
  `scope_area_path` / `scope_merchant_path` (lookup paths, "pk" for itself);
- the person's active staff memberships: area roles match objects of their area, merchant
  roles match objects of their merchant only.

A platform admin may do everything. An unknown action is an error, never a silent "yes".
Actions with `self_service=True` also allow a person to act on their own account.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.shortcuts import get_object_or_404

from .roles import AREA_ROLES, MERCHANT_ROLES, Role


@dataclass(frozen=True)
class Action:
    name: str
    roles: frozenset[Role]
    self_service: bool = False


_ACTIONS: dict[str, Action] = {}


def register_action(name: str, *, roles: set[Role] | frozenset[Role] = frozenset(), self_service: bool = False) -> None:
    """Declare an action and the roles that grant it. Domain apps call this from their AppConfig.ready()."""
    action = Action(name, frozenset(roles), self_service)
    if name in _ACTIONS and _ACTIONS[name] != action:
        raise ImproperlyConfigured(f"Permission action {name!r} is registered twice with different roles.")
    _ACTIONS[name] = action


def registered_actions() -> dict[str, Action]:
    return dict(_ACTIONS)


@dataclass(frozen=True)
class Scope:
    area_id: int | None
    merchant_id: int | None
    owner_id: int | None = None


def _resolve(obj: Model, path: str | None):
    if path is None:
        return None
    if path == "pk":
        return obj.pk
    value = obj
    parts = path.split("__")
    for part in parts[:-1]:
        value = getattr(value, part)
        if value is None:
            return None
    return getattr(value, f"{parts[-1]}_id")


def scope_of(obj: Model | None) -> Scope:
    """The area/merchant an object belongs to (and its owner, for a person's own records)."""
    if obj is None:
        return Scope(None, None)
    from django.contrib.auth import get_user_model

    if isinstance(obj, get_user_model()):
        return Scope(None, None, owner_id=obj.pk)
    # obj.__class__, not type(obj): a lazily resolved object (request.area) reports the class it wraps.
    model = obj.__class__
    try:
        area_path = model.scope_area_path
        merchant_path = model.scope_merchant_path
    except AttributeError as error:
        raise ImproperlyConfigured(
            f"{model.__name__} has no scope_area_path/scope_merchant_path: permissions cannot scope it."
        ) from error
    owner_path = getattr(model, "scope_owner_path", None)
    return Scope(_resolve(obj, area_path), _resolve(obj, merchant_path), _resolve(obj, owner_path))


def memberships_of(user) -> list:
    """The person's active memberships, read once per user object (i.e. once per request)."""
    cached = getattr(user, "_agora_memberships", None)
    if cached is None:
        cached = read_memberships(user)
    return cached


def read_memberships(user, **annotations) -> list:
    """Read the person's active memberships and keep them for `memberships_of`. `annotations` ride along on each
    row (the staff MFA check asks in the same query whether the person has a second factor)."""
    from areas.models import StaffMembership

    memberships = StaffMembership.objects.active().filter(user=user)
    if annotations:
        memberships = memberships.annotate(**annotations)
    user._agora_memberships = list(memberships.values("role", "area_id", "merchant_id", *annotations))
    return user._agora_memberships


def forget_memberships(user) -> None:
    """Drop the cached memberships after a role changed, so the next check reads them again."""
    user.__dict__.pop("_agora_memberships", None)


def is_platform_admin(user) -> bool:
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or any(m["role"] == Role.PLATFORM_ADMIN for m in memberships_of(user))


def has_staff_role(user) -> bool:
    """True for anyone who holds a role (and so must use a second factor)."""
    if not (user and user.is_authenticated):
        return False
    return user.is_superuser or user.is_staff or bool(memberships_of(user))


def _action(name: str) -> Action:
    try:
        return _ACTIONS[name]
    except KeyError as error:
        raise ImproperlyConfigured(f"Unknown permission action {name!r}: register it first.") from error


def can(user, action: str, obj: Model | None = None) -> bool:
    """May `user` do `action` on `obj`? (obj None: an action without an object, e.g. platform-wide.)"""
    rule = _action(action)
    if not (user and user.is_authenticated and user.is_active):
        return False
    if is_platform_admin(user):
        return True
    scope = scope_of(obj)
    if rule.self_service and scope.owner_id is not None and scope.owner_id == user.pk:
        return True
    for membership in memberships_of(user):
        if membership["role"] not in rule.roles:
            continue
        if membership["role"] in AREA_ROLES and scope.area_id is not None and membership["area_id"] == scope.area_id:
            return True
        if (
            membership["role"] in MERCHANT_ROLES
            and scope.merchant_id is not None
            and membership["merchant_id"] == scope.merchant_id
        ):
            return True
    return False


def require(user, action: str, obj: Model | None = None) -> None:
    """Raise PermissionDenied unless `can(user, action, obj)`."""
    if not can(user, action, obj):
        raise PermissionDenied


def visible(user, action: str, queryset: QuerySet) -> QuerySet:
    """Narrow a queryset to the rows `can(user, action, row)` would allow, in one query."""
    rule = _action(action)
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    if is_platform_admin(user):
        return queryset
    model = queryset.model
    area_path = getattr(model, "scope_area_path", None)
    merchant_path = getattr(model, "scope_merchant_path", None)
    owner_path = getattr(model, "scope_owner_path", None)
    conditions: list[Q] = []
    if rule.self_service and owner_path:
        conditions.append(Q(**{owner_path: user.pk}))
    for membership in memberships_of(user):
        if membership["role"] not in rule.roles:
            continue
        if membership["role"] in AREA_ROLES and area_path:
            conditions.append(Q(**{area_path: membership["area_id"]}))
        elif membership["role"] in MERCHANT_ROLES and merchant_path:
            conditions.append(Q(**{merchant_path: membership["merchant_id"]}))
    if not conditions:
        return queryset.none()
    return queryset.filter(reduce(or_, conditions))


def areas_where(user, action: str) -> set[int]:
    """Ids of the areas in which the user may do an area-scoped action (for navigation and filters)."""
    from areas.models import ShoppingArea

    return set(visible(user, action, ShoppingArea.objects.all()).values_list("pk", flat=True))


def get_for_action_or_404(user, action: str, queryset: QuerySet, *, view_action: str, **lookup) -> Model:
    """The object for `action`: 404 when the person may not even view it (its existence is not leaked), 403
    when they may view but not do `action`."""
    obj = get_object_or_404(visible(user, view_action, queryset), **lookup)
    require(user, action, obj)
    return obj

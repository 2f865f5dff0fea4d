"""Navigation that adapts to the person's roles. Domain apps add entries with `register_entry`.

An entry is work (the till, the desk, settlement…) or the person's own (`personal`: their account, pass, parcels,
orders). For someone who holds a role the personal entries fold under their name (`personal_menu`), so that a manager's
menu is their work; everyone else sees them in the menu itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from .permissions import can, has_staff_role, is_platform_admin


@dataclass(frozen=True)
class Entry:
    label: str | Promise
    url_name: str
    #: who sees it: a predicate on the request
    visible: Callable
    #: the person's own things rather than work
    personal: bool = False


_ENTRIES: list[Entry] = []


def register_entry(label, url_name: str, visible: Callable, *, personal: bool = False) -> None:
    if all(entry.url_name != url_name for entry in _ENTRIES):
        _ENTRIES.append(Entry(label, url_name, visible, personal))


def navigation_for(request) -> list[dict]:
    items = []
    for entry in _ENTRIES:
        try:
            if not entry.visible(request):
                continue
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append(
            {"label": entry.label, "url": url, "active": request.path.startswith(url), "personal": entry.personal}
        )
    return items


def personal_menu(request, items: list[dict]) -> list[dict]:
    """The personal entries of `items` that fold under the person's name: for someone who holds a role (whose menu is
    their work), and only beside work entries. Empty otherwise: the entries stay in the menu as they are."""
    personal = [item for item in items if item["personal"]]
    if len(personal) == len(items) or not has_staff_role(request.user):
        return []
    return personal


def for_signed_in(request) -> bool:
    return request.user.is_authenticated


def for_area_action(action: str) -> Callable:
    def visible(request) -> bool:
        area = getattr(request, "area", None)
        return bool(area) and can(request.user, action, area)

    return visible


def for_platform_admin(request) -> bool:
    return is_platform_admin(request.user)


def for_role_holder(request) -> bool:
    return has_staff_role(request.user)

"""Which part of the page tree an editor may see in the Wagtail admin: the trees they hold page permissions on.

Wagtail lets anyone with a page permission somewhere open every page's explorer and page chooser by id (it only
filters the listed children), and counts every site on the dashboard. An area's managers hold permissions on their
site's home pages (every language, `services.ensure_editor_group`); a platform admin on the tree's root, so their
reach is the whole tree. `cms.wagtail_hooks` and `cms.middleware` apply this to the admin's views.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from wagtail.models import Page
from wagtail.permissions import policy_registry


def editor_roots(user) -> list[Page] | None:
    """The tops of the trees the user edits; None for the whole tree (a superuser, or permissions on the root).
    Cached on the user object for the request, as Wagtail caches its own permission lookups."""
    if hasattr(user, "_agora_editor_roots"):
        return user._agora_editor_roots
    if not user.is_active:
        roots: list[Page] | None = []
    elif user.is_superuser:
        roots = None
    else:
        policy = policy_registry.get_by_type(Page)
        pages = list({page.pk: page for page in policy.instances_with_direct_explore_permission(user)}.values())
        roots = None if any(page.depth == 1 for page in pages) else pages
    user._agora_editor_roots = roots
    return roots


def sees_whole_tree(user) -> bool:
    return editor_roots(user) is None


def within_reach(user, pages: QuerySet) -> QuerySet:
    """The pages of the queryset inside the user's trees (the tops included)."""
    roots = editor_roots(user)
    if roots is None:
        return pages
    if not roots:
        return pages.none()
    return pages.filter(reduce(or_, (Q(path__startswith=root.path) for root in roots)))


def may_look_at(user, page: Page) -> bool:
    """A page inside the user's trees, or one on the way down to them (the tree's root)."""
    roots = editor_roots(user)
    if roots is None:
        return True
    return any(page.path.startswith(root.path) or root.path.startswith(page.path) for root in roots)

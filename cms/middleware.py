"""Keeps an area's editors inside their own site in the Wagtail admin's views that take a page by id.

Wagtail's explorer (/cms/pages/<id>/) and page chooser (/cms/choose-page/<id>/) open any page for anyone who may
explore somewhere, showing its title (even of another area's unpublished page), and its page types report counts
and names pages of every site. Those views have no hook to refuse; this refuses them before they run, the way
Wagtail refuses its own views (`wagtail.admin.auth.permission_denied`: back to the dashboard with "Sorry, you do not
have permission to access this area.", or 403 in a chooser's modal).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import get_language, override
from wagtail.admin.auth import permission_denied
from wagtail.models import Page

from .editor_scope import may_look_at, sees_whole_tree

#: Views showing the page given by `parent_page_id` and its children.
PAGE_BY_ID_VIEWS = {"wagtailadmin_explore", "wagtailadmin_explore_results", "wagtailadmin_choose_page_child"}
#: Reports over every site's pages, with no way to narrow them to the editor's own.
WHOLE_TREE_VIEWS = {"wagtailadmin_reports:page_types_usage", "wagtailadmin_reports:page_types_usage_results"}
#: Every view this middleware looks at; any other request (every till scan, every page) passes at one set lookup.
SCOPED_VIEWS = frozenset(PAGE_BY_ID_VIEWS | WHOLE_TREE_VIEWS)


class EditorScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is None or match.view_name not in SCOPED_VIEWS:
            return None
        user = request.user
        if not user.has_perm("wagtailadmin.access_admin"):
            return None  # Wagtail's own check sends them to the login, or refuses them the admin
        if match.view_name in WHOLE_TREE_VIEWS:
            allowed = sees_whole_tree(user)
        else:
            allowed = may_look_at(user, get_object_or_404(Page, pk=view_kwargs["parent_page_id"]))
        if allowed:
            return None
        # In the editor's admin language, as Wagtail's own views speak (its profile's choice).
        profile = getattr(user, "wagtail_userprofile", None)
        with override(profile.get_preferred_language() if profile else get_language()):
            return permission_denied(request)

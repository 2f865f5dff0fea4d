"""The Wagtail admin as an area's editors see it: their own site only (`editor_scope`; views that take a page by
id are refused in `cms.middleware`). A platform admin edits the whole tree and sees everything."""

from __future__ import annotations

from wagtail import hooks
from wagtail.admin.site_summary import PagesSummaryItem
from wagtail.models import Page, Site

from .editor_scope import editor_roots, sees_whole_tree, within_reach


@hooks.register("construct_page_chooser_queryset")
def only_own_pages_in_the_chooser(pages, request):
    """The page chooser (page fields, call-to-action blocks, rich-text links) browses and searches the editor's own
    site only: another area's pages, drafts and scheduled pages included, are neither listed nor found."""
    return within_reach(request.user, pages)


class OwnPagesSummaryItem(PagesSummaryItem):
    """The dashboard's page count: the editor's own pages, linked to their site's home."""

    def get_context_data(self, parent_context):
        roots = editor_roots(self.request.user)
        if roots is None:
            return super().get_context_data(parent_context)
        site = Site.objects.filter(root_page__in=roots).order_by("pk").first()
        return {
            "root_page": site.root_page if site else Page.get_first_root_node(),
            "total_pages": within_reach(self.request.user, Page.objects.all()).count(),
            "site_name": site.site_name if site else "",
        }


@hooks.register("construct_homepage_summary_items", order=100)  # after Wagtail's own items
def count_own_pages_on_the_dashboard(request, summary_items):
    for index, item in enumerate(summary_items):
        if type(item) is PagesSummaryItem:
            summary_items[index] = OwnPagesSummaryItem(request)


@hooks.register("construct_reports_menu")
def hide_reports_over_every_site(request, menu_items):
    # The page types report counts and names every site's pages (cms.middleware refuses it too).
    if not sees_whole_tree(request.user):
        menu_items[:] = [item for item in menu_items if item.name != "page-types-usage"]

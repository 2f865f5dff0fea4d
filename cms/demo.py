"""Demo data for the websites: each demo area's Wagtail site (found by areas.demo's autodiscovery)."""

from wagtail.models import Page, Site

from areas.demo import DemoContext, WipeScope, demo_step, demo_wipe
from areas.demo.shops import SITE_PORT
from areas.demo.towns import TOWNS

from .services import create_area_site


@demo_step(order=15, name="cms.sites")
def create_sites(ctx: DemoContext) -> None:
    """A site per demo area with its Dutch and English home page (Amersfoort is the default site)."""
    for town in TOWNS:
        create_area_site(
            area=ctx.areas[town.slug],
            hostname=town.hostname,
            port=SITE_PORT,
            is_default=town.is_default_site,
            intro=town.tagline,
        )


@demo_wipe(order=400, name="cms.sites")
def wipe_sites(scope: WipeScope) -> None:
    root_pages = Site.objects.filter(shopping_area__in=scope.area_ids).values_list("root_page_id", flat=True)
    for page in Page.objects.filter(pk__in=list(root_pages)):
        for translation in page.get_translations(inclusive=True):
            translation.delete()  # the page tree; its Site goes with it

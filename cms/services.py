"""Writes for the area websites."""

from __future__ import annotations

from django.db import transaction
from wagtail.models import Locale, Page, Site

from areas.models import ShoppingArea

from .models import HomePage


@transaction.atomic
def create_area_site(
    *, area: ShoppingArea, hostname: str, port: int = 80, is_default: bool = False, intro: str = ""
) -> Site:
    """Give an area its Wagtail Site with a Dutch home page and its English translation.

    Replaces Wagtail's placeholder site when this becomes the default site.
    """
    locale_nl, _created = Locale.objects.get_or_create(language_code="nl")
    # Wagtail's migrations make the tree's root; a flushed database (transactional tests) has none.
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root", locale=locale_nl))
    Locale.objects.get_or_create(language_code="en")
    home = root.add_child(
        instance=HomePage(title=area.name, slug=area.slug, intro=intro or area.tagline, locale=locale_nl)
    )
    home.save_revision().publish()
    if "en" in area.languages:
        translation = home.copy_for_translation(Locale.objects.get(language_code="en"))
        translation.save_revision().publish()
    if is_default:
        Site.objects.filter(is_default_site=True).update(is_default_site=False)
    site = Site.objects.create(
        hostname=hostname, port=port, root_page=home, site_name=area.name, is_default_site=is_default
    )
    # The placeholder that Wagtail's first migration creates has no use once areas have sites.
    Site.objects.filter(root_page__content_type__model="page", shopping_area__isnull=True).exclude(pk=site.pk).delete()
    ShoppingArea.objects.filter(pk=area.pk).update(site=site)
    area.site = site
    return site

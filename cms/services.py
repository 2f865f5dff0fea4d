"""Writes for the area websites: the sites, their editor groups, survey responses."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Locale,
    Page,
    ReferenceIndex,
    Site,
)

from accounts.roles import Role
from areas.models import ShoppingArea, StaffMembership

from .exceptions import TooManyResponses
from .models import EditorGroup, HomePage, SurveyResponse

#: What an area's editors may do on its page tree, and on its image and document collection.
PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
#: Model-wide permissions of every editor group: the admin, and making a page's English translation (Wagtail's
#: simple_translation checks it, then whether the editor may edit the page, so only their own site's pages).
EDITOR_PERMISSIONS = (("wagtailadmin", "access_admin"), ("simple_translation", "submit_translation"))
COLLECTION_PERMISSIONS = (
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
)
#: Survey answers accepted from one network address per area and hour (kept only as a salted hash, in the cache).
SURVEY_ANSWERS_PER_HOUR = 5


@transaction.atomic
def create_area_site(
    *, area: ShoppingArea, hostname: str, port: int = 80, is_default: bool = False, intro: str = ""
) -> Site:
    """Give an area its Wagtail Site with a Dutch home page and its English translation, and its editor group
    (the area's managers edit that tree only).

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
    remove_welcome_page()
    ShoppingArea.objects.filter(pk=area.pk).update(site=site)
    area.site = site
    ensure_editor_group(area=area)
    for membership in StaffMembership.objects.active().filter(role=Role.AREA_MANAGER, area=area).select_related("user"):
        sync_editor_groups(user=membership.user)
    return site


def remove_welcome_page() -> bool:
    """Delete the "Welcome to your new Wagtail site!" page Wagtail's first migration makes, once no site is rooted at
    it and nothing links to it or lies below it (it would show in the editors' tree and page chooser otherwise).
    Returns whether it was deleted."""
    placeholder = (
        Page.objects.filter(depth=2, numchild=0, content_type__app_label="wagtailcore", content_type__model="page")
        .filter(title="Welcome to your new Wagtail site!", sites_rooted_here__isnull=True)
        .first()
    )
    if placeholder is None or ReferenceIndex.get_references_to(placeholder).exists():
        return False
    placeholder.delete()
    return True


# --- Editors ------------------------------------------------------------------------------------------------


@transaction.atomic
def ensure_editor_group(*, area: ShoppingArea | None) -> Group:
    """The Wagtail group that edits the area's site (None: every site), with its permissions in place: the
    admin, translating pages, the page tree of the area's home page in every language, the area's image and
    document collection. Idempotent."""
    link = EditorGroup.objects.select_related("group").filter(area=area).first()
    if link is None:
        name = f"Website editors · {area.slug}" if area else "Website editors · all areas"
        group, _created = Group.objects.get_or_create(name=name)
        link = EditorGroup.objects.create(area=area, group=group)
    group = link.group
    for app_label, codename in EDITOR_PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    if area is None:
        roots = [Page.get_first_root_node()]
    elif area.site_id:
        home = Page.objects.get(sites_rooted_here__id=area.site_id)
        roots = list(home.get_translations(inclusive=True))
    else:
        roots = []
    page_permissions = Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=PAGE_PERMISSIONS)
    for page in roots:
        for permission in page_permissions:
            GroupPagePermission.objects.get_or_create(group=group, page=page, permission=permission)
    collection = _collection_for(area)
    for app_label, codename in COLLECTION_PERMISSIONS:
        permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
        GroupCollectionPermission.objects.get_or_create(group=group, collection=collection, permission=permission)
    return group


def _collection_for(area: ShoppingArea | None) -> Collection:
    # Wagtail's migrations make the root collection; a flushed database (transactional tests) has none.
    root = Collection.get_first_root_node() or Collection.add_root(name="Root")
    if area is None:
        return root
    existing = root.get_children().filter(name=area.name).first()
    return existing or root.add_child(name=area.name)


@transaction.atomic
def sync_editor_groups(*, user) -> None:
    """Make the person's Wagtail editor groups match their active roles: the area's group for each area they
    manage, the all-sites group for a platform admin, none otherwise. Called when a role is granted or ended
    (`areas.services.on_role_change`) and when a site is created."""
    memberships = StaffMembership.objects.active().filter(user=user, role__in=[Role.AREA_MANAGER, Role.PLATFORM_ADMIN])
    wanted: set[int] = set()
    for membership in memberships.select_related("area"):
        if membership.role == Role.PLATFORM_ADMIN:
            wanted.add(ensure_editor_group(area=None).pk)
        elif membership.area.site_id:
            wanted.add(ensure_editor_group(area=membership.area).pk)
    ours = set(EditorGroup.objects.values_list("group_id", flat=True))
    current = set(user.groups.filter(pk__in=ours).values_list("pk", flat=True))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))


# --- Scheduled publishing ---------------------------------------------------------------------------------


def publish_scheduled_pages() -> None:
    """Publish the pages (and other drafts) whose "go live" time has passed and unpublish those whose expiry time
    has: Wagtail's `publish_scheduled` command, run every minute by `tasks.publish_scheduled_pages_task`. Safe to
    run twice: a published revision is no longer scheduled, an unpublished page no longer live."""
    call_command("publish_scheduled")


# --- Feedback -----------------------------------------------------------------------------------------------


def _address_key(area: ShoppingArea, ip: str, hour: int) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:survey:{area.pk}:{hour}:{ip}".encode()).hexdigest()[:32]
    return f"cms:survey:{digest}"


def record_survey_response(
    *,
    area: ShoppingArea,
    page: Page | None,
    ip: str,
    rating: int,
    visit_date: dt.date,
    cleanliness: int | None = None,
    atmosphere: int | None = None,
    offer: int | None = None,
    accessibility: int | None = None,
    comment: str = "",
) -> SurveyResponse:
    """Store one survey answer (no personal data). Raises TooManyResponses past SURVEY_ANSWERS_PER_HOUR from one
    network address for this area, counted in the cache under a salted hash of the address (never stored)."""
    from django.utils import timezone

    key = _address_key(area, ip, int(timezone.now().timestamp() // 3600))
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) > SURVEY_ANSWERS_PER_HOUR:
        raise TooManyResponses
    response = SurveyResponse(
        area=area,
        page=page,
        rating=rating,
        cleanliness=cleanliness,
        atmosphere=atmosphere,
        offer=offer,
        accessibility=accessibility,
        comment=comment.strip(),
        visit_date=visit_date,
    )
    response.full_clean()
    response.save()
    return response

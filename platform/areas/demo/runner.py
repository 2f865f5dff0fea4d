"""Running the seed steps, and wiping what they made."""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils.module_loading import autodiscover_modules

from areas.models import Merchant, ShoppingArea

from .people import STAFF_DOMAIN
from .registry import (
    SIZES,
    DemoContext,
    DemoSeedError,
    DemoStep,
    WipeScope,
    demo_wipe,
    registered_steps,
    registered_wipes,
)
from .towns import DEMO_AREA_SLUGS


def discover_steps() -> None:
    """Import every installed app's `demo` module, so that its steps register (like admin.py)."""
    autodiscover_modules("demo")


def demo_users():
    """The demo accounts: staff logins at the staff domain, members at reserved `.example` domains."""
    return get_user_model().objects.filter(Q(email__iendswith=f"@{STAFF_DOMAIN}") | Q(email__iendswith=".example"))


def _refuse_in_production() -> None:
    if getattr(settings, "PRODUCTION", False):
        raise DemoSeedError("Demo data has known passwords: it is never seeded in production (AGORA_ENV=production).")


#: Steps below this order are the town itself (areas, sites, merchants, people, consents): they always run.
FOUNDATION_ORDER = 100


def _selected(step: DemoStep, only: Collection[str] | None) -> bool:
    """Whether `only` (module names like "loyalty", or step names like "analytics.sensors") asks for a step."""
    if only is None or step.order < FOUNDATION_ORDER:
        return True
    return any(step.name == name or step.name.startswith(f"{name}.") for name in only)


def seed_demo(
    *,
    seed: int,
    size: str,
    today: date,
    if_empty: bool = False,
    reset: bool = False,
    only: Collection[str] | None = None,
    log: Callable[[str], None] = print,
) -> DemoContext | None:
    """Seed the demo town in one transaction; None when `if_empty` found an area already there.

    `only` limits the steps after the foundation to those modules or steps (a test of one module's data
    needs neither the others' nor the analytics computed over them); a step must be listed with the steps it
    builds on. Raises DemoSeedError when demo data exists and neither `reset` nor `if_empty` was given.
    """
    _refuse_in_production()
    if size not in SIZES:
        raise DemoSeedError(f"Unknown size {size!r}: choose one of {', '.join(SIZES)}.")
    discover_steps()
    if if_empty and not reset and ShoppingArea.objects.exists():
        log("A shopping area exists already: nothing seeded (--if-empty).")
        return None
    ctx = DemoContext(seed=seed, size=SIZES[size], today=today, log=log)
    with transaction.atomic():
        if reset:
            wipe_demo(log=log)
        elif ShoppingArea.objects.filter(slug__in=DEMO_AREA_SLUGS).exists() or demo_users().exists():
            raise DemoSeedError("Demo data exists already: add --reset to replace it, or --if-empty to keep it.")
        for step in registered_steps():
            if not _selected(step, only):
                continue
            started = time.perf_counter()
            step.func(ctx)
            log(f"{step.name:<32} {time.perf_counter() - started:7.2f} s")
        started = time.perf_counter()
    # (PostgreSQL checks the deferred foreign keys of every inserted row here, at commit.)
    log(f"{'commit':<32} {time.perf_counter() - started:7.2f} s")
    return ctx


def wipe_demo(*, log: Callable[[str], None] = print) -> None:
    """Delete the demo areas with everything in them, and the demo accounts."""
    _refuse_in_production()
    discover_steps()
    scope = WipeScope(
        area_ids=list(ShoppingArea.objects.filter(slug__in=DEMO_AREA_SLUGS).values_list("pk", flat=True)),
        users=demo_users(),
    )
    with transaction.atomic():
        for wipe in registered_wipes():
            started = time.perf_counter()
            wipe.func(scope)
            log(f"wipe {wipe.name:<27} {time.perf_counter() - started:7.2f} s")


# --- The areas' own wipes: run last (lowest order), after the modules built on them -------------------


def delete_append_only(model, condition: Q) -> int:
    """Delete rows of an append-only model (consent events, audit entries) — for the demo only.

    Evidence is never deleted in normal operation: the model's manager refuses it, and on
    PostgreSQL a trigger may too. Demo evidence about invented people is the one exception, so
    this goes around both: a plain DELETE, with the table's own triggers off for the transaction.
    """
    pks = model._base_manager.filter(condition).values("pk")  # the base manager has no guard
    try:
        sql, params = pks.query.sql_with_params()
    except EmptyResultSet:  # the condition matches nothing (e.g. no demo areas yet)
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({sql})", params)
            return cursor.rowcount
        # ALTER TABLE refuses while deferred foreign-key checks are pending on the table: run them
        # now, and keep them immediate until the triggers are back (restored to deferred after).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({sql})", params)
        deleted = cursor.rowcount
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return deleted


def delete_many(queryset) -> int:
    """Delete many rows (100,000 demo members) in one statement, after what refers to them.

    Django's own delete() loads every row and walks its relations row batch by row batch: a minute
    for the large demo. Here each relation is handled once, by a query over all the rows: CASCADE
    deletes, SET_NULL clears, PROTECT/RESTRICT must already be empty (a module whose rows protect
    demo people registers a `demo_wipe`). Signals are not sent for the rows deleted at the end.
    """
    model = queryset.model
    pks = queryset.values("pk")
    for relation in model._meta.get_fields(include_hidden=True):
        if not (relation.auto_created and not relation.concrete) or relation.many_to_many:
            continue  # many-to-many tables come through their own foreign keys, which are listed too
        field, related = relation.field, relation.related_model
        referring = related._base_manager.filter(**{f"{field.name}__in": pks})
        if relation.on_delete is models.CASCADE:
            referring.delete()
        elif relation.on_delete is models.SET_NULL:
            referring.update(**{field.name: None})
        elif relation.on_delete is models.DO_NOTHING:
            continue
        elif referring.exists():
            raise DemoSeedError(
                f"{related._meta.label}.{field.name} still refers to demo {model._meta.verbose_name_plural}: "
                "its module must register a demo_wipe that removes those rows first."
            )
    try:
        sql, params = pks.query.sql_with_params()
    except EmptyResultSet:  # nothing to delete
        return 0
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({sql})", params)
        return cursor.rowcount


@demo_wipe(order=10, name="areas.privacy")
def wipe_privacy(scope: WipeScope) -> None:
    from privacy.models import AuditEntry, ConsentEvent, CurrentConsent, DataSubjectRequest

    in_areas = Q(area_id__in=scope.area_ids)
    of_users = Q(subject__in=scope.users)
    CurrentConsent.objects.filter(in_areas | of_users).delete()
    delete_append_only(ConsentEvent, in_areas | of_users | Q(recorded_by__in=scope.users))
    delete_append_only(AuditEntry, in_areas | of_users | Q(actor__in=scope.users))
    DataSubjectRequest.objects.filter(of_users).delete()


@demo_wipe(order=5, name="areas.areas")
def wipe_areas(scope: WipeScope) -> None:
    areas = ShoppingArea.objects.filter(pk__in=scope.area_ids)
    Merchant.objects.filter(area__in=areas).delete()  # with hours, exceptions and memberships
    areas.delete()
    delete_many(scope.users)

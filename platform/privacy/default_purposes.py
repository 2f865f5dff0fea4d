"""The four purposes every collective starts with (their texts live, frozen, in migration 0002)."""

import importlib

from django.apps import apps

_migration = importlib.import_module("privacy.migrations.0002_seed_purposes")
PURPOSE_CODES = [spec["code"] for spec in _migration.PURPOSES]


def ensure_default_purposes() -> None:
    """Publish the default purposes and their first texts where missing (a flushed test database, a new
    deployment restored without data). Existing purposes and versions are left alone."""
    _migration.seed(apps, schema_editor=None)

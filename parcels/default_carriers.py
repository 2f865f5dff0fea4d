"""The eight carriers every parcel point knows (their codes and names live, frozen, in migration 0002)."""

import importlib

from django.apps import apps

_migration = importlib.import_module("parcels.migrations.0002_append_only_events_and_carriers")
CARRIER_CODES = [code for code, _name in _migration.CARRIERS]


def ensure_default_carriers() -> None:
    """Create the default carriers where missing (a flushed test database, a deployment restored without data).
    Existing carriers are left alone."""
    _migration.seed_carriers(apps, schema_editor=None)

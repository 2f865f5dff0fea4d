"""Parcel events are append-only in the database too (PostgreSQL); the eight carriers are seeded.

The trigger reuses privacy's `privacy_refuse_change()`; SQLite relies on the ORM guard (AppendOnlyModel).
The carrier codes are those of `parcels.barcodes.CARRIERS` (written out: a migration keeps its own copy).
"""

from django.db import migrations

TABLES = ["parcels_parcelevent"]

CREATE_TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION privacy_refuse_change();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS {table}_append_only ON {table};"

CARRIERS = [
    ("postnl", "PostNL"),
    ("dhl", "DHL"),
    ("dpd", "DPD"),
    ("gls", "GLS"),
    ("ups", "UPS"),
    ("bpost", "bpost"),
    ("amazon", "Amazon"),
    ("webshop", "Webshop"),
]


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))
        schema_editor.execute(CREATE_TRIGGER.format(table=table))


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))


def seed_carriers(apps, schema_editor):
    Carrier = apps.get_model("parcels", "Carrier")
    for code, name in CARRIERS:
        Carrier.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [
        ("parcels", "0001_initial"),
        ("privacy", "0003_append_only_triggers"),
    ]

    operations = [
        migrations.RunPython(install_triggers, remove_triggers),
        migrations.RunPython(seed_carriers, migrations.RunPython.noop),
    ]

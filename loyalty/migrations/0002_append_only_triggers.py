"""On PostgreSQL, the database itself refuses UPDATE and DELETE of ledger rows and till transactions.

The ORM refuses too (AppendOnlyModel). Reuses privacy's trigger function. Lots and passes are not
here: their `remaining` and `points_balance` are projections the services update under a row lock.
SQLite (the embedded default) relies on the ORM guard alone.
"""

from django.db import migrations

TABLES = ["loyalty_ledgerentry", "loyalty_lotallocation", "loyalty_tilltransaction"]

CREATE_TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION privacy_refuse_change();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS {table}_append_only ON {table};"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))
        schema_editor.execute(CREATE_TRIGGER.format(table=table))


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0001_initial"),
        ("privacy", "0003_append_only_triggers"),
    ]

    operations = [migrations.RunPython(install, remove)]

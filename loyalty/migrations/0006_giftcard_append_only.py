"""On PostgreSQL, the database refuses UPDATE and DELETE of gift-card ledger rows (as 0002 does for points)."""

from django.db import migrations

TABLES = ["loyalty_giftcardentry"]

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
    dependencies = [("loyalty", "0005_campaigns_rewards_vouchers_giftcards")]

    operations = [migrations.RunPython(install, remove)]

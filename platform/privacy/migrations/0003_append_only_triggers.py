"""On PostgreSQL, the database itself refuses UPDATE and DELETE of evidence rows.

The ORM refuses too (AppendOnlyModel), but raw SQL, a shell or another client would not ask it.
TRUNCATE stays possible: test databases are flushed with it, and it needs table ownership anyway.
(So tests cannot use `serialized_rollback=True` here: restoring rewrites existing rows.)
SQLite (the embedded default) relies on the ORM guard alone.
"""

from django.db import migrations

TABLES = ["privacy_consentevent", "privacy_purposeversion", "privacy_auditentry"]

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION privacy_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$;
"""
CREATE_TRIGGER = """
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION privacy_refuse_change();
"""
DROP_TRIGGER = "DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
DROP_FUNCTION = "DROP FUNCTION IF EXISTS privacy_refuse_change();"


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the body holds % placeholders of RAISE, which must not meet the driver's formatting.
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))
        schema_editor.execute(CREATE_TRIGGER.format(table=table))


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))
    schema_editor.execute(DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_seed_purposes")]

    operations = [migrations.RunPython(install, remove)]

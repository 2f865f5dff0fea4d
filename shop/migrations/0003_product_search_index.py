"""The shop search's GIN index on PostgreSQL: the same expression `selectors.search_products` searches (titles
weight A, descriptions weight B, 'dutch' configuration), so the planner can use it. SQLite has no GIN: nothing."""

from django.db import migrations

INDEX = "shop_product_search_gin"
EXPRESSION = (
    "setweight(to_tsvector('dutch'::regconfig, COALESCE(title_nl, '') || ' ' || COALESCE(title_en, '')), 'A') || "
    "setweight(to_tsvector('dutch'::regconfig, COALESCE(description_nl, '') || ' ' || COALESCE(description_en, '')), 'B')"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON shop_product USING gin (({EXPRESSION}))")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("shop", "0002_notices")]

    operations = [migrations.RunPython(create, drop)]

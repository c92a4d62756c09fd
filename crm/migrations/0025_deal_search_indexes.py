"""Indexes for the global search's deals on PostgreSQL (crm/search.py; SQLite
needs none at its sizes). Both are on UPPER(name), the expression Django's
icontains and istartswith compare:

- trigram GIN: `icontains` of three or more characters;
- text_pattern_ops btree: `istartswith` of one or two, which no trigram serves.

Without them each keystroke read every deal (130 ms at 50,000 deals:
bench/README.md, global search).
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS deal_name_upper_trgm ON crm_deal "
    "USING gin ((UPPER(name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS deal_name_upper_prefix ON crm_deal "
    "((UPPER(name::text)) text_pattern_ops)",
    # Statistics of the indexed expression: without them the planner guessed
    # hundreds of matches and read every deal to find five (245 ms, not 0.1).
    "ANALYZE crm_deal",
]
BACKWARD = [
    "DROP INDEX IF EXISTS deal_name_upper_trgm",
    "DROP INDEX IF EXISTS deal_name_upper_prefix",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [('crm', '0024_people_pages_and_history')]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]

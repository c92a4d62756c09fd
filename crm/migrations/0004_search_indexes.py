"""Indexes for the lead list's search on PostgreSQL (SQLite needs none at its sizes).

Each serves LeadQuerySet.search:
- trigram GIN on UPPER(column): `icontains` of 3+ characters, kanji and kana included;
- text_pattern_ops btree on the column: `startswith` for 1–2 characters, which no
  trigram can serve (FIELD-NOTES: '%林%' reads every row).
"""

from django.db import migrations

LEAD_TEXT = ["family_name", "given_name", "family_name_kana", "given_name_kana", "email"]

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX IF NOT EXISTS lead_{c}_trgm ON crm_lead USING gin (UPPER({c}::text) gin_trgm_ops)"
        for c in LEAD_TEXT
    ),
    *(
        f"CREATE INDEX IF NOT EXISTS lead_{c}_prefix ON crm_lead (({c}::text) text_pattern_ops)"
        for c in LEAD_TEXT
    ),
    "CREATE INDEX IF NOT EXISTS lead_phone_digits_trgm ON crm_lead USING gin (phone_digits gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS company_name_trgm ON crm_company USING gin (UPPER(name::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS company_key_prefix ON crm_company ((key::text) text_pattern_ops)",
]
BACKWARD = [
    *(f"DROP INDEX IF EXISTS lead_{c}_trgm" for c in LEAD_TEXT),
    *(f"DROP INDEX IF EXISTS lead_{c}_prefix" for c in LEAD_TEXT),
    "DROP INDEX IF EXISTS lead_phone_digits_trgm",
    "DROP INDEX IF EXISTS company_name_trgm",
    "DROP INDEX IF EXISTS company_key_prefix",
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
    dependencies = [("crm", "0003_import_jobs")]
    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]

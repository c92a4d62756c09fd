"""Indexes for the lead list's search on PostgreSQL (SQLite needs none at its sizes).

Each serves LeadQuerySet.search:
- trigram GIN on the lead's search key, on phone digits and on the company key:
  `contains` of 3+ characters, kanji and kana included. One index over a
  derived key, not one per name column: every index slows imports.
- text_pattern_ops btree on family name, reading, email and company key:
  `startswith` for 1–2 characters, which no trigram can serve (FIELD-NOTES:
  '%林%' reads every row).
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS lead_search_text_trgm ON crm_lead USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS lead_phone_digits_trgm ON crm_lead USING gin (phone_digits gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS company_key_trgm ON crm_company USING gin (key gin_trgm_ops)",
    *(
        f"CREATE INDEX IF NOT EXISTS {name} ON {table} (({column}::text) text_pattern_ops)"
        for name, table, column in [
            ("lead_family_name_prefix", "crm_lead", "family_name"),
            ("lead_family_name_kana_prefix", "crm_lead", "family_name_kana"),
            ("lead_email_prefix", "crm_lead", "email"),
            ("company_key_prefix", "crm_company", "key"),
        ]
    ),
]
BACKWARD = [
    f"DROP INDEX IF EXISTS {name}"
    for name in [
        "lead_search_text_trgm", "lead_phone_digits_trgm", "company_key_trgm",
        "lead_family_name_prefix", "lead_family_name_kana_prefix", "lead_email_prefix",
        "company_key_prefix",
    ]
]  # fmt: skip


def backfill(apps, schema_editor):
    from crm.normalize import search_key

    Lead = apps.get_model("crm", "Lead")
    batch = []
    for lead in Lead.objects.only(
        "family_name", "given_name", "family_name_kana", "given_name_kana", "email"
    ).iterator(2000):
        lead.search_text = search_key(
            lead.family_name,
            lead.given_name,
            lead.family_name_kana,
            lead.given_name_kana,
            lead.email,
        )[:600]
        batch.append(lead)
        if len(batch) == 2000:
            Lead.objects.bulk_update(batch, ["search_text"])
            batch = []
    Lead.objects.bulk_update(batch, ["search_text"])


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_lead_search_text")]
    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(run(FORWARD), run(BACKWARD)),
    ]

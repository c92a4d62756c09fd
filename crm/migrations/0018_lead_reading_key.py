"""Kana folding (crm/kana.py): every lead's search key again, now kana folded,
and its reading key (五十音順, short kana searches, the "same reading"
duplicate rule).

On PostgreSQL the reading's text_pattern_ops index takes over from the raw
reading's: `startswith` of one or two kana now looks at the folded reading
(whatever the database's collation; the plain btree serves the sort).
"""

from django.db import migrations, models

BATCH = 2000


def backfill(apps, schema_editor):
    from crm.normalize import reading_key, search_key

    Lead = apps.get_model("crm", "Lead")
    batch = []
    leads = Lead.objects.only(
        "family_name", "given_name", "family_name_kana", "given_name_kana", "email"
    ).filter(erased_at__isnull=True)
    for lead in leads.order_by("pk").iterator(BATCH):
        lead.search_text = search_key(
            lead.family_name,
            lead.given_name,
            lead.family_name_kana,
            lead.given_name_kana,
            lead.email,
        )[:600]
        lead.reading_key = reading_key(
            lead.family_name_kana, lead.given_name_kana, lead.family_name, lead.given_name
        )
        batch.append(lead)
        if len(batch) == BATCH:
            Lead.objects.bulk_update(batch, ["search_text", "reading_key"])
            batch = []
    Lead.objects.bulk_update(batch, ["search_text", "reading_key"])


def swap_prefix_index(forward):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        old = ("lead_family_name_kana_prefix", "family_name_kana")
        new = ("lead_reading_key_prefix", "reading_key")
        create, drop = (new, old) if forward else (old, new)
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {create[0]} ON crm_lead "
                f"(({create[1]}::text) text_pattern_ops)"
            )
            cursor.execute(f"DROP INDEX IF EXISTS {drop[0]}")

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0017_rekey_juridical_forms"),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="reading_key",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["reading_key", "id"], name="lead_reading_idx"),
        ),
        migrations.RunPython(swap_prefix_index(True), swap_prefix_index(False)),
    ]

from django.db import migrations


def rekey_readings(apps, schema_editor):
    """Company reading keys as crm.normalize.company_reading_key gives them
    now: without a legal form spelt out (カブシキガイシャ) or abbreviated as
    bank transfers write it (ｶ)), so the "same reading" rule finds them."""
    from crm.normalize import company_reading_key

    Company = apps.get_model("crm", "Company")
    changed = []
    for company in Company.objects.exclude(name_kana="").only("pk", "name_kana", "reading_key"):
        key = company_reading_key(company.name_kana)
        if key != company.reading_key:
            company.reading_key = key
            changed.append(company)
    Company.objects.bulk_update(changed, ["reading_key"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0033_default_scoring_rule_names"),
    ]

    operations = [
        migrations.RunPython(rekey_readings, migrations.RunPython.noop, elidable=True),
    ]

from django.db import migrations


def rekey_companies(apps, schema_editor):
    """Company keys as crm.normalize.company_key gives them now that every
    juridical-person form and its abbreviations are folded ((一社), (公財),
    ㊑, ｶ) ...). A key another company already has is left: those two are one
    company for the duplicates page to merge."""
    from crm.normalize import company_key, nfkc

    Company = apps.get_model("crm", "Company")
    taken = set(Company.objects.values_list("key", flat=True))
    for pk, name, key in Company.objects.values_list("pk", "name", "key").iterator():
        new = company_key(name) or nfkc(name)
        if new != key and new not in taken:
            Company.objects.filter(pk=pk).update(key=new)
            taken.add(new)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0016_merge_aliases_activity_channel_import_rows"),
    ]

    operations = [
        migrations.RunPython(rekey_companies, migrations.RunPython.noop, elidable=True),
    ]

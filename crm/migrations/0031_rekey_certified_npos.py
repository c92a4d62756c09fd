from django.db import migrations


def rekey_companies(apps, schema_editor):
    """Company keys as crm.normalize.company_key gives them now that 認定NPO法人
    and 認定特定非営利活動法人 (certified non-profits) are folded too. A key
    another company already has is left: those two are one company for the
    duplicates page to merge."""
    from crm.normalize import company_key, nfkc

    Company = apps.get_model("crm", "Company")
    taken = set(Company.objects.values_list("key", flat=True))
    certified = Company.objects.filter(name__contains="認定")
    for pk, name, key in certified.values_list("pk", "name", "key").iterator():
        new = company_key(name) or nfkc(name)
        if new != key and new not in taken:
            Company.objects.filter(pk=pk).update(key=new)
            taken.add(new)


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0030_saved_views_of_the_deal_list"),
    ]

    operations = [
        migrations.RunPython(rekey_companies, migrations.RunPython.noop, elidable=True),
    ]

from django.db import migrations

DEFAULT_POINTS = {
    "form_submit": 20,
    "page_view": 2,
    "email_open": 3,
    "email_click": 5,
    "download": 15,
    "webinar": 25,
    "event_visit": 20,
}


def create_rules(apps, schema_editor):
    ScoringRule = apps.get_model("crm", "ScoringRule")
    for kind, points in DEFAULT_POINTS.items():
        ScoringRule.objects.get_or_create(kind=kind, defaults={"points": points})


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]
    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]

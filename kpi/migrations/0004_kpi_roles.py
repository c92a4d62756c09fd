"""Marketers read the shared dashboard too; reps read their own figures."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"marketer": "view_dashboard", "sales": "view_own_kpis"}


def grant(apps, schema_editor):
    kpi = apps.get_app_config("kpi")
    kpi.models_module = True
    create_permissions(kpi, verbosity=0, apps=apps)
    kpi.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codename in GRANTS.items():
        permission = Permission.objects.get(content_type__app_label="kpi", codename=codename)
        for group in Group.objects.filter(name__in=[group_name, "admin"]):
            group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codename in GRANTS.items():
        permission = Permission.objects.filter(
            content_type__app_label="kpi", codename=codename
        ).first()
        if permission:
            for group in Group.objects.filter(name=group_name):
                group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [("kpi", "0003_rollups_and_quarter_targets")]
    operations = [migrations.RunPython(grant, revoke)]

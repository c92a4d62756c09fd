"""Managers may delete the lead list's views shared with the team."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"manager": "delete_savedview"}


def grant(apps, schema_editor):
    crm = apps.get_app_config("crm")
    crm.models_module = True
    create_permissions(crm, verbosity=0, apps=apps)
    crm.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codename in GRANTS.items():
        permission = Permission.objects.get(content_type__app_label="crm", codename=codename)
        for group in Group.objects.filter(name__in=[group_name, "admin"]):
            group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codename in GRANTS.items():
        permission = Permission.objects.filter(
            content_type__app_label="crm", codename=codename
        ).first()
        if permission:
            for group in Group.objects.filter(name=group_name):
                group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0005_target_kpi_names"),
        ('crm', '0023_saved_views_bulk_jobs'),
    ]
    operations = [migrations.RunPython(grant, revoke)]

"""Marketers and managers create and edit every person and company (crm's
edit_every_person); reps edit the leads they own or work."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = ["edit_every_person"]
ROLES = {"marketer": PERMISSIONS, "manager": PERMISSIONS, "admin": PERMISSIONS}


def grant(apps, schema_editor):
    crm = apps.get_app_config("crm")
    crm.models_module = True
    create_permissions(crm, verbosity=0, apps=apps)
    crm.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="crm", codename__in=ROLES[group.name]
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="crm", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [('kpi', '0006_saved_view_roles'), ('crm', '0024_people_pages_and_history')]
    operations = [migrations.RunPython(grant, revoke)]

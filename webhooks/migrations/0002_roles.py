"""Managers and admins set up webhooks and read their delivery log."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [
    "view_endpoint", "add_endpoint", "change_endpoint", "delete_endpoint", "view_delivery",
]  # fmt: skip
ROLES = ["manager", "admin"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("webhooks")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="webhooks", codename__in=PERMISSIONS
    )
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.add(*permissions)
    # Admins hold every permission (kpi's roles migration).
    admin = Group.objects.filter(name="admin").first()
    if admin is not None:
        admin.permissions.add(*Permission.objects.filter(content_type__app_label="webhooks"))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="webhooks")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("kpi", "0002_roles"),
    ]
    operations = [migrations.RunPython(grant, revoke)]

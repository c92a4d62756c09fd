"""Nurture's permissions for the roles: marketers and managers run nurture
(PRODUCT.md §2: marketers nurture; managers steer marketing too); reps get
none of it. Groups are taken by name, created if kpi's roles migration has
not run yet (it adds to them, it does not replace)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODES = [
    "view_segment", "add_segment", "change_segment",
    "view_email", "add_email", "change_email",
    "view_send", "add_send",
]  # fmt: skip
ROLES = ["marketer", "manager", "admin"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("nurture")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="nurture", codename__in=CODES)
    for name in ROLES:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="nurture").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("nurture", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]

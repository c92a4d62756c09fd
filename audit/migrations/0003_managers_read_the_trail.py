"""Managers (and admins) read the audit trail and answer personal-data
requests (export, erasure); nobody gets to change the trail."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    app_config = apps.get_app_config("audit")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    granted = Permission.objects.filter(
        content_type__app_label="audit",
        codename__in=["view_auditentry", "export_personal_data", "erase_personal_data"],
    )
    for name in ("manager", "admin"):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*granted)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="audit").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only"),
        ("kpi", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(grant, revoke)]

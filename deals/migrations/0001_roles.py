"""Who works deals and keeps the pipeline's lists.

Managers see and change every deal and keep the stages and lost reasons;
reps open and work deals and read the lists; marketers read deals and the
lists (the views scope which deals: Deal.objects.visible_to)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# fmt: off
GRANTS = {
    "manager": [
        "add_deal", "change_deal",
        "view_dealstage", "add_dealstage", "change_dealstage", "delete_dealstage",
        "view_lostreason", "add_lostreason", "change_lostreason", "delete_lostreason",
    ],
    "sales": ["view_dealstage", "view_lostreason"],
    "marketer": ["view_dealstage", "view_lostreason"],
}
# fmt: on


def grant(apps, schema_editor):
    crm = apps.get_app_config("crm")
    crm.models_module = True
    create_permissions(crm, verbosity=0, apps=apps)
    crm.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        permissions = Permission.objects.filter(
            content_type__app_label="crm", codename__in=codenames
        )
        for group in Group.objects.filter(name__in=[group_name, "admin"]):
            group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        permissions = Permission.objects.filter(
            content_type__app_label="crm", codename__in=codenames
        )
        for group in Group.objects.filter(name=group_name):
            group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("kpi", "0004_kpi_roles"), ("crm", "0021_deal_stages")]
    operations = [migrations.RunPython(grant, revoke)]

"""Tasks: reps, managers and marketers keep tasks; managers see the team's."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

TASK_PERMISSIONS = ["view_task", "add_task", "change_task"]
GRANTS = {
    "sales": TASK_PERMISSIONS,
    "marketer": TASK_PERMISSIONS,
    "manager": [*TASK_PERMISSIONS, "view_team_tasks"],
    "admin": [*TASK_PERMISSIONS, "view_team_tasks"],
}


def grant(apps, schema_editor):
    tasks = apps.get_app_config("tasks")
    tasks.models_module = True
    create_permissions(tasks, verbosity=0, apps=apps)
    tasks.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        permissions = Permission.objects.filter(
            content_type__app_label="tasks", codename__in=codenames
        )
        for group in Group.objects.filter(name=group_name):
            group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="tasks")
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [('kpi', '0007_people_editors'), ("tasks", "0001_initial")]
    operations = [migrations.RunPython(grant, revoke)]

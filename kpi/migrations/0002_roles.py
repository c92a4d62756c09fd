"""The roles as groups with permissions.

Lives in kpi, the app that depends on both others, so every permission it
names exists. Permissions are normally created after migrate; create them
here first so a fresh database gets complete groups.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# fmt: off
ROLES = {
    "marketer": [
        "crm.view_campaign", "crm.add_campaign", "crm.change_campaign",
        "crm.view_lead", "crm.add_lead", "crm.change_lead", "crm.view_all_leads", "crm.export_leads",
        "crm.view_company", "crm.add_company", "crm.change_company",
        "crm.view_activity", "crm.add_activity",
        "crm.view_answer", "crm.add_answer", "crm.view_consent", "crm.view_deal",
        "crm.view_scoringrule", "crm.change_scoringrule", "crm.add_scoringrule",
    ],
    "sales": [
        "crm.view_lead", "crm.change_lead", "crm.view_company", "crm.view_campaign",
        "crm.view_activity", "crm.add_activity",
        "crm.view_answer", "crm.add_answer", "crm.view_consent",
        "crm.view_deal", "crm.add_deal", "crm.change_deal",
        "handoff.view_handoff", "handoff.claim_handoff",
    ],
    "manager": [
        "crm.view_campaign", "crm.view_lead", "crm.view_all_leads", "crm.export_leads",
        "crm.view_company",
        "crm.view_activity", "crm.view_answer", "crm.view_consent", "crm.view_deal",
        "crm.view_scoringrule", "crm.change_scoringrule", "crm.add_scoringrule",
        "handoff.view_handoff", "handoff.reassign_handoff",
        "handoff.view_handoffpolicy", "handoff.change_handoffpolicy",
        "kpi.view_dashboard", "kpi.view_target", "kpi.add_target", "kpi.change_target",
    ],
}
# fmt: on


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    # Admins may do everything, Django admin included.
    admin, _ = Group.objects.get_or_create(name="admin")
    admin.permissions.set(Permission.objects.all())


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[*ROLES, "admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("kpi", "0001_initial"),
        ("crm", "0002_default_scoring_rules"),
        ("handoff", "0002_default_policy"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]

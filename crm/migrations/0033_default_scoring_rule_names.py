from django.db import migrations

# The default rules' names (0002, 0008) in both languages.
DEFAULT_NAMES = {
    "Form submitted": "フォーム送信",
    "Page viewed": "ページ閲覧",
    "Email opened": "メール開封",
    "Email link clicked": "メール内リンクのクリック",
    "Downloaded": "資料ダウンロード",
    "Attended a webinar": "ウェビナー参加",
    "Visited an event": "イベント来場",
    "Decision maker by title": "役職が決裁者",
    "Manager by title": "役職が管理職",
    "Company of 300 or more": "従業員300名以上の企業",
    "Free-mail address": "フリーメールのアドレス",
}


def name_rules_in_both_languages(apps, schema_editor):
    """The default rules get their Japanese name; a marketer's rule named in
    Japanese script keeps that name as its Japanese one."""
    from web.people import is_japanese_script

    ScoringRule = apps.get_model("crm", "ScoringRule")
    for rule in ScoringRule.objects.filter(name_ja=""):
        if rule.name_en in DEFAULT_NAMES:
            rule.name_ja = DEFAULT_NAMES[rule.name_en]
        elif is_japanese_script(rule.name_en):
            rule.name_ja, rule.name_en = rule.name_en, ""
        else:
            continue
        rule.save(update_fields=["name_ja", "name_en"])


def one_name_again(apps, schema_editor):
    """Backwards: the single name is the English one, else the Japanese."""
    ScoringRule = apps.get_model("crm", "ScoringRule")
    for rule in ScoringRule.objects.filter(name_en=""):
        rule.name_en = rule.name_ja
        rule.save(update_fields=["name_en"])


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0032_scoring_rule_names"),
    ]

    operations = [
        migrations.RunPython(name_rules_in_both_languages, one_name_again),
    ]

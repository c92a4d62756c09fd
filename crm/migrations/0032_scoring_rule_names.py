from django.db import migrations, models


class Migration(migrations.Migration):
    """Scoring rules named in Japanese and English; the old name becomes the
    English one (the next migration sorts the names out)."""

    dependencies = [
        ("crm", "0031_rekey_certified_npos"),
    ]

    operations = [
        migrations.RenameField(model_name="scoringrule", old_name="name", new_name="name_en"),
        migrations.AlterField(
            model_name="scoringrule",
            name="name_en",
            field=models.CharField(blank=True, max_length=100, verbose_name="name (English)"),
        ),
        migrations.AddField(
            model_name="scoringrule",
            name="name_ja",
            field=models.CharField(blank=True, max_length=100, verbose_name="name (Japanese)"),
        ),
        migrations.AddConstraint(
            model_name="scoringrule",
            constraint=models.CheckConstraint(
                condition=models.Q(("name_ja", ""), _negated=True)
                | models.Q(("name_en", ""), _negated=True),
                name="scoringrule_has_a_name",
            ),
        ),
    ]

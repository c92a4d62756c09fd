# Apart from 0022: PostgreSQL refuses to ALTER a table with pending trigger
# events, which 0022's data migration leaves on crm_deal until it commits.

import crm.models.deal
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0027_place_deals'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='deal',
            name='stage',
            field=models.ForeignKey(default=crm.models.deal.default_stage_id, on_delete=django.db.models.deletion.PROTECT, related_name='deals', to='crm.dealstage', verbose_name='stage'),
        ),
        migrations.AddField(
            model_name='dealstagechange',
            name='changed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='dealstagechange',
            name='deal',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stage_changes', to='crm.deal'),
        ),
        migrations.AddField(
            model_name='dealstagechange',
            name='from_stage',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='crm.dealstage'),
        ),
        migrations.AddField(
            model_name='dealstagechange',
            name='to_stage',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='crm.dealstage'),
        ),
        migrations.AddIndex(
            model_name='deal',
            index=models.Index(condition=models.Q(('status', 'open')), fields=['stage', 'expected_close_date'], name='deal_open_by_stage'),
        ),
        migrations.AddConstraint(
            model_name='deal',
            constraint=models.CheckConstraint(condition=models.Q(('probability__lte', 100)), name='deal_probability_at_most_100'),
        ),
        migrations.AddConstraint(
            model_name='deal',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'lost'), _negated=True), models.Q(('lost_reason__isnull', False), models.Q(('lost_note', ''), _negated=True)), _connector='OR'), name='deal_lost_has_reason'),
        ),
        migrations.AddIndex(
            model_name='dealstagechange',
            index=models.Index(fields=['deal', 'changed_at'], name='deal_stage_change_by_deal'),
        ),
    ]

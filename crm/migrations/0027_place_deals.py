# The data migration apart from the schema's: on PostgreSQL the foreign keys
# 0021 adds are created at its end, and an ALTER or CREATE INDEX on crm_deal
# is refused while this migration's updates leave trigger events pending.

from django.db import migrations, models


def place_deals(apps, schema_editor):
    """Each deal on the default stage of its status; an open deal's close
    date was its expected one; an old lost reason becomes the note of "Other"."""
    Deal = apps.get_model("crm", "Deal")
    DealStage = apps.get_model("crm", "DealStage")
    LostReason = apps.get_model("crm", "LostReason")
    Lead = apps.get_model("crm", "Lead")
    for kind in ("open", "won", "lost"):
        stage = DealStage.objects.filter(kind=kind).order_by("order").first()
        Deal.objects.filter(status=kind).update(stage=stage, probability=stage.probability)
    Deal.objects.filter(status="open").update(
        expected_close_date=models.F("close_date"), close_date=None
    )
    other = LostReason.objects.get(name_en="Other")
    Deal.objects.filter(status="lost").update(lost_reason=other)
    Deal.objects.filter(status="lost", lost_note="").update(lost_note="-")
    for deal in Deal.objects.filter(status="won", close_date__isnull=True, closed_at__isnull=False):
        deal.close_date = deal.closed_at.date()
        deal.save(update_fields=["close_date"])
    Deal.objects.update(
        source_campaign=models.Subquery(
            Lead.objects.filter(pk=models.OuterRef("lead_id")).values("source_campaign_id")[:1]
        )
    )


class Migration(migrations.Migration):

    dependencies = [('crm', '0026_deal_stages')]

    operations = [migrations.RunPython(place_deals, migrations.RunPython.noop)]

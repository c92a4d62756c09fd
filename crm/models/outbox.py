from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxEvent(models.Model):
    """An event written in the same transaction as the change it announces.

    A relay publishes it to Celery right after commit; a periodic sweep publishes
    again whatever is still unprocessed, so an event accepted while the broker is
    down is handled once it is back. The consumer marks it processed in the
    transaction that applies it.
    """

    topic = models.CharField(max_length=50)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # The relay sweep: unprocessed events, oldest first.
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=Q(processed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"

"""Every outbox topic, in one place, with who emits it and what consumes it.

The relay publishes an event to the task settings.BATON_OUTBOX_ROUTES names
for its topic (by name, so that crm never imports the apps that react to its
events); `crm.checks` refuses to start when a topic has no route or a route
names no topic. The events themselves are written by crm.outbox.emit.
"""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    # crm.services.record_activity (one per activity, drained in batches) →
    # handoff.consumers.drain_activity_events: scoring, then the handoff.
    ACTIVITY_RECORDED = "activity.recorded"
    # An import chunk (crm.imports.engine), an API batch (api.services), a
    # page-visit flush (nurture.visits) → handoff.consumers.process_activity_batch_event.
    ACTIVITIES_RECORDED = "activities.recorded"
    # crm.services.request_rescore → handoff.consumers.rescore_everyone.
    RESCORE_REQUESTED = "scoring.rescore_requested"
    # handoff.notify.send → handoff.notify.email_notifications_event.
    NOTIFICATION_EMAIL = "notifications.email"
    # handoff.notify.send → handoff.notify.deliver_chat_event.
    NOTIFICATION_CHAT = "notifications.chat"
    # webhooks.events.emit → webhooks.services' delivery (webhooks.tasks.deliver_webhook_event).
    WEBHOOK_DELIVERY = "webhooks.delivery"
    # crm.confirmations (a capture asks the person to confirm) →
    # crm.tasks.send_capture_confirmation_event.
    CAPTURE_CONFIRMATION_EMAIL = "capture.confirmation_email"
    # tasks.reminders.sweep → tasks.reminders.email_reminders_event.
    TASK_REMINDER_EMAIL = "tasks.reminder_email"
    # accounts.services (password reset) → accounts.tasks.send_password_reset_event.
    PASSWORD_RESET = "accounts.password_reset"  # nosec B105  # a topic name, not a password

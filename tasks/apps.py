from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("Tasks")

    def ready(self) -> None:
        # The follow-ups handoff's touch and accept forms ask for (handoff.signals).
        from handoff import inbox as handoff_inbox
        from tasks import inbox, receivers, tasks  # noqa: F401

        # Due-task reminders in the notification list and badge.
        handoff_inbox.register(inbox.SOURCE)

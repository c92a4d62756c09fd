from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HandoffConfig(AppConfig):
    name = "handoff"
    verbose_name = _("Handoff")

    def ready(self) -> None:
        # Register the Celery tasks in every process, not only in workers: the
        # outbox relay looks consumers up by name.
        from handoff import tasks  # noqa: F401

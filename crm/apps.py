from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("CRM")

    def ready(self) -> None:
        # Register the Celery tasks in every process, not only in workers: the
        # outbox relay looks consumers up by name.
        # Every outbox topic has a route (a system check, run at start-up).
        from crm import (
            checks,  # noqa: F401
            tasks,  # noqa: F401
        )

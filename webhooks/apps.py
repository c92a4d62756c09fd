from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # Register the Celery tasks in every process: the outbox relay looks
        # consumers up by name.
        from webhooks import tasks  # noqa: F401

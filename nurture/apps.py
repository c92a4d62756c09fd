from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NurtureConfig(AppConfig):
    name = "nurture"
    verbose_name = _("Nurture")

    def ready(self) -> None:
        # Register the tasks in every process: beat and the send view name them.
        from nurture import tasks  # noqa: F401

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        # Logins come from Django's auth signals: the login view stays Django's.
        from audit import signals  # noqa: F401

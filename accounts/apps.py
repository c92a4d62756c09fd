from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # The outbox relay looks the reset mail's consumer up by name; the
        # signals audit second-factor changes.
        from accounts import checks, signals, tasks  # noqa: F401

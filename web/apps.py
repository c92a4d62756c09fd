from django.apps import AppConfig


class WebConfig(AppConfig):
    """The ground floor is an app only so that its login receiver (the session
    clock, web/sessions.py) is connected at start-up."""

    name = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from web import sessions  # noqa: F401

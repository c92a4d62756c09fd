"""Email backends that misbehave on purpose, for the sending tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend

from nurture import tracking
from nurture.models import Delivery


class UnsubscribeAfterFirst(EmailBackend):
    """While the first message goes out, the send's last recipient unsubscribes."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        from django.core import mail

        if not getattr(mail, "outbox", None):
            last = Delivery.objects.order_by("pk").last()
            assert last is not None
            tracking.unsubscribe(last)
        return super().send_messages(messages)


class FailOnce(EmailBackend):
    """The mail server drops the connection on the second message, once."""

    calls = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        FailOnce.calls += 1
        if FailOnce.calls == 2:
            raise ConnectionError("connection reset by the mail server")
        return super().send_messages(messages)

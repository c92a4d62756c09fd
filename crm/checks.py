"""At start-up: every outbox topic has a consumer, and every route a topic."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from crm.topics import Topic


@register()
def check_outbox_routes(**kwargs: Any) -> list[Error]:
    """An event whose topic has no route would wait in the outbox for ever
    (the relay finds no task to publish it to): refuse to start instead."""
    routes: dict[str, str] = settings.BATON_OUTBOX_ROUTES
    errors = [
        Error(
            f"The outbox topic {topic.value!r} has no consumer.",
            hint="Add it to BATON_OUTBOX_ROUTES in config/settings.py.",
            id="crm.E001",
        )
        for topic in Topic
        if topic not in routes
    ]
    errors += [
        Error(
            f"BATON_OUTBOX_ROUTES names {name!r}, which is not an outbox topic.",
            hint="Add it to crm.topics.Topic, or remove the route.",
            id="crm.E002",
        )
        for name in sorted(set(routes) - set(Topic))
    ]
    for name, task in sorted(routes.items()):
        module, _dot, function = task.rpartition(".")
        try:
            found = hasattr(import_module(module), function)
        except ImportError:
            found = False
        if not found:
            errors.append(
                Error(
                    f"The outbox topic {name!r} is routed to {task!r}, which does not exist.",
                    id="crm.E003",
                )
            )
    return errors

"""The Celery application; its configuration lives in settings (CELERY_*)."""

import os
from typing import Any

from celery import Celery, Task, signals
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("baton")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def close_old_database_connections(sender: Task[Any, Any] | None = None, **kwargs: Any) -> None:
    """Close the connections that are past CONN_MAX_AGE or broken, around each
    task as Django does around each request (CELERY_DB_REUSE_MAX keeps
    Celery from closing every one). Not for a task run in process: it may be
    inside the caller's transaction."""
    if sender is not None and not getattr(sender.request, "is_eager", False):
        close_old_connections()

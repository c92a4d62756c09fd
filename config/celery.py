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


def _libc_malloc_trim() -> Any:
    """glibc's malloc_trim, or None where there is none (musl, macOS)."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_malloc_trim = _libc_malloc_trim()


@signals.task_postrun.connect
def return_freed_memory(sender: Task[Any, Any] | None = None, **kwargs: Any) -> None:
    """Give the memory a task freed back to the system (WORKER_MALLOC_TRIM).

    glibc's malloc returns freed memory on its own only from the top of its
    heap; a task's peak freed below a block still in use stays in the pool
    child's resident size, and each new, higher peak raises it: the soak saw
    the heap grow in steps of 1.5-3 MiB with the bytes in use in it flat
    (bench/README.md). malloc_trim releases the free pages anywhere in the
    heap, in well under a millisecond."""
    from django.conf import settings

    if _malloc_trim is None or not settings.BATON_WORKER_MALLOC_TRIM:
        return
    if sender is not None and not getattr(sender.request, "is_eager", False):
        _malloc_trim(0)

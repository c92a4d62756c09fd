"""Commits that need not wait for the disk."""

from __future__ import annotations

from django.db import connection


def commit_without_waiting_for_the_disk() -> None:
    """Let the current transaction's commit return before its WAL is flushed
    (PostgreSQL's `synchronous_commit = off`, for this transaction only).

    Only for work that is redone when lost: a crash within a fraction of a
    second after such a commit may undo it, never corrupt anything, and the
    caller must be sure that what it wrote is written again (a sweep, a rerun)
    or may go missing. SQLite, the embedded default, is left as it is.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")

"""Transaction contracts said in code rather than in docstrings."""

from __future__ import annotations

from django.db import connection


class NotInTransaction(RuntimeError):
    """A function that needs its rows locked was called outside a transaction."""


def require_transaction() -> None:
    """For a function whose contract is "call inside a transaction, with the
    rows locked": a row lock (select_for_update) lasts only as long as the
    transaction that took it, so without one the lock is gone at once."""
    if not connection.in_atomic_block:
        raise NotInTransaction("call inside a transaction, with the rows locked")

"""Django's database session store, with the session read in one fixed
statement.

Sessions stay in PostgreSQL (bench/README.md says why: a logout must hold
when Redis comes back). Every signed-in request reads its session first;
Django's store compiles that lookup through the ORM anew each time, which
costs more Python than the query itself costs PostgreSQL. Here the same
lookup (this key, not expired) is one fixed statement; saving, deleting and
the expiry are Django's own.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> AbstractBaseSession | None:
        model = self.model
        if self.session_key is None:  # none given, or refused as malformed
            return None
        db = connections[router.db_for_read(model)]
        table = db.ops.quote_name(model._meta.db_table)
        with db.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data, expire_date FROM {table} "  # nosec B608  # the model's own table name
                "WHERE session_key = %s AND expire_date > %s",
                [self.session_key, db.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store: a new session, with a new key
            return None
        return model(session_key=self.session_key, session_data=row[0], expire_date=row[1])  # type: ignore[no-any-return]

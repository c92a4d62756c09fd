"""Django's ModelBackend, with a user's permissions read in one query, and
read together with the user at the start of a request.

ModelBackend reads them in two (the user's own, then their groups'), each a
join over four tables that the ORM compiles anew on every request: about a
fifth of a rep's claim, most of it Python. Here one fixed statement, run
through the cursor, reads both; and `get_user` (the session's user, once per
request) reads the user's row and those permissions in the same statement,
so that a request that checks a permission makes one round trip for both.
They stay per request, on the user object, as ModelBackend keeps them: a
role removed is gone at the next request. Everything else (passwords,
superusers, inactive users, `with_perm`) is ModelBackend's own.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import connection

# The ids of the user's own permissions and their groups' (the user id twice).
PERMISSION_IDS_SQL = """
    SELECT up.permission_id FROM auth_user_user_permissions up WHERE up.user_id = %s
    UNION
    SELECT gp.permission_id FROM auth_group_permissions gp
    JOIN auth_user_groups ug ON ug.group_id = gp.group_id
    WHERE ug.user_id = %s
"""
# Those permissions as (app_label, codename) rows.
PERMISSIONS_SQL = f"""
SELECT ct.app_label, p.codename
FROM auth_permission p
JOIN django_content_type ct ON ct.id = p.content_type_id
WHERE p.id IN ({PERMISSION_IDS_SQL})
"""  # nosec B608  # constant text, the ids come as parameters
# The same, as one array of "app_label.codename" beside the user's row.
PERMISSIONS_ARRAY_SQL = f"""ARRAY(
    SELECT ct.app_label || '.' || p.codename
    FROM auth_permission p
    JOIN django_content_type ct ON ct.id = p.content_type_id
    WHERE p.id IN ({PERMISSION_IDS_SQL})
)"""  # nosec B608  # constant text, the ids come as parameters


@cache
def _user_sql() -> tuple[str, list[str]]:
    """The user's row and permissions by id, and the row's field names."""
    model = get_user_model()
    fields = [field.attname for field in model._meta.concrete_fields]
    columns = ", ".join(
        connection.ops.quote_name(field.column) for field in model._meta.concrete_fields
    )
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    # The model's own column and table names; the id comes as a parameter.
    sql = f"SELECT {columns}, {PERMISSIONS_ARRAY_SQL} FROM {table} WHERE {pk} = %s"  # nosec B608
    return sql, fields


class OneQueryPermissionsBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        """The session's user with their permissions, in one statement; None
        for an unknown or inactive user (as ModelBackend)."""
        if connection.vendor != "postgresql":
            # ARRAY() is PostgreSQL's; elsewhere (`make run` on SQLite) the
            # user is read as ModelBackend reads it, the permissions in one
            # statement still (get_all_permissions).
            return super().get_user(user_id)
        model = get_user_model()
        try:
            pk = model._meta.pk.to_python(user_id)
        except ValidationError:  # a malformed id in a session: nobody
            return None
        sql, fields = _user_sql()
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk, pk, pk])  # the array's two, then the row's
            row = cursor.fetchone()
        if row is None:
            return None
        user: Any = model.from_db(connection.alias, fields, row[:-1])
        if not user.is_superuser:
            # A superuser has every permission: ModelBackend reads them itself.
            user._perm_cache = {str(perm) for perm in row[-1]}
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: object = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            with connection.cursor() as cursor:
                cursor.execute(PERMISSIONS_SQL, [user_obj.pk, user_obj.pk])
                user_obj._perm_cache = {f"{app}.{codename}" for app, codename in cursor.fetchall()}
        return user_obj._perm_cache  # type: ignore[no-any-return]

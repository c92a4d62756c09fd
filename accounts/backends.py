"""Django's ModelBackend, with a user's permissions read in one query.

ModelBackend reads them in two (the user's own, then their groups'), each a
join over four tables that the ORM compiles anew on every request: about a
fifth of a rep's claim, most of it Python. Here one fixed statement, run
through the cursor, reads both; everything else (passwords, superusers,
inactive users, `with_perm`) is ModelBackend's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connection

# The user's own permissions and their groups' together, as "app_label.codename".
PERMISSIONS_SQL = """
SELECT ct.app_label, p.codename
FROM auth_permission p
JOIN django_content_type ct ON ct.id = p.content_type_id
WHERE p.id IN (
    SELECT up.permission_id FROM auth_user_user_permissions up WHERE up.user_id = %s
    UNION
    SELECT gp.permission_id FROM auth_group_permissions gp
    JOIN auth_user_groups ug ON ug.group_id = gp.group_id
    WHERE ug.user_id = %s
)
"""


class OneQueryPermissionsBackend(ModelBackend):
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

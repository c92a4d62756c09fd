"""Which Baton roles an OpenID Connect sign-on carries (a pure calculation).

Baton's roles are the Django groups made by kpi's roles migration; an
identity provider names them in a claim (`groups` by default), through
OIDC_ROLE_MAP when its names differ from Baton's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ROLES = ("marketer", "sales", "manager", "admin")


def claim_values(claims: Mapping[str, Any], claim: str) -> list[str]:
    """The claim's values: a list, or one string. A dotted name reaches into
    nested objects (Keycloak's `realm_access.roles`)."""
    value: Any = claims
    for part in claim.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def roles_from_claims(
    claims: Mapping[str, Any], *, claim: str, role_map: Mapping[str, str]
) -> set[str]:
    """The Baton roles the claim's values map to; without a map, values that
    are Baton's role names themselves."""
    mapping = role_map or {role: role for role in ROLES}
    return {mapping[value] for value in claim_values(claims, claim) if value in mapping} & set(
        ROLES
    )

"""Configuration mistakes that would lock everyone out of single sign-on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from accounts.roles import ROLES


@register()
def check_role_settings(**kwargs: Any) -> list[Error]:
    errors = []
    unknown = sorted(set(settings.BATON_OIDC_ROLE_MAP.values()) - set(ROLES))
    if unknown:
        errors.append(
            Error(
                f"OIDC_ROLE_MAP names roles Baton does not have: {', '.join(unknown)}.",
                hint=f"Map the provider's values to {', '.join(ROLES)}.",
                id="accounts.E001",
            )
        )
    unknown = sorted(set(settings.BATON_MFA_REQUIRED_ROLES) - set(ROLES))
    if unknown:
        errors.append(
            Error(
                f"MFA_REQUIRED_ROLES names roles Baton does not have: {', '.join(unknown)}.",
                hint=f"Use {', '.join(ROLES)}.",
                id="accounts.E002",
            )
        )
    return errors

"""What the environment turns on (settings are read once per process)."""

from __future__ import annotations

from tests.security.test_headers import PRODUCTION, settings_in

OIDC = {
    "OIDC_SERVER_URL": "https://login.microsoftonline.com/tenant/v2.0",
    "OIDC_CLIENT_ID": "baton",
    "OIDC_CLIENT_SECRET": "s",
    "OIDC_NAME": "Microsoft",
    "OIDC_ROLES_CLAIM": "roles",
    "OIDC_ROLE_MAP": "Baton.Sales=sales,Baton.Managers=manager",
}


def test_production_requires_a_second_factor_of_managers_and_admins():
    assert settings_in(PRODUCTION, "BATON_MFA_REQUIRED_ROLES") == ["['manager', 'admin']"]
    local = {"DEBUG": "true"}
    assert settings_in(local, "BATON_MFA_REQUIRED_ROLES") == ["[]"]
    chosen = {**PRODUCTION, "MFA_REQUIRED_ROLES": "admin"}
    assert settings_in(chosen, "BATON_MFA_REQUIRED_ROLES") == ["['admin']"]


def test_single_sign_on_is_configured_from_the_environment():
    providers, role_map, form_action = settings_in(
        {**PRODUCTION, **OIDC},
        "SOCIALACCOUNT_PROVIDERS",
        "BATON_OIDC_ROLE_MAP",
        "CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']",
    )
    assert "'server_url': 'https://login.microsoftonline.com/tenant/v2.0'" in providers
    assert "'name': 'Microsoft'" in providers and "'client_id': 'baton'" in providers
    assert role_map == "{'Baton.Sales': 'sales', 'Baton.Managers': 'manager'}"
    # The login form redirects to the provider: CSP lets it.
    assert "https://login.microsoftonline.com" in form_action


def test_without_a_provider_there_is_no_single_sign_on():
    assert settings_in(PRODUCTION, "SOCIALACCOUNT_PROVIDERS") == [
        "{'openid_connect': {'APPS': []}}"
    ]

"""The claims the test provider puts in ID tokens and userinfo answers."""

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

# A provider user in this group has an address the provider vouches for
# (email_verified); the group itself is not a role.
VERIFIED = "email-verified"


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim, whatever the scopes

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        groups = sorted(user.groups.values_list("name", flat=True))
        return {
            "email": user.email,
            "email_verified": VERIFIED in groups,
            "preferred_username": user.username,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "groups": [group for group in groups if group != VERIFIED],
        }

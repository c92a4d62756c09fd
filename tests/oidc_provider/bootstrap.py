"""Create the provider's database: its tables, Baton as a client, people.

Run by server.OidcProvider with the provider's settings; reads a JSON
document from standard input: {"client_id", "client_secret",
"redirect_uris": [...], "people": [{"username", "password", "email",
"first_name", "last_name", "groups": [...]}]}.
"""

import json
import sys

import django
from django.core.management import call_command

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

spec = json.load(sys.stdin)
call_command("migrate", verbosity=0, interactive=False)
Application.objects.create(
    name="Baton",
    client_id=spec["client_id"],
    client_secret=spec["client_secret"],
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris=" ".join(spec["redirect_uris"]),
    algorithm=Application.RS256_ALGORITHM,
    skip_authorization=True,
)
for person in spec["people"]:
    groups = person.pop("groups", [])
    user = User.objects.create_user(**person)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])

"""A real OpenID Connect provider for the single sign-on tests.

A second Django project (these settings) serving django-oauth-toolkit with
OIDC on, run by `server.OidcProvider` as its own process on a free port,
with an RSA key made for the test session. Baton signs people on through it
exactly as through Google Workspace or Microsoft Entra ID: discovery, the
authorization code flow with PKCE, an ID token signed with RS256, userinfo.
"""

"""The parts of django-allauth Baton uses, under /accounts/ (the login page
itself stays at /login/, config/urls.py). Not here on purpose: sign-up,
email address management, setting a first password (single sign-on accounts
stay password-less) and linking other providers."""

from allauth.account import views as account_views
from allauth.socialaccount import views as social_views
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.decorators.http import require_http_methods

from accounts import views

# allauth's form views answer PUT like POST; Baton's pages take what they handle.
get_or_post = require_http_methods(["GET", "HEAD", "POST"])


def get_and_post_only(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """The same routes, each view answering 405 to any verb but GET and POST."""
    routes: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = get_and_post_only(pattern.url_patterns)
            routes.append(
                URLResolver(
                    pattern.pattern, inner, pattern.default_kwargs, pattern.app_name,
                    pattern.namespace,
                )
            )  # fmt: skip
        else:
            callback = get_or_post(pattern.callback)
            routes.append(URLPattern(pattern.pattern, callback, pattern.default_args, pattern.name))
    return routes


urlpatterns = [
    path("inactive/", account_views.account_inactive, name="account_inactive"),
    path("reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path("password/change/", account_views.password_change, name="account_change_password"),
    path("password/reset/", views.password_reset, name="account_reset_password"),
    path(
        "password/reset/done/",
        views.password_reset_done,
        name="account_reset_password_done",
    ),
    re_path(
        r"^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        account_views.password_reset_from_key,
        name="account_reset_password_from_key",
    ),
    path(
        "password/reset/key/done/",
        account_views.password_reset_from_key_done,
        name="account_reset_password_from_key_done",
    ),
    path("2fa/", include("allauth.mfa.urls")),
    path(
        "3rdparty/login/cancelled/",
        social_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    path("3rdparty/login/error/", social_views.login_error, name="socialaccount_login_error"),
    # /accounts/oidc/<provider_id>/login/ and its callback.
    path("", include("allauth.socialaccount.providers.openid_connect.urls")),
]
urlpatterns = get_and_post_only(urlpatterns)

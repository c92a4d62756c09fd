"""The parts of django-allauth Baton uses, under /accounts/ (the login page
itself stays at /login/, config/urls.py). Not here on purpose: sign-up,
email address management, setting a first password (single sign-on accounts
stay password-less) and linking other providers."""

from allauth.account import views as account_views
from allauth.socialaccount import views as social_views
from django.urls import include, path, re_path

from accounts import views

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

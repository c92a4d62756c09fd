from allauth.account import views as account_views
from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_POST
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.urls import get_or_post
from api import views as api_views
from config import health
from crm import views_capture
from kpi.views import home

# Django admin's own login would skip the second factor: send it to Baton's.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links to. Resolved per
    request: in production the file's name carries its hash (the manifest)."""
    return HttpResponseRedirect(static("favicon.svg"))


urlpatterns = [
    path("", home, name="home"),
    # The login runs through django-allauth (a second factor after the
    # password, single sign-on); allauth knows these pages by its own names.
    path("login/", get_or_post(account_views.login), name="login"),
    path("login/", get_or_post(account_views.login), name="account_login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("logout/", auth_views.LogoutView.as_view(), name="account_logout"),
    path("accounts/", include("accounts.urls")),
    # Django's own include answers every method; only the form's POST is handled.
    path("i18n/setlang/", require_POST(set_language), name="set_language"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("capture/confirm/<str:token>/", views_capture.capture_confirm, name="capture_confirm"),
    path("capture/<str:key>/", views_capture.capture, name="capture"),
    path("crm/", include("crm.urls")),
    path("sales/", include("handoff.urls")),
    path("deals/", include("deals.urls")),
    path("kpi/", include("kpi.urls")),
    path("audit/", include("audit.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("nurture/", include("nurture.urls")),
    path("account/api-token/", api_views.api_token, name="api_token"),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("favicon.ico", favicon),
]

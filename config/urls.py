from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import views as api_views
from config import health
from crm import views as crm_views
from kpi.views import home


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page links to. Resolved per
    request: in production the file's name carries its hash (the manifest)."""
    return HttpResponseRedirect(static("favicon.svg"))


# Under /api/ an unknown path answers JSON, as the API's own 404s do.
handler404 = "api.views.not_found"

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("capture/<str:key>/", crm_views.capture, name="capture"),
    path("crm/", include("crm.urls")),
    path("sales/", include("handoff.urls")),
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

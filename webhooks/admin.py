from django.contrib import admin

from webhooks.models import Delivery, Endpoint


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin[Endpoint]):
    """Read-only here: endpoints are set up on the Webhooks page, which checks
    the URL and shows the secret once."""

    list_display = ["name", "url", "is_active", "created_at"]
    readonly_fields = ["name", "url", "events", "is_active", "created_by", "created_at"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ["event", "endpoint", "status", "attempts", "response_code", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["event", "endpoint"]

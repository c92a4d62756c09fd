"""Activities: the timeline, one at a time or in batches of up to 1,000,
idempotent by external id."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from api import services
from api.errors import Conflict
from api.fields import (
    DetailsField,
    StrictCharField,
    StrictChoiceField,
    StrictDateTimeField,
    StrictEmailField,
    StrictIntegerField,
    StrictModelSerializer,
)
from api.filters import MAX_ID, ApiFilterSet, IdFilter, UtcDateTimeFilter
from api.permissions import ModelPermissions
from crm.models import Activity, Lead
from handoff import work


class ActivitySerializer(StrictModelSerializer):
    """An activity as read, and as created one at a time."""

    details = DetailsField(required=False)
    external_id = StrictCharField(
        required=False,
        allow_null=True,
        max_length=200,
        help_text=_("Your id for the event: sending it again records nothing new."),
    )

    class Meta:
        model = Activity
        fields = [
            "id", "lead", "kind", "occurred_at", "campaign", "actor", "details",
            "external_id", "points", "scored_at",
        ]  # fmt: skip
        read_only_fields = ["actor", "points", "scored_at"]

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # Only leads the caller may see can be named; others are "not found".
        request = self.context.get("request")
        lead_field: Any = fields["lead"]
        lead_field.queryset = Lead.objects.visible_to(request.user) if request else Lead.objects
        return fields


class ActivityFilter(ApiFilterSet):
    lead = IdFilter(field_name="lead_id")
    campaign = IdFilter(field_name="campaign_id")
    occurred_from = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_to = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Activity
        fields = ["kind", "campaign", "external_id"]


class BatchItemSerializer(serializers.Serializer[services.IncomingActivity]):
    lead = StrictIntegerField(
        required=False, min_value=1, max_value=MAX_ID,
        help_text=_("The lead's id; or give its email."),
    )  # fmt: skip
    email = StrictEmailField(
        required=False, help_text=_("The lead's email, when its id is not known.")
    )
    kind = StrictChoiceField(choices=Activity.Kind.choices)
    occurred_at = StrictDateTimeField(required=False)
    campaign = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    details = DetailsField(required=False)
    external_id = StrictCharField(required=False, allow_null=True, min_length=1, max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("lead") and not attrs.get("email"):
            raise serializers.ValidationError({"lead": [_("Give the lead's id or its email.")]})
        return attrs

    def to_item(self, attrs: dict[str, Any]) -> services.IncomingActivity:
        return services.IncomingActivity(
            kind=attrs["kind"],
            lead_id=attrs.get("lead"),
            email=attrs.get("email", ""),
            occurred_at=attrs.get("occurred_at"),
            campaign_id=attrs.get("campaign"),
            details=attrs.get("details") or {},
            external_id=attrs.get("external_id") or None,
        )


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "maxItems": services.BATCH_LIMIT,
        # Any object: each item is checked and answered on its own (BatchItem).
        "items": {"type": "object", "additionalProperties": {}},
    }
)
class BatchItemsField(serializers.ListField):
    child = serializers.DictField()


class BatchSerializer(serializers.Serializer[Any]):
    activities = BatchItemsField(
        help_text=_(
            "Up to 1,000 activities, each an object with the fields of BatchItem; each is "
            "answered on its own, so an item that is not valid is rejected in the answer."
        ),
    )

    def validate_activities(self, value: list[Any]) -> list[Any]:
        if not value:
            raise serializers.ValidationError(_("Send at least one activity."))
        if len(value) > services.BATCH_LIMIT:
            raise serializers.ValidationError(
                ngettext(
                    "A batch holds at most %(limit)s activities; this one has %(count)s.",
                    "A batch holds at most %(limit)s activities; this one has %(count)s.",
                    len(value),
                )
                % {"limit": f"{services.BATCH_LIMIT:,}", "count": f"{len(value):,}"}
            )
        return value


class BatchItemResultSerializer(serializers.Serializer[services.ItemResult]):
    index = serializers.IntegerField(help_text=_("The item's position in the batch, from 0."))
    status = serializers.ChoiceField(choices=[services.CREATED, services.KNOWN, services.REJECTED])
    id = serializers.IntegerField(allow_null=True, help_text=_("The activity's id."))
    external_id = serializers.CharField(allow_null=True)
    # The metaclass takes declared fields off the class, so Serializer.errors stays intact.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("For a rejected item: the messages, by field."),
    )


class BatchResultSerializer(serializers.Serializer[Any]):
    created = serializers.IntegerField()
    already_known = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = BatchItemResultSerializer(many=True)


class ActivityViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Activity],
):
    """The activities of the leads the caller may see."""

    lookup_value_regex = "[0-9]+"
    serializer_class = ActivitySerializer
    permission_classes = [ModelPermissions]
    filterset_class = ActivityFilter
    ordering = ("-occurred_at", "-pk")

    def get_queryset(self) -> QuerySet[Activity]:
        return Activity.objects.visible_to(self.request.user)

    @extend_schema(
        responses={
            201: ActivitySerializer,
            200: OpenApiResponse(ActivitySerializer, _("Already recorded under this external id.")),
        }
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user: User = request.user  # type: ignore[assignment]
        if data["kind"] in Activity.SALES_KINDS and not user.has_perm("handoff.claim_handoff"):
            raise PermissionDenied(services.sales_touch_refused())  # as on the pages
        try:
            activity, created = services.record_one_activity(
                data["lead"],
                kind=data["kind"],
                actor=user,
                visible=Lead.objects.visible_to(user),
                occurred_at=data.get("occurred_at"),
                campaign=data.get("campaign"),
                details=data.get("details"),
                external_id=data.get("external_id") or None,
            )
        except services.ExternalIdTaken:
            raise Conflict(services.external_id_taken()) from None
        except work.TouchRefused as refused:
            raise serializers.ValidationError(
                {"occurred_at": [str(refused)]}, code="rule"
            ) from None
        return Response(
            self.get_serializer(activity).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(
        request=BatchSerializer,
        responses={200: BatchResultSerializer},
        description=str(
            _(
                "Records up to 1,000 activities in one request. Each item is answered: "
                "created, already_known (its external_id was recorded before) or rejected "
                "with messages by field; the others are recorded all the same. Sending the "
                "same batch again creates nothing new."
            )
        ),
    )
    @action(detail=False, methods=["post"], url_path="batch")
    def batch(self, request: Request) -> Response:
        envelope = BatchSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        checker = BatchItemSerializer()
        items: list[services.IncomingActivity | dict[str, list[str]]] = []
        for raw in envelope.validated_data["activities"]:
            # One serializer for every item: building 1,000 would cost more than the insert.
            try:
                items.append(checker.to_item(checker.run_validation(raw)))
            except serializers.ValidationError as exc:
                detail: Any = exc.detail
                items.append({k: [str(m) for m in v] for k, v in detail.items()})
        user: User = request.user  # type: ignore[assignment]
        results = services.record_activity_batch(
            items, actor=user, leads=Lead.objects.visible_to(user)
        )
        counts = dict.fromkeys((services.CREATED, services.KNOWN, services.REJECTED), 0)
        for result in results:
            counts[result.status] += 1
        body = {
            **counts,
            "results": [{"index": i, **result.__dict__} for i, result in enumerate(results)],
        }
        return Response(body)

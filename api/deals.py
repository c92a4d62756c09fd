"""Deals: opened from a qualified handoff, then worked to won or lost."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Conflict, DetailSerializer
from api.fields import (
    StrictCharField,
    StrictDateField,
    StrictIntegerField,
    StrictModelSerializer,
    whole_amount,
)
from api.filters import MAX_ID, ApiFilterSet, IdFilter
from api.permissions import ModelPermissions
from crm.models import Deal
from handoff import work
from handoff.models import Handoff


class DealSerializer(StrictModelSerializer):
    amount = whole_amount(14, required=False)

    class Meta:
        model = Deal
        fields = [
            "id", "lead", "company", "name", "amount", "stage", "close_date", "lost_reason",
            "owner", "created_at", "closed_at",
        ]  # fmt: skip
        read_only_fields = ["lead", "company", "owner", "created_at", "closed_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        stage = attrs.get("stage", getattr(self.instance, "stage", Deal.Stage.OPEN))
        reason = attrs.get("lost_reason", getattr(self.instance, "lost_reason", ""))
        if stage == Deal.Stage.LOST and not reason:
            raise serializers.ValidationError(
                {"lost_reason": [_("Say why the deal was lost.")]}, code="rule"
            )
        return attrs


class DealOpenSerializer(serializers.Serializer[Deal]):
    """What opening a deal takes: the rep's qualified handoff and the terms."""

    handoff = StrictIntegerField(
        min_value=1, max_value=MAX_ID, help_text=gettext_lazy("Your qualified handoff of the lead.")
    )
    name = StrictCharField(max_length=200)
    amount = whole_amount(14)
    close_date = StrictDateField(required=False, allow_null=True, default=None)


class DealFilter(ApiFilterSet):
    lead = IdFilter(field_name="lead_id")
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Deal
        fields = ["stage", "owner"]


class DealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Deal],
):
    """The deals of the leads the caller may see; sales opens and works them."""

    lookup_value_regex = "[0-9]+"
    serializer_class = DealSerializer
    permission_classes = [ModelPermissions]
    filterset_class = DealFilter
    ordering = ("-created_at", "-pk")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Deal]:
        return Deal.objects.visible_to(self.request.user)

    @extend_schema(
        request=DealOpenSerializer,
        responses={
            201: DealSerializer,
            409: OpenApiResponse(DetailSerializer, "The handoff is not your qualified one."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = DealOpenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        user: User = request.user  # type: ignore[assignment]
        handoff = Handoff.objects.visible_to(user).filter(pk=data.pop("handoff")).first()
        if handoff is None:
            raise serializers.ValidationError(
                {"handoff": [_("No handoff you can see has this id.")]}, code="not_found"
            )
        deal = work.open_deal(handoff, rep=user, terms=work.DealTerms(**data))
        if deal is None:
            raise Conflict(_("Qualify the lead before opening a deal."))
        return Response(DealSerializer(deal).data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer: serializers.BaseSerializer[Deal]) -> None:
        assert serializer.instance is not None  # nosec B101  # narrows the type for mypy; DRF always sets the instance on update
        serializer.instance = work.update_deal(
            serializer.instance,
            changes=dict(serializer.validated_data),
            by=self.request.user,  # type: ignore[arg-type]
        )

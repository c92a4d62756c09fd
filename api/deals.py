"""Deals and their pipeline: opened from a lead, a company's lead or a
qualified handoff, moved between stages, won and lost, through the same
services as the pages (deals/services.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
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
from api.permissions import ModelPermissions, has_perms
from crm.models import Deal, DealStage, Lead, LostReason
from deals import services
from handoff.models import Handoff


class DealSerializer(StrictModelSerializer):
    amount = whole_amount(14, required=False)
    version = StrictIntegerField(
        required=False,
        min_value=1,
        help_text=gettext_lazy(
            "The version you read: a change made meanwhile is refused (409), not overwritten."
        ),
    )

    class Meta:
        model = Deal
        fields = [
            "id", "lead", "company", "name", "amount", "stage", "status", "probability",
            "expected_close_date", "next_step", "source_campaign", "close_date", "lost_reason",
            "lost_note", "owner", "created_at", "closed_at", "version",
        ]  # fmt: skip
        read_only_fields = [
            "lead", "company", "stage", "status", "source_campaign", "close_date", "lost_reason",
            "lost_note", "owner", "created_at", "closed_at",
        ]  # fmt: skip


class DealOpenSerializer(serializers.Serializer[Deal]):
    """What opening a deal takes: a qualified handoff of yours, or a lead you
    may see (an expansion deal of a customer too), and the terms."""

    handoff = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=gettext_lazy("Your qualified handoff of the lead."),
    )
    lead = StrictIntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=gettext_lazy("A lead you may see (when no handoff is given)."),
    )
    name = StrictCharField(max_length=200)
    amount = whole_amount(14)
    stage = StrictIntegerField(required=False, min_value=1, max_value=MAX_ID)
    expected_close_date = StrictDateField(required=False, allow_null=True, default=None)
    next_step = StrictCharField(required=False, allow_blank=True, max_length=200, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("handoff" in attrs) == ("lead" in attrs):
            raise serializers.ValidationError(
                {"lead": [_("Give either a lead or your qualified handoff.")]}, code="rule"
            )
        return attrs


class MoveSerializer(serializers.Serializer[Any]):
    stage = StrictIntegerField(min_value=1, max_value=MAX_ID)
    from_stage = StrictIntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text=gettext_lazy("The stage you saw the deal at: a move made meanwhile wins."),
    )


class WinSerializer(serializers.Serializer[Any]):
    close_date = StrictDateField()
    amount = whole_amount(14)


class LoseSerializer(serializers.Serializer[Any]):
    reason = StrictIntegerField(min_value=1, max_value=MAX_ID)
    note = StrictCharField(max_length=2000)
    close_date = StrictDateField(required=False, allow_null=True, default=None)


class ReopenSerializer(serializers.Serializer[Any]):
    stage = StrictIntegerField(min_value=1, max_value=MAX_ID)


class DealStageSerializer(serializers.ModelSerializer[DealStage]):
    class Meta:
        model = DealStage
        fields = ["id", "name_ja", "name_en", "order", "probability", "kind", "is_retired"]
        read_only_fields = fields


class LostReasonSerializer(serializers.ModelSerializer[LostReason]):
    class Meta:
        model = LostReason
        fields = ["id", "name_ja", "name_en", "order", "is_retired"]
        read_only_fields = fields


class DealFilter(ApiFilterSet):
    lead = IdFilter(field_name="lead_id")
    owner = IdFilter(field_name="owner_id")
    stage = IdFilter(field_name="stage_id")

    class Meta:
        model = Deal
        fields = ["status", "owner"]


def _stage(pk: int, field: str = "stage") -> DealStage:
    stage = DealStage.objects.filter(pk=pk).first()
    if stage is None:
        raise serializers.ValidationError(
            {field: [_("There is no stage with this id.")]}, code="does_not_exist"
        )
    return stage


def _refusing(call: Callable[[], Deal]) -> Response:
    """The service's answer: the deal, or its refusal as 409 or 400."""
    try:
        deal = call()
    except services.DealConflict as conflict:
        raise Conflict(str(conflict)) from conflict
    except services.DealRefused as refused:
        raise serializers.ValidationError({"deal": [str(refused)]}, code="rule") from refused
    return Response(DealSerializer(deal).data)


def _change(summary: str, request: Any) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={
            200: DealSerializer,
            404: OpenApiResponse(DetailSerializer, "Not among the deals you may change."),
            409: OpenApiResponse(DetailSerializer, "The deal changed meanwhile, or is closed."),
        },
    )


class DealViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Deal],
):
    """The deals the caller may see; sales (and managers) open and work them."""

    lookup_value_regex = "[0-9]+"
    serializer_class = DealSerializer
    permission_classes = [ModelPermissions]
    filterset_class = DealFilter
    ordering = ("-created_at", "-pk")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Deal]:
        deals = Deal.objects.visible_to(self.request.user)
        if self.action not in {"list", "retrieve"}:
            deals = Deal.objects.changeable_by(self.request.user)
        return deals.select_related("stage", "lost_reason")

    def get_permissions(self) -> Any:
        if self.action in {"move", "win", "lose", "reopen"}:
            return [has_perms("crm.change_deal")()]
        return super().get_permissions()

    @property
    def user(self) -> User:
        return self.request.user  # type: ignore[return-value]

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
        handoff_id, lead_id = data.pop("handoff", None), data.pop("lead", None)
        stage_id = data.pop("stage", None)
        terms = services.DealTerms(**data, stage=_stage(stage_id) if stage_id else None)
        try:
            deal = self._open(handoff_id, lead_id, terms)
        except services.DealRefused as refused:
            raise serializers.ValidationError({"deal": [str(refused)]}, code="rule") from refused
        return Response(DealSerializer(deal).data, status=status.HTTP_201_CREATED)

    def _open(self, handoff_id: int | None, lead_id: int | None, terms: Any) -> Deal:
        if handoff_id is not None:
            handoff = Handoff.objects.visible_to(self.user).filter(pk=handoff_id).first()
            if handoff is None:
                raise serializers.ValidationError(
                    {"handoff": [_("No handoff you can see has this id.")]}, code="not_found"
                )
            deal = services.open_deal_from_handoff(handoff, rep=self.user, terms=terms)
            if deal is None:
                raise Conflict(_("Qualify the lead before opening a deal."))
            return deal
        lead = Lead.objects.visible_to(self.user).filter(pk=lead_id or 0).first()
        if lead is None:
            raise serializers.ValidationError(
                {"lead": [_("No lead you can see has this id.")]}, code="not_found"
            )
        return services.open_deal(lead, by=self.user, terms=terms)

    def perform_update(self, serializer: serializers.BaseSerializer[Deal]) -> None:
        assert serializer.instance is not None  # nosec B101  # narrows the type for mypy; DRF always sets the instance on update
        changes = dict(serializer.validated_data)
        version = changes.pop("version", serializer.instance.version)
        try:
            serializer.instance = services.edit_deal(
                serializer.instance, changes=changes, version=version, by=self.user
            )
        except services.DealConflict as conflict:
            raise Conflict(str(conflict)) from conflict
        except services.DealRefused as refused:
            raise serializers.ValidationError({"deal": [str(refused)]}, code="rule") from refused

    @_change("Move an open deal to another open stage, as of the stage you saw.", MoveSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str) -> Response:
        deal = self.get_object()
        form = MoveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        to = _stage(form.validated_data["stage"])
        seen = form.validated_data["from_stage"]
        return _refusing(lambda: services.move_deal(deal, to=to, seen=seen, by=self.user))

    @_change("Mark an open deal won, with its close date and final amount.", WinSerializer)
    @action(detail=True, methods=["post"])
    def win(self, request: Request, pk: str) -> Response:
        deal = self.get_object()
        form = WinSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return _refusing(lambda: services.win_deal(deal, by=self.user, **form.validated_data))

    @_change("Mark an open deal lost, with a reason from the list and a note.", LoseSerializer)
    @action(detail=True, methods=["post"])
    def lose(self, request: Request, pk: str) -> Response:
        deal = self.get_object()
        form = LoseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        reason = LostReason.objects.filter(pk=data.pop("reason")).first()
        if reason is None:
            raise serializers.ValidationError({"reason": [_("There is no reason with this id.")]})
        return _refusing(lambda: services.lose_deal(deal, reason=reason, by=self.user, **data))

    @_change("Put a won or lost deal back in the pipeline, at an open stage.", ReopenSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        deal = self.get_object()
        form = ReopenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        to = _stage(form.validated_data["stage"])
        return _refusing(lambda: services.reopen_deal(deal, to=to, by=self.user))


class DealStageViewSet(viewsets.ReadOnlyModelViewSet[DealStage]):
    """The pipeline's stages in order (retired ones flagged)."""

    lookup_value_regex = "[0-9]+"
    serializer_class = DealStageSerializer
    permission_classes = [ModelPermissions]
    queryset = DealStage.objects.order_by("order", "pk")
    ordering = ("order", "pk")


class LostReasonViewSet(viewsets.ReadOnlyModelViewSet[LostReason]):
    """The reasons a deal may be lost for (retired ones flagged)."""

    lookup_value_regex = "[0-9]+"
    serializer_class = LostReasonSerializer
    permission_classes = [ModelPermissions]
    queryset = LostReason.objects.order_by("order", "pk")
    ordering = ("order", "pk")

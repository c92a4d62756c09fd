"""Handoffs: the sales queue and a rep's decisions, through the same services
as the queue and handoff pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Conflict, DetailSerializer
from api.fields import StrictCharField, StrictChoiceField, StrictPrimaryKeyRelatedField
from api.filters import ApiFilterSet, IdFilter
from api.permissions import ModelPermissions, has_perms
from handoff import notify, services
from handoff.models import Handoff
from web.scope import get_visible_or_404


class HandoffSerializer(serializers.ModelSerializer[Handoff]):
    # Empty until claimed / rejected: the schema says so (an enum or "").
    claimed_via = serializers.ChoiceField(
        choices=Handoff.ClaimedVia.choices, allow_blank=True, read_only=True
    )
    reject_reason = serializers.ChoiceField(
        choices=Handoff.RejectReason.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Handoff
        fields = [
            "id", "lead", "status", "created_at", "fit_at_handoff", "engagement_at_handoff",
            "score_at_handoff", "claimed_by", "claimed_at", "claimed_via", "first_touch_at",
            "decided_at", "reject_reason", "reject_note", "context",
        ]  # fmt: skip
        read_only_fields = fields


class RejectSerializer(serializers.Serializer[dict[str, str]]):
    reason = StrictChoiceField(choices=Handoff.RejectReason.choices)
    note = StrictCharField(required=False, allow_blank=True, max_length=1000, default="")


class ReassignSerializer(serializers.Serializer[dict[str, Any]]):
    rep = StrictPrimaryKeyRelatedField(
        queryset=User.objects.none(),
        help_text="The id of an active sales rep who will own the handoff.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The reps routing could pick (notify.sales_reps), as a lazy queryset:
        # the schema generator builds this serializer without a database.
        self.fields["rep"].queryset = notify.sales_rep_queryset()  # type: ignore[attr-defined]


class HandoffFilter(ApiFilterSet):
    lead = IdFilter(field_name="lead_id")
    claimed_by = IdFilter(field_name="claimed_by_id")

    class Meta:
        model = Handoff
        fields = ["status", "claimed_by"]


def _settled(handoff: Handoff) -> Handoff:
    """The handoff once whoever holds its row lock has committed.

    A losing claim returns at once (SKIP LOCKED), possibly before the winner's
    transaction commits; waiting for the lock here tells a lost race from a
    claim released meanwhile, and the caller's own earlier claim.
    """
    with transaction.atomic():
        return Handoff.objects.select_for_update().get(pk=handoff.pk)


def _decision(summary: str, request: Any = None) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        responses={
            200: HandoffSerializer,
            404: OpenApiResponse(DetailSerializer, "Not found among the handoffs you can see."),
            409: OpenApiResponse(DetailSerializer, "The handoff is not in a state that allows it."),
        },
    )


class HandoffViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Handoff]
):
    """Managers see every handoff; a rep sees the queue and their own claims.
    Claims and decisions need the claim permission (sales)."""

    lookup_value_regex = "[0-9]+"
    serializer_class = HandoffSerializer
    permission_classes = [ModelPermissions]
    filterset_class = HandoffFilter
    ordering = ("-created_at", "-pk")

    def get_queryset(self) -> QuerySet[Handoff]:
        return Handoff.objects.visible_to(self.request.user)

    def get_permissions(self) -> Sequence[Any]:
        if self.action in {"claim", "accept", "reject", "release", "qualify"}:
            return [has_perms("handoff.claim_handoff")()]
        if self.action == "reassign":
            return [has_perms("handoff.reassign_handoff")()]
        return super().get_permissions()

    def _answer(self, handoff: Handoff) -> Response:
        handoff.refresh_from_db()
        return Response(HandoffSerializer(handoff).data)

    @_decision("Claim a waiting handoff; of simultaneous claims exactly one wins.")
    @action(detail=True, methods=["post"])
    def claim(self, request: Request, pk: str) -> Response:
        # In the caller's scope, as on the queue page: a handoff another rep
        # already holds is a 404, whoever asks.
        handoff = get_visible_or_404(Handoff, request.user, pk)
        user: User = request.user  # type: ignore[assignment]
        if services.claim_handoff(handoff, rep=user):
            return self._answer(handoff)
        handoff = _settled(handoff)
        if handoff.status == Handoff.Status.QUEUED and services.claim_handoff(handoff, rep=user):
            return self._answer(handoff)  # whoever held the row let it go unclaimed
        if handoff.claimed_by_id == user.pk:
            raise Conflict(_("You have claimed this lead already."))
        # It was waiting when asked: say that it is gone, not to whom.
        raise Conflict(_("Someone else claimed this lead first."))

    @_decision("Accept the lead you claimed (SAL).")
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str) -> Response:
        handoff = self.get_object()
        if not services.accept_handoff(handoff, rep=request.user):  # type: ignore[arg-type]
            raise Conflict(_("Only the rep who claimed this lead can accept it."))
        return self._answer(handoff)

    @_decision("Reject the lead you claimed, with a reason: it goes back to marketing.",
               RejectSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        handoff = self.get_object()
        form = RejectSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if not services.reject_handoff(
            handoff,
            rep=request.user,  # type: ignore[arg-type]
            reason=form.validated_data["reason"],
            note=form.validated_data["note"],
        ):
            raise Conflict(_("Only the rep who claimed this lead can reject it."))
        return self._answer(handoff)

    @_decision("Put the lead you claimed back in the queue.")
    @action(detail=True, methods=["post"])
    def release(self, request: Request, pk: str) -> Response:
        handoff = self.get_object()
        if not services.release_handoff(handoff, rep=request.user):  # type: ignore[arg-type]
            raise Conflict(_("Only the rep who claimed this lead can release it."))
        return self._answer(handoff)

    @_decision("Qualify the lead you accepted (SQL).")
    @action(detail=True, methods=["post"])
    def qualify(self, request: Request, pk: str) -> Response:
        handoff = self.get_object()
        if not services.qualify_handoff(handoff, rep=request.user):  # type: ignore[arg-type]
            raise Conflict(_("Only the rep who accepted this lead can qualify it."))
        return self._answer(handoff)

    @_decision("Give a waiting or live handoff to another rep (managers).", ReassignSerializer)
    @action(detail=True, methods=["post"])
    def reassign(self, request: Request, pk: str) -> Response:
        handoff = self.get_object()
        form = ReassignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        if not services.reassign_handoff(
            handoff,
            to=form.validated_data["rep"],
            by=request.user,  # type: ignore[arg-type]
        ):
            raise Conflict(_("This handoff cannot be reassigned to that rep now."))
        return self._answer(handoff)

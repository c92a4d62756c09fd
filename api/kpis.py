"""GET /api/v1/kpis/: the dashboard's figures, from the same rollups, with the
same filters, checked by the same form."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import DetailSerializer
from crm.models import Campaign
from kpi import metrics
from kpi.forms import PRESETS, DashboardForm
from kpi.metrics import Filters


def number(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=20, decimal_places=1, coerce_to_string=False, allow_null=True, **kwargs
    )


class FigureSerializer(serializers.Serializer[metrics.Figure]):
    key = serializers.CharField(source="definition.key")
    name = serializers.CharField(source="definition.name")
    definition = serializers.CharField(source="definition.formula")
    unit = serializers.CharField(source="definition.unit")
    owner = serializers.CharField(source="definition.owner")
    value = number(
        help_text="null: nothing to divide by, or a marketing figure under a rep filter; "
        "-1 for a duration: beyond the last histogram bucket."
    )
    target = number()
    gap = number(help_text="Actual minus target.")


class StepSerializer(serializers.Serializer[metrics.Step]):
    key = serializers.CharField()
    count = serializers.IntegerField()
    conversion = number(help_text="Percent of the step before.")
    median_days = serializers.IntegerField(allow_null=True)


class RejectionSerializer(serializers.Serializer[dict[str, Any]]):
    reason = serializers.CharField()
    count = serializers.IntegerField()


class CampaignRowSerializer(serializers.Serializer[metrics.CampaignRow]):
    campaign = serializers.IntegerField(source="campaign_id", help_text="0: no campaign.")
    name = serializers.CharField()
    channel = serializers.CharField()
    cost = number()
    leads = serializers.IntegerField()
    mqls = serializers.IntegerField()
    sqls = serializers.IntegerField()
    won = serializers.IntegerField()
    cost_per_lead = number()
    cost_per_mql = number()
    cost_per_sql = number()
    cost_per_won = number()
    won_revenue = number()
    roi = number(help_text="Percent.")
    pipeline_sourced = number()
    pipeline_influenced = number()


class RepRowSerializer(serializers.Serializer[metrics.RepRow]):
    rep = serializers.IntegerField(source="rep_id")
    name = serializers.CharField()
    claimed = serializers.IntegerField()
    speed_p50 = serializers.IntegerField(allow_null=True, help_text="Minutes (at most).")
    accepted = serializers.IntegerField()
    rejected = serializers.IntegerField()
    won = serializers.IntegerField()


class DailySerializer(serializers.Serializer[metrics.DailyPoint]):
    day = serializers.DateField()
    leads = serializers.IntegerField()
    mqls = serializers.IntegerField()
    sqls = serializers.IntegerField()
    won = serializers.IntegerField()


class KpisSerializer(serializers.Serializer[dict[str, Any]]):
    scope = serializers.ChoiceField(
        choices=["all", "own"],
        help_text="own: a rep's answer, their own per-rep row only.",
    )
    start = serializers.DateField()
    end = serializers.DateField()
    figures = FigureSerializer(many=True)
    cohort_funnel = StepSerializer(many=True)
    calendar_funnel = StepSerializer(many=True)
    rejections = RejectionSerializer(many=True)
    campaigns = CampaignRowSerializer(many=True)
    reps = RepRowSerializer(many=True)
    daily = DailySerializer(many=True)


class CanReadKpis(BasePermission):
    """Managers and marketers read everything; reps their own row."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user
            and user.is_authenticated
            and (user.has_perm("kpi.view_dashboard") or user.has_perm("kpi.view_own_kpis"))
        )


FILTERS = [
    OpenApiParameter("preset", OpenApiTypes.STR, enum=[*PRESETS, "custom"]),
    OpenApiParameter("start", OpenApiTypes.DATE, description="With preset=custom."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="With preset=custom."),
    OpenApiParameter("campaign", OpenApiTypes.INT),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=Campaign.Channel.values),
    OpenApiParameter("rep", OpenApiTypes.INT),
]


class OneObjectSchema(AutoSchema):
    """The figures are one object, though the route is the viewset's list."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


class KpiViewSet(viewsets.ViewSet):
    permission_classes = [CanReadKpis]
    schema = OneObjectSchema()

    @extend_schema(
        parameters=FILTERS,
        responses={
            200: KpisSerializer,
            400: OpenApiResponse(description="Messages by field."),
            403: DetailSerializer,
        },
    )
    def list(self, request: Request) -> Response:
        form = DashboardForm(request.query_params or None)
        if request.query_params and not form.is_valid():
            return Response(form.errors, status=400)
        user = request.user
        everything = user.has_perm("kpi.view_dashboard")
        filters = form.filters() if everything else Filters(rep=user.pk)
        board = metrics.dashboard(form.period(), filters)
        answer: dict[str, Any] = {
            "scope": "all" if everything else "own",
            "start": board.period.start,
            "end": board.period.end,
            "figures": board.figures if everything else [],
            "cohort_funnel": board.cohort if everything else [],
            "calendar_funnel": board.calendar if everything else [],
            "rejections": [{"reason": r, "count": n} for r, n in board.rejections]
            if everything
            else [],
            "campaigns": board.campaigns if everything else [],
            "reps": board.reps if everything else [r for r in board.reps if r.rep_id == user.pk],
            "daily": board.daily if everything else [],
        }
        return Response(KpisSerializer(answer).data)

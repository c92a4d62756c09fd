"""GET /api/v1/kpis/: the dashboard's figures, from the same rollups, with the
same filters, checked by the same form."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import DetailSerializer
from api.fields import QueryIntegerField, StrictChoiceField, StrictDateField
from api.filters import MAX_ID
from crm.models import Campaign
from kpi import metrics
from kpi.forms import MAX_DAYS, PRESETS
from kpi.metrics import Filters, Period, resolve_filters


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


# The earliest and latest days a custom period may cover: far beyond any data,
# and within what date arithmetic reaches (9999-12-31 has no next day).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


class KpiQuerySerializer(serializers.Serializer[dict[str, Any]]):
    """The dashboard's filters as the API takes them: each value as the schema
    says (400 otherwise), the rules between them answered 422. An id that
    names no campaign or rep gives that filter's figures: none."""

    preset = StrictChoiceField(choices=[*PRESETS, "custom"], required=False)
    start = StrictDateField(required=False, help_text="With preset=custom (or no preset).")
    end = StrictDateField(required=False, help_text="With preset=custom (or no preset).")
    campaign = QueryIntegerField(required=False, min_value=1, max_value=MAX_ID)
    channel = StrictChoiceField(choices=Campaign.Channel.choices, required=False)
    rep = QueryIntegerField(required=False, min_value=1, max_value=MAX_ID)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        dated = bool({"start", "end"} & set(attrs))
        if attrs.get("preset", "custom" if dated else "") != "custom":
            return attrs
        start, end = attrs.get("start"), attrs.get("end")
        if not start or not end:
            message = _("Choose both dates for a custom period.")
        elif end < start:
            message = _("The period cannot end before it starts.")
        elif (end - start).days >= MAX_DAYS:
            message = _("Choose a period of at most one year.")
        elif start < FIRST_DAY or end > LAST_DAY:
            message = _("Choose dates between 1900 and 2199.")
        else:
            attrs["period"] = Period(start, end)
            return attrs
        raise serializers.ValidationError({"end": [message]}, code="rule")

    def period(self) -> Period:
        data = self.validated_data
        if "period" in data:
            period: Period = data["period"]
            return period
        return PRESETS[data.get("preset") or "this_quarter"][1](timezone.localdate())

    def filters(self) -> Filters:
        data = self.validated_data
        # Only its id is read: an id nobody has filters to nothing, as list filters do.
        campaign = Campaign(pk=data["campaign"]) if data.get("campaign") else None
        return resolve_filters(
            campaign=campaign, channel=data.get("channel", ""), rep=data.get("rep")
        )


class OneObjectSchema(AutoSchema):
    """The figures are one object, though the route is the viewset's list."""

    def _is_list_view(self, serializer: Any = None) -> bool:
        return False


class KpiViewSet(viewsets.ViewSet):
    permission_classes = [CanReadKpis]
    schema = OneObjectSchema()

    @extend_schema(
        parameters=[KpiQuerySerializer],
        responses={
            200: KpisSerializer,
            400: OpenApiResponse(description="Messages by field."),
            403: DetailSerializer,
            422: OpenApiResponse(description="The period's dates do not go together."),
        },
    )
    def list(self, request: Request) -> Response:
        for name, values in request.query_params.lists():
            if len(values) > 1 and name in KpiQuerySerializer().fields:
                raise serializers.ValidationError({name: [_("Give this parameter once.")]})
        query = KpiQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        user = request.user
        everything = user.has_perm("kpi.view_dashboard")
        filters = query.filters() if everything else Filters(rep=user.pk)
        board = metrics.dashboard(query.period(), filters)
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

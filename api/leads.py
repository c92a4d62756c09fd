"""Leads: list with the lead list's filters, read, create, change; and each
lead's question-ledger answers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from api.fields import StrictBooleanField, StrictCharField, StrictModelSerializer
from api.filters import ApiFilterSet, DateOnlyFilter, IdFilter, IntFilter
from api.permissions import ModelPermissions
from crm import dedupe, normalize, people
from crm import services as crm
from crm.models import Answer, Company, Lead, StageChange
from crm.models.people import LeadQuerySet
from handoff import work
from web.scope import get_visible_or_404

EMAIL_TAKEN = _("A lead with this email already exists.")


def email_taken() -> serializers.ValidationError:
    """409 on `email`: another lead has it (the API's error handler maps the code)."""
    return serializers.ValidationError({"email": [EMAIL_TAKEN]}, code="unique")


class LeadSerializer(StrictModelSerializer):
    company_name = StrictCharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=_("Finds the company by its name (㈱ and 株式会社 alike) or creates it."),
    )
    save_anyway = StrictBooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_(
            "Create the lead even though it probably duplicates others (the answer "
            "without it is 409 with the candidates); recorded in the audit trail."
        ),
    )
    fit_score = serializers.IntegerField(read_only=True)
    engagement_score = serializers.IntegerField(read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id", "family_name", "given_name", "family_name_kana", "given_name_kana",
            "email", "phone", "company", "company_name", "department", "title",
            "prefecture", "address",
            "stage", "owner", "source_campaign", "fit_score", "engagement_score",
            "created_at", "updated_at", "save_anyway",
        ]  # fmt: skip
        # Stage and owner change through handoffs (claim, accept, reject...),
        # which record the history the KPIs are computed from.
        read_only_fields = ["stage", "owner", "created_at", "updated_at"]

    def validate_email(self, value: str) -> str:
        email = crm.normalise_email(value)
        others = Lead.objects.with_email(email)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(EMAIL_TAKEN, code="unique")
        return email

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        name = attrs.pop("company_name", "")
        if name and attrs.get("company"):
            raise serializers.ValidationError(
                {"company_name": [_("Give either company or company_name, not both.")]},
                code="rule",
            )
        if name:
            attrs["company_name"] = name
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Lead:
        data = dict(validated_data)
        data.pop("save_anyway", None)
        name = data.pop("company_name", "")
        try:
            return people.create_lead(
                data,
                by=self.context["request"].user,
                reason=StageChange.Reason.API,
                company_name=name,
                overriding=self.context.get("overriding", ()),
            )
        except IntegrityError as exc:  # the same email created meanwhile
            raise email_taken() from exc

    def update(self, instance: Lead, validated_data: dict[str, Any]) -> Lead:
        changes = {k: v for k, v in validated_data.items() if k != "save_anyway"}
        return people.update_lead(instance, changes=changes, by=self.context["request"].user)


class CandidateSerializer(serializers.Serializer[dedupe.Candidate]):
    """A record the one sent probably duplicates."""

    id = serializers.IntegerField(source="record.pk")
    type = serializers.SerializerMethodField()
    reasons = serializers.ListField(child=serializers.CharField())

    def get_type(self, candidate: dedupe.Candidate) -> str:
        return "lead" if isinstance(candidate.record, Lead) else "company"


class DuplicatesSerializer(serializers.Serializer[dict[str, Any]]):
    """409: probable duplicates (`candidates`; send again with "save_anyway":
    true to create it), or an email already taken (`detail` and `email`)."""

    detail = serializers.CharField()
    candidates = CandidateSerializer(many=True, required=False)


def duplicates_detail() -> str:
    return str(
        _(
            "This lead probably exists already (see candidates). Send it again with "
            '"save_anyway": true to create it all the same.'
        )
    )


# Bounds of the created dates a filter reads: beyond them, every lead or none.
EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)


class LeadFilter(ApiFilterSet):
    """The lead list's filters (crm.forms.LeadFilterForm), by the same names."""

    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100)
    stage = django_filters.ChoiceFilter(choices=Lead.Stage.choices)
    campaign = IdFilter(field_name="source_campaign_id")
    owner = IdFilter(field_name="owner_id")
    min_fit = IntFilter(field_name="score__fit", lookup_expr="gte")
    min_engagement = IntFilter(field_name="score__engagement", lookup_expr="gte")
    created_from = DateOnlyFilter(method="created_from_filter")
    created_to = DateOnlyFilter(method="created_to_filter")

    class Meta:
        model = Lead
        fields = ["q", "stage", "campaign", "owner", "min_fit", "min_engagement"]

    def search(self, leads: LeadQuerySet, name: str, value: str) -> LeadQuerySet:
        return leads.search(value)

    def created_from_filter(self, leads: QuerySet[Lead], name: str, value: Any) -> QuerySet[Lead]:
        tz = timezone.get_current_timezone()
        value = max(value, EARLIEST)  # no lead is older; year 1 overflows in UTC
        return leads.filter(created_at__gte=datetime.combine(value, time.min, tzinfo=tz))

    def created_to_filter(self, leads: QuerySet[Lead], name: str, value: Any) -> QuerySet[Lead]:
        # The whole day, in Baton's time zone, as on the lead list.
        tz = timezone.get_current_timezone()
        value = min(value, LATEST)  # 9999-12-31 has no next day
        end = datetime.combine(value + timedelta(days=1), time.min, tzinfo=tz)
        return leads.filter(created_at__lt=end)


class ChangesOwnLeadsOnly(BasePermission):
    """Who sees every lead (marketers) may change any; a rep only the leads
    they own. A rep reads the leads waiting in the queue, but no page lets
    them edit one, and neither does the API."""

    message = _("You can change only the leads you own.")

    def has_object_permission(self, request: Request, view: Any, obj: Lead) -> bool:
        user = request.user
        if request.method in SAFE_METHODS or user.has_perm("crm.view_all_leads"):
            return True
        return obj.owner_id is not None and obj.owner_id == user.pk


class LeadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Lead],
):
    """Leads the caller may see: marketers and managers every lead, a rep the
    leads waiting for sales and their own."""

    lookup_value_regex = "[0-9]+"
    serializer_class = LeadSerializer
    permission_classes = [ModelPermissions, ChangesOwnLeadsOnly]
    filterset_class = LeadFilter
    ordering = ("-created_at", "-pk")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Lead]:
        return Lead.objects.visible_to(self.request.user).select_related("score")

    @extend_schema(
        responses={
            201: LeadSerializer,
            409: OpenApiResponse(
                DuplicatesSerializer,
                "Probable duplicates (same phone, same name or reading at the same company), "
                "or an email already taken (`detail` and `email`).",
            ),
        }
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a lead; probable duplicates answer 409 with the candidates
        unless the body says "save_anyway": true (the audit trail keeps that)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        company = data.get("company")
        if name := normalize.nfkc(data.get("company_name", "")):
            company = Company.objects.filter(key=normalize.company_key(name) or name).first()
        # The same email was answered already (validate_email: 409 on `email`).
        values = {k: v for k, v in data.items() if k != "email"}
        visible = Lead.objects.visible_to(request.user)
        candidates = dedupe.lead_candidates(values, company=company, leads=visible)
        if candidates and not data.get("save_anyway"):
            # A lead with this email committed since validate_email read is the
            # candidate that blocks: answer it as the email clash it is.
            if data.get("email") and Lead.objects.with_email(data["email"]).exists():
                raise email_taken()
            body = {"detail": duplicates_detail(), "candidates": candidates}
            return Response(DuplicatesSerializer(body).data, status=status.HTTP_409_CONFLICT)
        serializer.context["overriding"] = [c.record.pk for c in candidates]
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class AnswerSerializer(StrictModelSerializer):
    class Meta:
        model = Answer
        fields = [
            "id", "lead", "question", "asked", "answer", "source", "recorded_by", "recorded_at",
        ]  # fmt: skip
        read_only_fields = ["lead", "recorded_by", "recorded_at"]
        extra_kwargs = {
            "answer": {"max_length": 2000},
            "asked": {
                "help_text": _(
                    "The question as the customer read it, when a form worded it itself "
                    "(a free question); empty for the ledger's own wording."
                )
            },
            "source": {
                "help_text": _(
                    "Where the customer said it: web_form (a capture form), import (a "
                    "list), call, meeting, email or event."
                )
            },
        }


LEAD_PK = OpenApiParameter("lead_pk", OpenApiTypes.INT, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(parameters=[LEAD_PK]), create=extend_schema(parameters=[LEAD_PK])
)
class LeadAnswerViewSet(
    mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet[Answer]
):
    """The question ledger of one lead: what the customer already told us."""

    lookup_value_regex = "[0-9]+"
    serializer_class = AnswerSerializer
    permission_classes = [ModelPermissions]
    ordering = ("-recorded_at", "-pk")  # the latest first, as on the lead page
    pagination_class = None  # a lead has a handful of answers

    def lead(self) -> Lead:
        return get_visible_or_404(Lead, self.request.user, self.kwargs["lead_pk"])

    def get_queryset(self) -> QuerySet[Answer]:
        visible = Lead.objects.visible_to(self.request.user)
        answers = Answer.objects.filter(lead__in=visible, lead_id=self.kwargs.get("lead_pk"))
        return answers.order_by(*self.ordering)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.lead()  # a lead out of scope is not found, rather than without answers
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer: serializers.BaseSerializer[Answer]) -> None:
        data = serializer.validated_data
        serializer.instance = work.record_answer(
            self.lead(),
            question=data["question"],
            answer=data["answer"],
            source=data["source"],
            asked=data.get("asked", ""),
            by=self.request.user,  # type: ignore[arg-type]
        )

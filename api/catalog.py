"""Companies and campaigns: read by every role, written by marketers."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from api.fields import StrictBooleanField, StrictModelSerializer, whole_amount
from api.filters import ApiFilterSet, IdFilter
from api.permissions import ModelPermissions
from crm import dedupe, normalize, people
from crm.models import Campaign, Company

DOMAIN_LENGTH = Company._meta.get_field("domain").max_length or 200


class CompanySerializer(StrictModelSerializer):
    save_anyway = StrictBooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text=_(
            "Create the company even though it probably duplicates others (same web "
            "domain or same reading; the answer without it is 409 with the candidates); "
            "recorded in the audit trail. A company of the same name is refused all the same."
        ),
    )

    class Meta:
        model = Company
        fields = [
            "id", "name", "name_kana", "domain", "industry", "size_band", "prefecture",
            "address", "created_at", "save_anyway",
        ]  # fmt: skip

    def validate_name(self, value: str) -> str:
        # Two spellings of one company (㈱ and 株式会社) are one company: its key.
        key = normalize.company_key(value) or normalize.nfkc(value)
        others = Company.objects.filter(key=key)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(_("This company exists already."), code="unique")
        return value

    def validate_domain(self, value: str) -> str:
        domain = normalize.web_domain(value)  # as the company form stores it
        if len(domain) > DOMAIN_LENGTH:  # NFKC made it longer (㍿ is 株式会社)
            raise serializers.ValidationError(_("The domain is too long."))
        return domain

    def create(self, validated_data: dict[str, Any]) -> Company:
        data = {k: v for k, v in validated_data.items() if k != "save_anyway"}
        try:
            with transaction.atomic():
                return people.create_company(
                    data,
                    by=self.context["request"].user,
                    overriding=self.context.get("overriding", ()),
                )
        except IntegrityError as exc:  # the same company created meanwhile
            raise serializers.ValidationError(
                {"name": [_("This company exists already.")]}, code="unique"
            ) from exc

    def update(self, instance: Company, validated_data: dict[str, Any]) -> Company:
        """Through crm's service, as the page's edits: the history records
        who, and a change the fit rules read rescores the company's people."""
        changes = {k: v for k, v in validated_data.items() if k != "save_anyway"}
        try:
            with transaction.atomic():
                return people.update_company(
                    instance, changes=changes, by=self.context["request"].user
                )
        except IntegrityError as exc:  # its new name taken meanwhile
            raise serializers.ValidationError(
                {"name": [_("This company exists already.")]}, code="unique"
            ) from exc


class CompanyCandidateSerializer(serializers.Serializer[dedupe.Candidate]):
    """A company the one sent probably duplicates."""

    id = serializers.IntegerField(source="record.pk")
    type = serializers.SerializerMethodField()
    name = serializers.CharField(source="record.name")
    url = serializers.SerializerMethodField(help_text=_("The company in the API."))
    reasons = serializers.ListField(child=serializers.CharField())

    def get_type(self, candidate: dedupe.Candidate) -> str:
        return "company"

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, candidate: dedupe.Candidate) -> str:
        path = reverse("api:company-detail", args=[candidate.record.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class CompanyDuplicatesSerializer(serializers.Serializer[dict[str, Any]]):
    """409: probable duplicates (`candidates`; send again with "save_anyway":
    true to create it), or a company of the same name (`detail` and `name`)."""

    detail = serializers.CharField()
    candidates = CompanyCandidateSerializer(many=True, required=False)


def company_duplicates_detail() -> str:
    return str(
        _(
            "This company probably exists already (see candidates). Send it again with "
            '"save_anyway": true to create it all the same.'
        )
    )


class CompanyFilter(ApiFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name"), max_length=100)

    class Meta:
        model = Company
        fields = ["q", "domain", "industry", "size_band", "prefecture"]

    def search(self, companies: QuerySet[Company], name: str, value: str) -> QuerySet[Company]:
        key = normalize.company_key(value) or normalize.nfkc(value)
        return companies.filter(key__contains=key) if key else companies


class CompanyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Company],
):
    lookup_value_regex = "[0-9]+"
    serializer_class = CompanySerializer
    permission_classes = [ModelPermissions]
    filterset_class = CompanyFilter
    ordering = ("name", "pk")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Company]:
        return Company.objects.visible_to(self.request.user)

    @extend_schema(
        responses={
            201: CompanySerializer,
            409: OpenApiResponse(
                CompanyDuplicatesSerializer,
                "Probable duplicates (same web domain, same reading kana folded), or a "
                "company of the same name whatever its legal form (`detail` and `name`).",
            ),
        }
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a company; probable duplicates answer 409 with the candidates
        unless the body says "save_anyway": true (the audit trail keeps that),
        as on the company form. The same name (㈱ and 株式会社 alike) is
        refused whatever the body says."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)  # the same name: 409 on `name`
        data = serializer.validated_data
        candidates = [c for c in dedupe.company_candidates(data) if not c.blocking]
        if candidates and not data.get("save_anyway"):
            body = {"detail": company_duplicates_detail(), "candidates": candidates}
            answer = CompanyDuplicatesSerializer(body, context={"request": request})
            return Response(answer.data, status=status.HTTP_409_CONFLICT)
        serializer.context["overriding"] = [c.record.pk for c in candidates]
        serializer.save()
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class CampaignSerializer(StrictModelSerializer):
    budget = whole_amount(12, required=False)
    actual_cost = whole_amount(12, required=False)

    class Meta:
        model = Campaign
        fields = [
            "id", "name", "channel", "starts_on", "ends_on", "budget", "actual_cost",
            "utm_code", "capture_key", "owner", "created_at",
        ]  # fmt: skip
        read_only_fields = ["capture_key", "owner", "created_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        starts_on = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends_on = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts_on and ends_on and ends_on < starts_on:
            raise serializers.ValidationError(
                {"ends_on": [_("The campaign cannot end before it starts.")]}, code="rule"
            )
        return attrs


class CampaignFilter(ApiFilterSet):
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Campaign
        fields = ["channel", "owner", "utm_code"]


class CampaignViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Campaign],
):
    """Every role reads campaigns (as on the campaign pages); marketers create
    and change them, and own the ones they create."""

    lookup_value_regex = "[0-9]+"
    serializer_class = CampaignSerializer
    permission_classes = [ModelPermissions]
    filterset_class = CampaignFilter
    ordering = ("-created_at", "-pk")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Campaign]:
        return Campaign.objects.visible_to(self.request.user)

    def perform_create(self, serializer: serializers.BaseSerializer[Campaign]) -> None:
        serializer.save(owner=self.request.user)

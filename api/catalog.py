"""Companies and campaigns: read by every role, written by marketers."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, serializers, viewsets

from api.fields import StrictModelSerializer, whole_amount
from api.filters import ApiFilterSet, IdFilter
from api.permissions import ModelPermissions
from crm import normalize, people
from crm.models import Campaign, Company


class CompanySerializer(StrictModelSerializer):
    class Meta:
        model = Company
        fields = [
            "id", "name", "name_kana", "domain", "industry", "size_band", "prefecture",
            "address", "created_at",
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

    def create(self, validated_data: dict[str, Any]) -> Company:
        try:
            with transaction.atomic():
                return people.create_company(validated_data, by=self.context["request"].user)
        except IntegrityError as exc:  # the same company created meanwhile
            raise serializers.ValidationError(
                {"name": [_("This company exists already.")]}, code="unique"
            ) from exc

    def update(self, instance: Company, validated_data: dict[str, Any]) -> Company:
        """Through crm's service, as the page's edits: the history records
        who, and a change the fit rules read rescores the company's people."""
        try:
            with transaction.atomic():
                return people.update_company(
                    instance, changes=validated_data, by=self.context["request"].user
                )
        except IntegrityError as exc:  # its new name taken meanwhile
            raise serializers.ValidationError(
                {"name": [_("This company exists already.")]}, code="unique"
            ) from exc


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

"""Tasks: the caller's own (a manager's: the team's), on a lead, a company, a
deal or a handoff the caller may see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import DetailSerializer
from api.fields import StrictIntegerField, StrictModelSerializer
from api.filters import ApiFilterSet, IdFilter
from api.permissions import ModelPermissions, has_perms
from crm.models import Company, Deal, Lead
from handoff.models import Handoff
from tasks import services
from tasks.forms import assignable_users
from tasks.models import Task

RECORD_FIELDS = ("lead", "company", "deal", "handoff")


class TaskSerializer(StrictModelSerializer):
    """A task; on creation, exactly one of lead, company, deal and handoff."""

    priority = StrictIntegerField(
        min_value=1,
        max_value=3,
        required=False,
        help_text=gettext_lazy("1 low, 2 normal (the default), 3 high."),
    )

    class Meta:
        model = Task
        fields = [
            "id", "title", "due_at", "assignee", "priority", "notes",
            "lead", "company", "deal", "handoff",
            "created_by", "created_at", "done_at", "done_by",
        ]  # fmt: skip
        read_only_fields = ["created_by", "created_at", "done_at", "done_by"]
        extra_kwargs = {"assignee": {"required": False}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        # What the caller may point a task at, and give it to.
        self.fields["assignee"].queryset = assignable_users(user)  # type: ignore[attr-defined]
        for name, model in (
            ("lead", Lead),
            ("company", Company),
            ("deal", Deal),
            ("handoff", Handoff),
        ):
            self.fields[name].queryset = model.objects.visible_to(user)  # type: ignore[attr-defined]
        if self.instance is not None:
            for name in RECORD_FIELDS:  # a task stays on its record
                self.fields[name].read_only = True

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None:
            chosen = [name for name in RECORD_FIELDS if attrs.get(name) is not None]
            if len(chosen) != 1:
                raise serializers.ValidationError(
                    {
                        "non_field_errors": [
                            _("Give exactly one of lead, company, deal and handoff.")
                        ]
                    },
                    code="rule",
                )
        return attrs


class TaskFilter(ApiFilterSet):
    assignee = IdFilter(field_name="assignee_id")
    lead = IdFilter(field_name="lead_id")
    company = IdFilter(field_name="company_id")
    deal = IdFilter(field_name="deal_id")
    handoff = IdFilter(field_name="handoff_id")

    class Meta:
        model = Task
        fields = ["assignee", "priority"]


def _done_schema(summary: str) -> Any:
    return extend_schema(
        summary=summary,
        request=None,
        responses={
            200: TaskSerializer,
            404: OpenApiResponse(DetailSerializer, "Not found among the tasks you can see."),
        },
    )


class TaskViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Task],
):
    """The caller's tasks (assigned to them or made by them); a manager's:
    the team's. Soonest due first."""

    lookup_value_regex = "[0-9]+"
    serializer_class = TaskSerializer
    permission_classes = [ModelPermissions]
    filterset_class = TaskFilter
    ordering = ("due_at", "pk")
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Task]:
        return Task.objects.visible_to(self.request.user)

    def get_permissions(self) -> Sequence[Any]:
        if self.action in {"complete", "reopen"}:
            return [has_perms("tasks.change_task")()]
        return super().get_permissions()

    def perform_create(self, serializer: serializers.BaseSerializer[Task]) -> None:
        data = dict(serializer.validated_data)
        user: User = self.request.user  # type: ignore[assignment]
        record = next(data.pop(name) for name in RECORD_FIELDS if data.get(name) is not None)
        for name in RECORD_FIELDS:
            data.pop(name, None)
        details = services.TaskDetails(
            title=data["title"],
            due_at=data["due_at"],
            assignee=data.get("assignee") or user,
            priority=data.get("priority", Task.Priority.NORMAL),
            notes=data.get("notes", ""),
        )
        serializer.instance = services.create_task(record, details, by=user)

    def perform_update(self, serializer: serializers.BaseSerializer[Task]) -> None:
        task = serializer.instance
        assert task is not None  # nosec B101  # narrows the type for mypy; DRF always sets the instance on update
        data = serializer.validated_data
        details = services.TaskDetails(
            title=data.get("title", task.title),
            due_at=data.get("due_at", task.due_at),
            assignee=data.get("assignee", task.assignee),
            priority=data.get("priority", task.priority),
            notes=data.get("notes", task.notes),
        )
        serializer.instance = services.update_task(task, details)

    @_done_schema("Mark the task done.")
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        services.complete_task(task, by=request.user)  # type: ignore[arg-type]
        return Response(TaskSerializer(task, context={"request": request}).data)

    @_done_schema("Undo the task's completion.")
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str) -> Response:
        task = self.get_object()
        services.reopen_task(task)
        return Response(TaskSerializer(task, context={"request": request}).data)

"""Every API route and method × every role. A route without a row fails the test.

The statuses follow the UI's matrix (tests/test_permissions.py): a missing
role permission is 403, a row out of the caller's scope is 404, and no
credentials is 401. An object named in a request body that the caller cannot
see is a validation error (400) on that field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import Activity, Answer, Company, Deal, DealStage, LostReason
from handoff import services
from tests import factories
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "marketer", "rep", "other_rep", "manager"]
World = dict[str, Any]
Payload = Callable[[World], dict[str, Any]] | None

# (route name, method) -> (object the URL takes, body, statuses for
#                          (anonymous, marketer, rep, other_rep, manager)).
MATRIX: dict[tuple[str, str], tuple[str | None, Payload, tuple[int, int, int, int, int]]] = {
    ("api-root", "get"): (None, None, (401, 200, 200, 200, 200)),
    ("lead-list", "get"): (None, None, (401, 200, 200, 200, 200)),
    ("lead-list", "post"): (
        None,
        lambda w: {"family_name": "新規", "email": "new@example.jp"},
        (401, 201, 403, 403, 403),
    ),
    ("lead-detail", "get"): ("reps_lead", None, (401, 200, 200, 404, 200)),
    ("lead-detail", "patch"): ("reps_lead", lambda w: {"title": "部長"}, (401, 200, 200, 404, 403)),
    ("lead-answer-list", "get"): ("reps_lead", None, (401, 200, 200, 404, 200)),
    ("lead-answer-list", "post"): (
        "reps_lead",
        lambda w: {"question": "budget", "answer": "500万円", "source": "call"},
        (401, 201, 201, 404, 403),
    ),
    ("company-list", "get"): (None, None, (401, 200, 200, 200, 200)),
    ("company-list", "post"): (None, lambda w: {"name": "株式会社新規"}, (401, 201, 403, 403, 403)),
    ("company-detail", "get"): ("company", None, (401, 200, 200, 200, 200)),
    ("company-detail", "patch"): (
        "company",
        lambda w: {"domain": "aoba.example.jp"},
        (401, 200, 403, 403, 403),
    ),
    ("campaign-list", "get"): (None, None, (401, 200, 200, 200, 200)),
    ("campaign-list", "post"): (
        None,
        lambda w: {"name": "Autumn", "channel": "web", "utm_code": "autumn"},
        (401, 201, 403, 403, 403),
    ),
    ("campaign-detail", "get"): ("campaign", None, (401, 200, 200, 200, 200)),
    ("campaign-detail", "patch"): (
        "campaign",
        lambda w: {"actual_cost": "1000"},
        (401, 200, 403, 403, 403),
    ),
    ("activity-list", "get"): (None, None, (401, 200, 200, 200, 200)),
    ("activity-list", "post"): (
        None,
        lambda w: {"lead": w["reps_lead"][0], "kind": "page_view"},
        (401, 201, 201, 404, 403),
    ),
    ("activity-detail", "get"): ("activity", None, (401, 200, 200, 404, 200)),
    # other_rep's items are answered one by one (rejected: lead not found).
    ("activity-batch", "post"): (
        None,
        lambda w: {"activities": [{"lead": w["reps_lead"][0], "kind": "page_view"}]},
        (401, 200, 200, 200, 403),
    ),
    ("deal-list", "get"): (None, None, (401, 200, 200, 200, 200)),
    ("deal-list", "post"): (
        None,
        lambda w: {"handoff": w["qualified"][0], "name": "導入", "amount": "1000000"},
        (401, 403, 201, 404, 409),  # a manager may open deals, not on a rep's handoff
    ),
    ("deal-detail", "get"): ("deal", None, (401, 200, 200, 404, 200)),
    ("deal-detail", "patch"): ("deal", lambda w: {"amount": "2000"}, (401, 403, 200, 404, 200)),
    ("deal-move", "post"): (
        "deal",
        lambda w: {"stage": w["stages"][1], "from_stage": w["stages"][0]},
        (401, 403, 200, 404, 200),
    ),
    ("deal-win", "post"): (
        "deal",
        lambda w: {"close_date": str(timezone.localdate()), "amount": "1"},
        (401, 403, 200, 404, 200),
    ),
    ("deal-lose", "post"): (
        "deal",
        lambda w: {"reason": w["lost_reason"][0], "note": "他社"},
        (401, 403, 200, 404, 200),
    ),
    ("deal-reopen", "post"): (
        "deal",
        lambda w: {"stage": w["deal_stage"][0]},
        (401, 403, 409, 404, 409),  # it is open
    ),
    ("deal-stage-list", "get"): (None, None, (401, 200, 200, 200, 200)),
    ("deal-stage-detail", "get"): ("deal_stage", None, (401, 200, 200, 200, 200)),
    ("lost-reason-list", "get"): (None, None, (401, 200, 200, 200, 200)),
    ("lost-reason-detail", "get"): ("lost_reason", None, (401, 200, 200, 200, 200)),
    ("handoff-list", "get"): (None, None, (401, 403, 200, 200, 200)),
    ("handoff-detail", "get"): ("claimed", None, (401, 403, 200, 404, 200)),
    ("handoff-claim", "post"): ("queued", None, (401, 403, 200, 200, 403)),
    ("handoff-accept", "post"): ("claimed", None, (401, 403, 200, 404, 403)),
    ("handoff-reject", "post"): (
        "claimed",
        lambda w: {"reason": "no_budget"},
        (401, 403, 200, 404, 403),
    ),
    ("handoff-release", "post"): ("claimed", None, (401, 403, 200, 404, 403)),
    ("handoff-qualify", "post"): ("accepted", None, (401, 403, 200, 404, 403)),
    ("handoff-reassign", "post"): (
        "claimed",
        lambda w: {"rep": w["users"]["other_rep"].pk},
        (401, 403, 403, 403, 200),
    ),
    # Tasks: the caller's own (made or assigned), a manager's the team's.
    ("task-list", "get"): (None, None, (401, 200, 200, 200, 200)),
    ("task-list", "post"): (
        None,
        lambda w: {
            "lead": w["reps_lead"][0],
            "title": "電話",
            "due_at": "2030-01-07T10:00:00+09:00",
        },
        (401, 201, 201, 404, 201),
    ),
    ("task-detail", "get"): ("task", None, (401, 404, 200, 404, 200)),
    ("task-detail", "patch"): ("task", lambda w: {"priority": 3}, (401, 404, 200, 404, 200)),
    ("task-complete", "post"): ("task", None, (401, 404, 200, 404, 200)),
    ("task-reopen", "post"): ("task", None, (401, 404, 200, 404, 200)),
    # Reps get their own per-rep row only (scope "own"; tests/kpi/test_api.py).
    ("kpi-list", "get"): (None, None, (401, 200, 200, 200, 200)),
}


def api_routes(patterns: list[Any], inside: bool = False) -> set[tuple[str, str]]:
    """(name, method) of every route in the `api` namespace, with the methods
    its view answers."""
    routes: set[tuple[str, str]] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            routes |= api_routes(pattern.url_patterns, inside or pattern.namespace == "api")
        elif inside and isinstance(pattern, URLPattern) and pattern.name:
            view = pattern.callback
            allowed = view.cls.http_method_names  # type: ignore[attr-defined]
            methods = getattr(view, "actions", None) or {"get": "list"}
            # HEAD answers as GET does (DRF adds it to `actions` on the first request).
            routes |= {(pattern.name, m) for m in methods if m in allowed and m != "head"}
    return routes


def test_every_api_route_has_a_row_in_the_matrix():
    assert api_routes(get_resolver().url_patterns) == set(MATRIX)


@pytest.fixture
def world(marketer, rep, other_rep, manager, campaign) -> World:
    claimed = factories.qualified_handoff(campaign)
    services.claim_handoff(claimed, rep=rep)
    accepted = factories.qualified_handoff(campaign)
    services.claim_handoff(accepted, rep=rep)
    services.accept_handoff(accepted, rep=rep)
    qualified = factories.qualified_handoff(campaign)
    services.claim_handoff(qualified, rep=rep)
    services.accept_handoff(qualified, rep=rep)
    services.qualify_handoff(qualified, rep=rep)
    lead = claimed.lead
    Answer.objects.create(lead=lead, question="need", answer="在庫管理", source="web_form")
    return {
        "users": {"marketer": marketer, "rep": rep, "other_rep": other_rep, "manager": manager},
        "campaign": [campaign.pk],
        "company": [Company.objects.create(name="株式会社青葉商事").pk],
        "reps_lead": [lead.pk],
        "activity": [Activity.objects.create(lead=lead, kind="page_view").pk],
        "deal": [Deal.objects.create(lead=lead, name="導入", owner=rep).pk],
        "deal_stage": [DealStage.objects.earliest("pk").pk],
        "stages": list(DealStage.objects.filter(kind="open").values_list("pk", flat=True)[:2]),
        "lost_reason": [LostReason.objects.earliest("pk").pk],
        "queued": [factories.qualified_handoff(campaign).pk],
        "claimed": [claimed.pk],
        "accepted": [accepted.pk],
        "qualified": [qualified.pk],
        "task": [task_of(lead, rep)],
    }


def task_of(lead: Any, rep: Any) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from tasks import services

    due = timezone.now() + timedelta(days=1)
    details = services.TaskDetails(title="Call back", due_at=due, assignee=rep)
    return services.create_task(lead, details, by=rep).pk


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(MATRIX), ids="-".join)
def test_role_gets_the_expected_status(world, route, role):
    name, method = route
    args_key, payload, statuses = MATRIX[route]
    expected = dict(zip(ROLES, statuses, strict=True))
    client = APIClient() if role == "anonymous" else token_client(world["users"][role])
    url = reverse(f"api:{name}", args=world[args_key] if args_key else None)
    body = payload(world) if payload else None
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code == expected[role], (
        f"{role} {method.upper()} {url}: {response.content[:300]!r}"
    )


VERBS = ["get", "post", "put", "patch", "delete", "trace"]
# A verb a route does not handle is refused without credentials (401) and
# otherwise with 405, or with 403 where DRF's model permissions (which map PUT,
# PATCH and DELETE to the change and delete permissions) refuse the role first.
# Never an answer, never the object.
REFUSED = {"anonymous": {401}, "signed in": {403, 405}}


def unhandled_verbs() -> dict[str, tuple[str | None, list[str]]]:
    """Route name -> (object its URL takes, the verbs no MATRIX row handles)."""
    handled: dict[str, set[str]] = {}
    objects: dict[str, str | None] = {}
    for (name, method), (args_key, _payload, _statuses) in MATRIX.items():
        handled.setdefault(name, set()).add(method)
        objects[name] = objects.get(name) or args_key
    return {
        name: (objects[name], [v for v in VERBS if v not in verbs])
        for name, verbs in handled.items()
    }


@pytest.mark.parametrize("name", sorted(unhandled_verbs()))
def test_verbs_a_route_does_not_handle_are_refused_for_every_role(world, name):
    """Issue 15.8: no route answers PUT, PATCH, DELETE or TRACE as another verb."""
    args_key, verbs = unhandled_verbs()[name]
    url = reverse(f"api:{name}", args=world[args_key] if args_key else None)
    wrong = []
    for verb in verbs:
        for role in ROLES:
            client = APIClient() if role == "anonymous" else token_client(world["users"][role])
            status = getattr(client, verb)(url).status_code
            allowed = REFUSED["anonymous" if role == "anonymous" else "signed in"]
            if status not in allowed:
                wrong.append(f"{role} {verb.upper()} {url}: {status}, expected one of {allowed}")
    assert not wrong, "\n".join(wrong)

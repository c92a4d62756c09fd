"""Every URL × every role. A URL without a row here fails the test.

Adding a URL: add one MATRIX row named like the pattern (namespace:name) with
the method to try, the fixture object its arguments come from (a key of
`world`, or None) and the status each role gets. The failure message of
test_every_url_has_a_row_in_the_matrix names the pattern and its route.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from crm.imports import jobs
from crm.models import Company, ScoringRule
from handoff import services
from tests import factories
from tests.conftest import make_user
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "marketer", "rep", "other_rep", "manager"]
LOGIN = 302  # anonymous users are sent to the login page

# name -> (method, object the URL takes, statuses for
#          (anonymous, marketer, rep, other_rep, manager)).
MATRIX: dict[str, tuple[str, str | None, tuple[int, int, int, int, int]]] = {
    "home": ("get", None, (LOGIN, 302, 302, 302, 302)),
    "login": ("get", None, (200, 200, 200, 200, 200)),
    "logout": ("post", None, (302, 302, 302, 302, 302)),
    "set_language": ("post", None, (302, 302, 302, 302, 302)),
    "healthz": ("get", None, (200, 200, 200, 200, 200)),
    "readyz": ("get", None, (200, 200, 200, 200, 200)),
    "capture": ("get", "capture_key", (200, 200, 200, 200, 200)),
    "capture_confirm": ("get", "confirm_token", (200, 200, 200, 200, 200)),
    "crm:campaign_list": ("get", None, (LOGIN, 200, 200, 200, 200)),
    "crm:campaign_create": ("get", None, (LOGIN, 200, 403, 403, 403)),
    "crm:campaign_detail": ("get", "campaign", (LOGIN, 200, 200, 200, 200)),
    "crm:campaign_edit": ("get", "campaign", (LOGIN, 200, 403, 403, 403)),
    "crm:lead_list": ("get", None, (LOGIN, 200, 200, 200, 200)),
    # A lead claimed by `rep`: out of scope for other reps (404, not 403).
    "crm:import_list": ("get", None, (LOGIN, 200, 403, 403, 403)),
    "crm:import_detail": ("get", "import_job", (LOGIN, 200, 403, 403, 403)),
    "crm:import_preview": ("post", "import_job", (LOGIN, 400, 403, 403, 403)),
    "crm:import_start": ("post", "import_job", (LOGIN, 302, 403, 403, 403)),
    "crm:import_rejections": ("get", "import_job", (LOGIN, 200, 403, 403, 403)),
    "crm:duplicates": ("get", None, (LOGIN, 200, 403, 403, 403)),
    "crm:merge": ("post", None, (LOGIN, 302, 403, 403, 403)),
    "crm:merge_companies": ("post", None, (LOGIN, 302, 403, 403, 403)),
    "crm:lead_export": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "crm:lead_detail": ("get", "reps_lead", (LOGIN, 200, 200, 404, 200)),
    # Personal-data requests are the managers' (tests/security/test_personal_data.py).
    "crm:lead_personal_data": ("get", "reps_lead", (LOGIN, 403, 403, 403, 200)),
    "crm:lead_erase": ("get", "reps_lead", (LOGIN, 403, 403, 403, 200)),
    "crm:company_detail": ("get", "company", (LOGIN, 200, 200, 200, 200)),
    # Marketers decide on any lead, a rep on their own; managers read only.
    "crm:proposed_change_decide": ("post", "proposal", (LOGIN, 302, 302, 404, 403)),
    "handoff:queue": ("get", None, (LOGIN, 403, 200, 200, 200)),
    "handoff:claim": ("post", "queued", (LOGIN, 403, 302, 302, 403)),
    "handoff:accept": ("post", "claimed", (LOGIN, 403, 302, 404, 403)),
    "handoff:reject": ("post", "claimed", (LOGIN, 403, 302, 404, 403)),
    "handoff:release": ("post", "claimed", (LOGIN, 403, 302, 404, 403)),
    "handoff:detail": ("get", "claimed", (LOGIN, 403, 200, 404, 200)),
    "handoff:qualify": ("post", "claimed", (LOGIN, 403, 302, 404, 403)),
    "handoff:open_deal": ("post", "claimed", (LOGIN, 403, 302, 404, 403)),
    "handoff:reassign": ("post", "claimed", (LOGIN, 403, 403, 403, 302)),
    "handoff:log_touch": ("post", "reps_lead", (LOGIN, 403, 302, 404, 403)),
    "handoff:record_answer": ("post", "reps_lead", (LOGIN, 302, 302, 404, 403)),
    "handoff:availability": ("post", None, (LOGIN, 403, 302, 302, 403)),
    "handoff:policy": ("get", None, (LOGIN, 403, 403, 403, 200)),
    "handoff:scoring_rules": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "handoff:rescore_progress": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "handoff:scoring_rule_create": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "handoff:scoring_rule_edit": ("get", "rule", (LOGIN, 200, 403, 403, 200)),
    "handoff:scoring_rule_toggle": ("post", "rule", (LOGIN, 302, 403, 403, 302)),
    "handoff:scoring_rule_move": ("post", "rule_up", (LOGIN, 302, 403, 403, 302)),
    "handoff:notifications": ("get", None, (LOGIN, 200, 200, 200, 200)),
    "handoff:notification_badge": ("get", None, (LOGIN, 200, 200, 200, 200)),
    "handoff:mark_all_read": ("post", None, (LOGIN, 302, 302, 302, 302)),
    "kpi:dashboard": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "kpi:export": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "kpi:definitions": ("get", None, (LOGIN, 200, 200, 200, 200)),
    "kpi:targets": ("get", None, (LOGIN, 403, 403, 403, 200)),
    # Reps read their own row; the shared dashboard is for managers and marketers.
    "kpi:mine": ("get", None, (LOGIN, 403, 200, 200, 403)),
    "audit:entry_list": ("get", None, (LOGIN, 403, 403, 403, 200)),
    # Nurture: marketers and managers run it; reps have no access (a segment
    # counts leads beyond a rep's scope). The public tracking endpoints answer
    # everyone alike: what they act on is named by a signed token.
    "nurture:segment_list": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "nurture:segment_create": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "nurture:segment_count": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "nurture:segment_detail": ("get", "segment", (LOGIN, 200, 403, 403, 200)),
    "nurture:segment_edit": ("get", "segment", (LOGIN, 200, 403, 403, 200)),
    "nurture:email_list": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "nurture:email_create": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "nurture:email_detail": ("get", "email", (LOGIN, 200, 403, 403, 200)),
    "nurture:email_edit": ("get", "email", (LOGIN, 200, 403, 403, 200)),
    "nurture:email_test": ("post", "email", (LOGIN, 302, 403, 403, 302)),
    "nurture:email_send": ("post", "email", (LOGIN, 302, 403, 403, 302)),
    "nurture:send_detail": ("get", "send", (LOGIN, 200, 403, 403, 200)),
    "nurture:send_cancel": ("post", "send", (LOGIN, 302, 403, 403, 302)),
    "nurture:tracking": ("get", None, (LOGIN, 200, 403, 403, 200)),
    "nurture:open": ("get", "open_token", (200, 200, 200, 200, 200)),
    "nurture:click": ("get", "click_token", (302, 302, 302, 302, 302)),
    "nurture:unsubscribe": ("get", "unsubscribe_token", (200, 200, 200, 200, 200)),
    "nurture:collect": ("post", None, (400, 400, 400, 400, 400)),
    # Token authentication comes first: no credentials is 401 (WWW-Authenticate: Token).
    "api_schema": ("get", None, (401, 200, 200, 200, 200)),
    "api_docs": ("get", None, (401, 200, 200, 200, 200)),
    "api_token": ("get", None, (LOGIN, 200, 200, 200, 200)),
    "webhooks:endpoint_list": ("get", None, (LOGIN, 403, 403, 403, 200)),
    "webhooks:endpoint_create": ("get", None, (LOGIN, 403, 403, 403, 200)),
    "webhooks:endpoint_detail": ("get", "endpoint", (LOGIN, 403, 403, 403, 200)),
    "webhooks:endpoint_edit": ("get", "endpoint", (LOGIN, 403, 403, 403, 200)),
    "webhooks:endpoint_rotate_secret": ("post", "endpoint", (LOGIN, 403, 403, 403, 200)),
    "webhooks:endpoint_delete": ("post", "endpoint", (LOGIN, 403, 403, 403, 302)),
}
# Django's admin checks staff status itself and is tested by Django; the REST
# API has its own matrix, route by method (tests/api/test_permissions.py).
NOT_IN_MATRIX = {"admin", "api"}


def url_patterns(patterns: list[Any], namespace: str = "", prefix: str = "") -> dict[str, str]:
    """Every named URL pattern (namespace:name) with its full route."""
    found: dict[str, str] = {}
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace in NOT_IN_MATRIX:
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= url_patterns(pattern.url_patterns, inner, route)
        elif isinstance(pattern, URLPattern) and pattern.name:
            found[f"{namespace}{pattern.name}"] = route
    return found


def rows_missing(patterns: dict[str, str]) -> list[str]:
    return [f"{name} ({patterns[name]})" for name in sorted(set(patterns) - set(MATRIX))]


def test_every_url_has_a_row_in_the_matrix():
    patterns = url_patterns(get_resolver().url_patterns)
    missing = rows_missing(patterns)
    stale = sorted(set(MATRIX) - set(patterns))
    assert not missing, (
        "URL patterns without a row in tests/test_permissions.py MATRIX: "
        + ", ".join(missing)
        + ". Add a row: name: (method, world key or None, statuses for "
        + "(anonymous, marketer, rep, other_rep, manager))."
    )
    assert not stale, f"MATRIX rows for URL patterns that no longer exist: {', '.join(stale)}"


def test_a_new_url_is_named_with_its_route_when_it_has_no_row():
    patterns = {**url_patterns(get_resolver().url_patterns), "nurture:step": "nurture/<int:pk>/"}
    assert rows_missing(patterns) == ["nurture:step (nurture/<int:pk>/)"]


@pytest.fixture
def world(marketer, rep, other_rep, manager, campaign) -> dict[str, Any]:
    claimed = factories.qualified_handoff(campaign)
    services.claim_handoff(claimed, rep=rep)
    return {
        "users": {"marketer": marketer, "rep": rep, "other_rep": other_rep, "manager": manager},
        "capture_key": [campaign.capture_key],
        "campaign": [campaign.pk],
        "queued": [factories.qualified_handoff(campaign).pk],
        "claimed": [claimed.pk],
        "reps_lead": [claimed.lead_id],
        **capture_world(campaign, claimed.lead),
        "company": [Company.objects.create(name="株式会社青葉商事").pk],
        "rule": [ScoringRule.objects.earliest("pk").pk],
        "rule_up": [ScoringRule.objects.earliest("pk").pk, "up"],
        "endpoint": [
            Endpoint.objects.create(
                name="CRM", url="https://hooks.example.com/x", events=["deal.won"], secret="s"
            ).pk
        ],
        **nurture_world(marketer),
        "import_job": [
            jobs.create_job(
                b"email,name\n", filename="x.csv", user=marketer, campaign=None, kind="imported"
            ).pk
        ],
    }


def capture_world(campaign: Any, lead: Any) -> dict[str, list[Any]]:
    from crm import confirmations
    from crm.models import CaptureConfirmation, ProposedChange

    change = ProposedChange.objects.create(lead=lead, field="title", value="部長")
    confirmation = CaptureConfirmation.objects.create(lead=lead, campaign=campaign)
    return {
        "proposal": [lead.pk, change.pk],
        "confirm_token": [confirmations.token(confirmation)],
    }


def nurture_world(marketer: Any) -> dict[str, list[Any]]:
    from nurture import sending, tokens
    from nurture.models import Delivery, Email, Segment

    segment = Segment.objects.create(name="All")
    email = Email.objects.create(
        name="E", from_name="M", from_email="m@example.jp", subject="S",
        body="https://aoba.example.jp/",
    )  # fmt: skip
    send = sending.start_send(email, segment=segment, by=marketer)
    delivery = Delivery.objects.create(
        send=send, lead=factories.lead(), status=Delivery.Status.SENT
    )
    return {
        "segment": [segment.pk],
        "email": [email.pk],
        "send": [send.pk],
        "open_token": [tokens.make(tokens.OPEN, delivery.pk)],
        "click_token": [tokens.make(tokens.CLICK, [delivery.pk, "https://aoba.example.jp/"])],
        "unsubscribe_token": [tokens.make(tokens.UNSUBSCRIBE, delivery.pk)],
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_gets_the_expected_status(client, world, name, role):
    method, args_key, statuses = MATRIX[name]
    expected = dict(zip(ROLES, statuses, strict=True))
    if role != "anonymous":
        client.force_login(world["users"][role])
    url = reverse(name, args=world[args_key] if args_key else None)
    data = {"reason": "no_budget", "language": "ja"} if method == "post" else None
    response = getattr(client, method)(url, data)
    assert response.status_code == expected[role], f"{role} {method.upper()} {url}"
    redirects_elsewhere = {"logout", "set_language", "nurture:click"}
    if role == "anonymous" and expected[role] == LOGIN and name not in redirects_elsewhere:
        assert response["Location"].startswith(reverse("login"))


def test_marketer_role_cannot_become_sales_by_url(db):
    user = make_user("m2", "marketer")
    assert not user.has_perm("handoff.claim_handoff")
    # Marketers read the shared KPIs (PRODUCT.md §4) but set no targets.
    assert user.has_perm("kpi.view_dashboard")
    assert not user.has_perm("kpi.change_target")


def test_reps_cannot_run_nurture(db):
    rep = make_user("r2", "sales")
    assert not rep.has_perm("nurture.view_segment")
    assert not rep.has_perm("nurture.add_send")
    assert make_user("m3", "marketer").has_perm("nurture.add_send")
    assert make_user("g2", "manager").has_perm("nurture.add_send")

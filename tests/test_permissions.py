"""Every URL × every verb × every role, as a page and as an htmx request.

MATRIX names, for each URL pattern (namespace:name), the requests its view
handles: the method, the fixture object its arguments come from (a key of
`world`, or None) and the status each role gets. Every other verb of
VERBS is answered 405 by every role, signed in or not, page or htmx. A URL
without a row fails test_every_url_has_a_row_in_the_matrix, which names it.

Out of scope is 404, never 403 and never the object: wherever a role expects
404, the answer must be byte for byte the answer for an id that does not
exist (same status, same body), so nothing is read or rendered first.

Adding a URL: add a row, e.g. `"crm:thing": [GET("thing", (LOGIN, 200, 404, 404, 200))]`,
statuses for (anonymous, marketer, rep, other_rep, manager); `htmx=` when an
htmx request is answered differently (a fragment instead of a redirect).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.http import int_to_base36

from crm.imports import jobs
from crm.models import BulkJob, Company, SavedView, ScoringRule
from handoff import services
from kpi.models import Target
from tests import factories
from tests.conftest import make_user
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "marketer", "rep", "other_rep", "manager"]
VERBS = ["get", "post", "put", "patch", "delete", "trace"]
LOGIN = 302  # anonymous users are sent to the login page
# ... unless the request is htmx's: no login page to swap in (web/sessions.py).
SESSION_ENDED = 401
Statuses = tuple[int, int, int, int, int]
NOT_ALLOWED: Statuses = (405, 405, 405, 405, 405)
# DRF authenticates before it looks for the method: no credentials is 401.
DRF_NOT_ALLOWED: Statuses = (401, 405, 405, 405, 405)


@dataclass(frozen=True)
class Case:
    method: str
    obj: str | None
    statuses: Statuses
    htmx: Statuses | None = None  # None: the same as a page request


def GET(obj: str | None, statuses: Statuses, htmx: Statuses | None = None) -> Case:
    return Case("get", obj, statuses, htmx)


def POST(obj: str | None, statuses: Statuses, htmx: Statuses | None = None) -> Case:
    return Case("post", obj, statuses, htmx)


def PUT(obj: str | None, statuses: Statuses) -> Case:
    return Case("put", obj, statuses)


MATRIX: dict[str, list[Case]] = {
    "home": [GET(None, (LOGIN, 302, 302, 302, 302))],
    # allauth's login (accounts/); signed in already, it sends you on.
    "login": [
        GET(None, (200, 302, 302, 302, 302)),
        POST(None, (200, 302, 302, 302, 302)),
    ],
    "logout": [POST(None, (302, 302, 302, 302, 302), htmx=(401, 302, 302, 302, 302))],
    "set_language": [POST(None, (302, 302, 302, 302, 302))],
    "healthz": [GET(None, (200, 200, 200, 200, 200))],
    "readyz": [GET(None, (200, 200, 200, 200, 200))],
    "capture": [
        GET("capture_key", (200, 200, 200, 200, 200)),
        POST("capture_key", (400, 400, 400, 400, 400)),  # the form needs an email
    ],
    "capture_confirm": [
        GET("confirm_token", (200, 200, 200, 200, 200)),
        POST("confirm_token", (200, 200, 200, 200, 200)),
    ],
    "crm:campaign_list": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "crm:campaign_create": [
        GET(None, (LOGIN, 200, 403, 403, 403)),
        POST(None, (LOGIN, 200, 403, 403, 403)),
    ],
    "crm:campaign_detail": [GET("campaign", (LOGIN, 200, 200, 200, 200))],
    "crm:campaign_edit": [
        GET("campaign", (LOGIN, 200, 403, 403, 403)),
        POST("campaign", (LOGIN, 200, 403, 403, 403)),
    ],
    "crm:campaign_questions": [
        GET("campaign", (LOGIN, 200, 403, 403, 403)),
        POST("campaign", (LOGIN, 200, 403, 403, 403)),  # no formset posted: shown again
    ],
    "crm:lead_list": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "crm:import_list": [
        GET(None, (LOGIN, 200, 403, 403, 403)),
        POST(None, (LOGIN, 200, 403, 403, 403)),
    ],
    "crm:import_detail": [GET("import_job", (LOGIN, 200, 403, 403, 403))],
    "crm:import_preview": [POST("import_job", (LOGIN, 400, 403, 403, 403))],
    "crm:import_start": [POST("import_job", (LOGIN, 302, 403, 403, 403))],
    "crm:import_rejections": [GET("import_job", (LOGIN, 200, 403, 403, 403))],
    "crm:duplicates": [GET(None, (LOGIN, 200, 403, 403, 403))],
    "crm:merge": [GET(None, (LOGIN, 302, 403, 403, 403)), POST(None, (LOGIN, 302, 403, 403, 403))],
    "crm:merge_companies": [POST(None, (LOGIN, 302, 403, 403, 403))],
    "crm:lead_export": [GET(None, (LOGIN, 200, 403, 403, 200))],
    # Bulk actions: anyone who sees leads may ask; each action then acts on
    # the leads the user may change (tests/crm/test_bulk.py). A job is its
    # creator's (`marketer`'s).
    "crm:lead_bulk": [POST(None, (LOGIN, 302, 302, 302, 302))],
    "crm:bulk_job": [GET("bulk_job", (LOGIN, 200, 404, 404, 404))],
    # Saved views: `marketer`'s shared view; only its owner renames it, and
    # a manager may delete it as well (tests/crm/test_saved_views.py).
    "crm:saved_view_list": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "crm:saved_view_create": [POST(None, (LOGIN, 302, 302, 302, 302))],
    "crm:saved_view_default": [POST(None, (LOGIN, 302, 302, 302, 302))],
    "crm:saved_view_edit": [POST("saved_view", (LOGIN, 302, 404, 404, 404))],
    "crm:saved_view_delete": [POST("saved_view", (LOGIN, 302, 404, 404, 302))],
    # A lead claimed by `rep`: out of scope for other reps (404, not 403).
    "crm:lead_detail": [GET("reps_lead", (LOGIN, 200, 200, 404, 200))],
    # Personal-data requests are the managers' (tests/security/test_personal_data.py).
    "crm:lead_personal_data": [GET("reps_lead", (LOGIN, 403, 403, 403, 200))],
    "crm:lead_erase": [
        GET("reps_lead", (LOGIN, 403, 403, 403, 200)),
        POST("reps_lead", (LOGIN, 403, 403, 403, 400)),  # the email is not typed
    ],
    "crm:company_detail": [GET("company", (LOGIN, 200, 200, 200, 200))],
    "crm:company_list": [GET(None, (LOGIN, 200, 200, 200, 200))],
    # Marketers and managers add and change people and companies; a rep
    # changes the leads they own or work (an empty POST: the form again, 200).
    "crm:lead_create": [
        GET(None, (LOGIN, 200, 403, 403, 200)),
        POST(None, (LOGIN, 200, 403, 403, 200)),
    ],
    "crm:lead_edit": [
        GET("reps_lead", (LOGIN, 200, 200, 404, 200)),
        POST("reps_lead", (LOGIN, 200, 200, 404, 200)),
    ],
    "crm:company_create": [
        GET(None, (LOGIN, 200, 403, 403, 200)),
        POST(None, (LOGIN, 200, 403, 403, 200)),
    ],
    "crm:company_edit": [
        GET("company", (LOGIN, 200, 403, 403, 200)),
        POST("company", (LOGIN, 200, 403, 403, 200)),
    ],
    # The global search: every role, each finding only what it may open
    # (tests/crm/test_global_search.py); htmx gets the dropdown's fragment.
    "crm:search": [GET(None, (LOGIN, 200, 200, 200, 200))],
    # Marketers decide on any lead, a rep on their own; managers read only.
    "crm:proposed_change_decide": [POST("proposal", (LOGIN, 302, 302, 404, 403))],
    "handoff:queue": [GET(None, (LOGIN, 403, 200, 200, 200))],
    # A waiting handoff: both reps may claim it (htmx answers the row).
    # One `rep` holds: other reps get the 404 of a handoff that does not exist.
    "handoff:claim": [
        POST("queued", (LOGIN, 403, 302, 302, 403), htmx=(LOGIN, 403, 200, 200, 403)),
        POST("claimed", (LOGIN, 403, 302, 404, 403), htmx=(LOGIN, 403, 200, 404, 403)),
    ],
    "handoff:accept": [POST("claimed", (LOGIN, 403, 302, 404, 403))],
    "handoff:reject": [POST("claimed", (LOGIN, 403, 302, 404, 403))],
    "handoff:release": [POST("claimed", (LOGIN, 403, 302, 404, 403))],
    "handoff:detail": [GET("claimed", (LOGIN, 403, 200, 404, 200))],
    "handoff:qualify": [POST("claimed", (LOGIN, 403, 302, 404, 403))],
    # Managers may open deals; a handoff not their qualified one is refused in words.
    "deals:open_from_handoff": [POST("claimed", (LOGIN, 403, 302, 404, 302))],
    # Deals (deals/): everyone who works leads reads the deals of the leads
    # they see (marketers too, as in HubSpot); reps change their own, managers
    # every deal and keep the stage and lost-reason lists. `rep` owns "deal":
    # for other reps it is the 404 of a deal that does not exist.
    "deals:list": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "deals:export": [GET(None, (LOGIN, 200, 403, 403, 200))],
    "deals:board": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "deals:detail": [GET("deal", (LOGIN, 200, 200, 404, 200))],
    "deals:edit": [
        GET("deal", (LOGIN, 403, 200, 404, 200)),
        POST("deal", (LOGIN, 403, 200, 404, 200)),  # the form, with what is missing
    ],
    # A refused move (no stage chosen) is a message: the board or the deal page.
    "deals:move": [POST("deal", (LOGIN, 403, 302, 404, 302), htmx=(LOGIN, 403, 200, 404, 200))],
    "deals:win": [POST("deal", (LOGIN, 403, 302, 404, 302))],
    "deals:lose": [POST("deal", (LOGIN, 403, 302, 404, 302))],
    "deals:reopen": [POST("deal", (LOGIN, 403, 302, 404, 302))],
    "deals:open_from_lead": [
        GET("reps_lead", (LOGIN, 403, 200, 404, 200)),
        POST("reps_lead", (LOGIN, 403, 200, 404, 200)),
    ],
    "deals:open_from_company": [
        GET("company", (LOGIN, 403, 200, 200, 200)),
        POST("company", (LOGIN, 403, 200, 200, 200)),
    ],
    # The deal list's saved views: `rep`'s shared view; only its owner
    # renames it, a manager may delete it as well; a marketer reads deals
    # too (tests/deals/test_saved_views.py).
    "deals:saved_view_list": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "deals:saved_view_create": [POST(None, (LOGIN, 302, 302, 302, 302))],
    "deals:saved_view_default": [POST(None, (LOGIN, 302, 302, 302, 302))],
    "deals:saved_view_edit": [POST("deal_saved_view", (LOGIN, 404, 302, 404, 404))],
    "deals:saved_view_delete": [POST("deal_saved_view", (LOGIN, 404, 302, 404, 302))],
    "deals:stages": [
        GET(None, (LOGIN, 403, 403, 403, 200)),
        POST(None, (LOGIN, 403, 403, 403, 200)),
    ],
    "deals:stage_edit": [
        GET("deal_stage", (LOGIN, 403, 403, 403, 200)),
        POST("deal_stage", (LOGIN, 403, 403, 403, 200)),
    ],
    "deals:stage_delete": [POST("deal_stage", (LOGIN, 403, 403, 403, 302))],
    "deals:reasons": [
        GET(None, (LOGIN, 403, 403, 403, 200)),
        POST(None, (LOGIN, 403, 403, 403, 200)),
    ],
    "deals:reason_edit": [
        GET("lost_reason", (LOGIN, 403, 403, 403, 200)),
        POST("lost_reason", (LOGIN, 403, 403, 403, 200)),
    ],
    "deals:reason_delete": [POST("lost_reason", (LOGIN, 403, 403, 403, 302))],
    "handoff:reassign": [POST("claimed", (LOGIN, 403, 403, 403, 302))],
    "handoff:log_touch": [POST("reps_lead", (LOGIN, 403, 302, 404, 403))],
    "handoff:record_answer": [POST("reps_lead", (LOGIN, 302, 302, 404, 403))],
    "handoff:availability": [POST(None, (LOGIN, 403, 302, 302, 403))],
    "handoff:policy": [
        GET(None, (LOGIN, 403, 403, 403, 200)),
        POST(None, (LOGIN, 403, 403, 403, 200)),
    ],
    "handoff:scoring_rules": [GET(None, (LOGIN, 200, 403, 403, 200))],
    "handoff:rescore_progress": [GET(None, (LOGIN, 200, 403, 403, 200))],
    "handoff:scoring_rule_create": [
        GET(None, (LOGIN, 200, 403, 403, 200)),
        POST(None, (LOGIN, 200, 403, 403, 200)),
    ],
    "handoff:scoring_rule_edit": [
        GET("rule", (LOGIN, 200, 403, 403, 200)),
        POST("rule", (LOGIN, 200, 403, 403, 200)),
    ],
    "handoff:scoring_rule_toggle": [POST("rule", (LOGIN, 302, 403, 403, 302))],
    "handoff:scoring_rule_move": [POST("rule_up", (LOGIN, 302, 403, 403, 302))],
    "handoff:notifications": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "handoff:notification_badge": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "handoff:mark_all_read": [POST(None, (LOGIN, 302, 302, 302, 302))],
    # Tasks: everyone keeps their own; managers see the team's. A task out of
    # scope (another rep's) is 404, as is a record the user cannot see.
    "tasks:list": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "tasks:add": [POST("task_record", (LOGIN, 302, 302, 404, 302))],
    "tasks:edit": [
        GET("task", (LOGIN, 404, 200, 404, 200)),
        POST("task", (LOGIN, 404, 200, 404, 200)),
    ],
    "tasks:complete": [POST("task", (LOGIN, 404, 302, 404, 302))],
    "tasks:reopen": [POST("task", (LOGIN, 404, 302, 404, 302))],
    "tasks:my_day": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "tasks:team_day": [GET(None, (LOGIN, 403, 403, 403, 200))],
    "tasks:calendar_issue": [POST(None, (LOGIN, 200, 200, 200, 200))],
    "tasks:calendar_revoke": [POST(None, (LOGIN, 302, 302, 302, 302))],
    # Read by calendar apps without a session: the secret address is the key.
    "tasks:calendar_feed": [GET("feed", (200, 200, 200, 200, 200))],
    "kpi:dashboard": [GET(None, (LOGIN, 200, 403, 403, 200))],
    "kpi:export": [GET(None, (LOGIN, 200, 403, 403, 200))],
    "kpi:definitions": [GET(None, (LOGIN, 200, 200, 200, 200))],
    "kpi:targets": [
        GET(None, (LOGIN, 403, 403, 403, 200)),
        POST(None, (LOGIN, 403, 403, 403, 400)),
    ],
    "kpi:target_delete": [POST("target", (LOGIN, 403, 403, 403, 302))],
    # Reps read their own row; the shared dashboard is for managers and marketers.
    "kpi:mine": [GET(None, (LOGIN, 403, 200, 200, 403))],
    "audit:entry_list": [GET(None, (LOGIN, 403, 403, 403, 200))],
    # Nurture: marketers and managers run it; reps have no access (a segment
    # counts leads beyond a rep's scope). The public tracking endpoints answer
    # everyone alike: what they act on is named by a signed token.
    "nurture:segment_list": [GET(None, (LOGIN, 200, 403, 403, 200))],
    "nurture:segment_create": [
        GET(None, (LOGIN, 200, 403, 403, 200)),
        POST(None, (LOGIN, 200, 403, 403, 200)),
    ],
    "nurture:segment_count": [GET(None, (LOGIN, 200, 403, 403, 200))],
    "nurture:segment_detail": [GET("segment", (LOGIN, 200, 403, 403, 200))],
    "nurture:segment_edit": [
        GET("segment", (LOGIN, 200, 403, 403, 200)),
        POST("segment", (LOGIN, 200, 403, 403, 200)),
    ],
    "nurture:email_list": [GET(None, (LOGIN, 200, 403, 403, 200))],
    "nurture:email_create": [
        GET(None, (LOGIN, 200, 403, 403, 200)),
        POST(None, (LOGIN, 200, 403, 403, 200)),
    ],
    "nurture:email_detail": [GET("email", (LOGIN, 200, 403, 403, 200))],
    "nurture:email_edit": [
        GET("email", (LOGIN, 200, 403, 403, 200)),
        POST("email", (LOGIN, 200, 403, 403, 200)),
    ],
    "nurture:email_test": [POST("email", (LOGIN, 302, 403, 403, 302))],
    "nurture:email_send": [POST("email", (LOGIN, 302, 403, 403, 302))],
    "nurture:send_detail": [GET("send", (LOGIN, 200, 403, 403, 200))],
    "nurture:send_cancel": [POST("send", (LOGIN, 302, 403, 403, 302))],
    "nurture:tracking": [GET(None, (LOGIN, 200, 403, 403, 200))],
    "nurture:open": [GET("open_token", (200, 200, 200, 200, 200))],
    "nurture:click": [GET("click_token", (302, 302, 302, 302, 302))],
    "nurture:unsubscribe": [
        GET("unsubscribe_token", (200, 200, 200, 200, 200)),
        POST("unsubscribe_token", (200, 200, 200, 200, 200)),
    ],
    "nurture:collect": [POST(None, (400, 400, 400, 400, 400))],
    # Token authentication comes first: no credentials is 401 (WWW-Authenticate: Token).
    "api_schema": [GET(None, (401, 200, 200, 200, 200))],
    "api_docs": [GET(None, (401, 200, 200, 200, 200))],
    "api_token": [
        GET(None, (LOGIN, 200, 200, 200, 200)),
        POST(None, (LOGIN, 200, 200, 200, 200)),
    ],
    "webhooks:endpoint_list": [GET(None, (LOGIN, 403, 403, 403, 200))],
    "webhooks:endpoint_create": [
        GET(None, (LOGIN, 403, 403, 403, 200)),
        POST(None, (LOGIN, 403, 403, 403, 200)),
    ],
    "webhooks:endpoint_detail": [GET("endpoint", (LOGIN, 403, 403, 403, 200))],
    "webhooks:endpoint_edit": [
        GET("endpoint", (LOGIN, 403, 403, 403, 200)),
        POST("endpoint", (LOGIN, 403, 403, 403, 200)),
    ],
    "webhooks:endpoint_rotate_secret": [POST("endpoint", (LOGIN, 403, 403, 403, 200))],
    "webhooks:endpoint_delete": [POST("endpoint", (LOGIN, 403, 403, 403, 302))],
    # Accounts (accounts/urls.py): the login's allauth names, password reset
    # (public), the second factor (the signed-in person's own), single sign-on
    # (404 while no provider is configured).
    "account_login": [GET(None, (200, 302, 302, 302, 302)), POST(None, (200, 302, 302, 302, 302))],
    "account_logout": [POST(None, (302, 302, 302, 302, 302))],
    "account_inactive": [GET(None, (200, 200, 200, 200, 200))],
    "account_reauthenticate": [
        GET(None, (LOGIN, 200, 200, 200, 200)),
        POST(None, (LOGIN, 200, 200, 200, 200)),
    ],
    "account_change_password": [
        GET(None, (LOGIN, 200, 200, 200, 200)),
        POST(None, (LOGIN, 200, 200, 200, 200)),
    ],
    "account_reset_password": [
        GET(None, (200, 200, 200, 200, 200)),
        POST(None, (200, 200, 200, 200, 200)),
    ],
    "account_reset_password_done": [GET(None, (200, 200, 200, 200, 200))],
    "account_reset_password_from_key": [
        GET("reset_key", (200, 200, 200, 200, 200)),
        POST("reset_key", (200, 200, 200, 200, 200)),
    ],
    "account_reset_password_from_key_done": [GET(None, (200, 200, 200, 200, 200))],
    "mfa_index": [GET(None, (LOGIN, 200, 200, 200, 200)), POST(None, (LOGIN, 405, 405, 405, 405))],
    "mfa_authenticate": [
        GET(None, (LOGIN, 302, 302, 302, 302)),
        POST(None, (LOGIN, 302, 302, 302, 302)),
    ],
    "mfa_reauthenticate": [
        GET(None, (LOGIN, 302, 302, 302, 302)),
        POST(None, (LOGIN, 302, 302, 302, 302)),
    ],
    # Adding a factor asks for the password again unless it was just typed
    # (force_login types none); removing one you do not have is a 404.
    "mfa_activate_totp": [
        GET(None, (LOGIN, 302, 302, 302, 302)),
        POST(None, (LOGIN, 302, 302, 302, 302)),
    ],
    "mfa_deactivate_totp": [
        GET(None, (LOGIN, 404, 404, 404, 404)),
        POST(None, (LOGIN, 404, 404, 404, 404)),
    ],
    "mfa_view_recovery_codes": [
        GET(None, (LOGIN, 404, 404, 404, 404)),
        POST(None, (LOGIN, 405, 405, 405, 405)),
    ],
    "mfa_generate_recovery_codes": [
        GET(None, (LOGIN, 302, 302, 302, 302)),
        POST(None, (LOGIN, 302, 302, 302, 302)),
    ],
    "mfa_download_recovery_codes": [
        GET(None, (LOGIN, 404, 404, 404, 404)),
        POST(None, (LOGIN, 404, 404, 404, 404)),
    ],
    "mfa_add_webauthn": [
        GET(None, (LOGIN, 302, 302, 302, 302)),
        POST(None, (LOGIN, 302, 302, 302, 302)),
    ],
    "mfa_list_webauthn": [
        GET(None, (LOGIN, 200, 200, 200, 200)),
        POST(None, (LOGIN, 405, 405, 405, 405)),
    ],
    "mfa_reauthenticate_webauthn": [
        GET(None, (LOGIN, 302, 302, 302, 302)),
        POST(None, (LOGIN, 302, 302, 302, 302)),
    ],
    # Password again before any key is touched (and then only one's own keys).
    "mfa_edit_webauthn": [
        GET("someone_elses_key", (LOGIN, 302, 302, 302, 302)),
        POST("someone_elses_key", (LOGIN, 302, 302, 302, 302)),
    ],
    "mfa_remove_webauthn": [
        GET("someone_elses_key", (LOGIN, 302, 302, 302, 302)),
        POST("someone_elses_key", (LOGIN, 302, 302, 302, 302)),
    ],
    "openid_connect_login": [
        GET("sso", (404, 404, 404, 404, 404)),
        POST("sso", (404, 404, 404, 404, 404)),
    ],
    "openid_connect_callback": [
        GET("sso", (404, 404, 404, 404, 404)),
        POST("sso", (404, 404, 404, 404, 404)),
    ],
    "socialaccount_login_cancelled": [GET(None, (200, 200, 200, 200, 200))],
    "socialaccount_login_error": [GET(None, (401, 401, 401, 401, 401))],
}
# Verbs a view does not handle, where the answer is not NOT_ALLOWED.
UNHANDLED = {
    "api_schema": DRF_NOT_ALLOWED,
    "api_docs": DRF_NOT_ALLOWED,
    # The token page (api/views.py) asks for a login before it looks at the method.
    "api_token": (LOGIN, 405, 405, 405, 405),
}
# Django's admin checks staff status itself and is tested by Django; the REST
# API has its own matrix, route by method (tests/api/test_permissions.py).
NOT_IN_MATRIX = {"admin", "api"}
# Where an anonymous redirect goes somewhere other than the login page.
# Where a request signs the client out (the next request would be anonymous).
SIGNS_OUT = {"logout", "account_logout"}
REDIRECTS_ELSEWHERE = {"logout", "set_language", "nurture:click"}
MISSING_PK = 999_999


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
        + ". Add a row: name: [GET(world key or None, statuses for "
        + "(anonymous, marketer, rep, other_rep, manager)), POST(...)]."
    )
    assert not stale, f"MATRIX rows for URL patterns that no longer exist: {', '.join(stale)}"


def test_a_new_url_is_named_with_its_route_when_it_has_no_row():
    patterns = {**url_patterns(get_resolver().url_patterns), "nurture:step": "nurture/<int:pk>/"}
    assert rows_missing(patterns) == ["nurture:step (nurture/<int:pk>/)"]


def test_every_row_names_known_verbs_and_objects(world):
    for name, cases in MATRIX.items():
        for case in cases:
            assert case.method in VERBS, name
            assert case.obj is None or case.obj in world, name


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
        **deal_world(claimed, rep),
        "rule": [ScoringRule.objects.earliest("pk").pk],
        "rule_up": [ScoringRule.objects.earliest("pk").pk, "up"],
        "endpoint": [
            Endpoint.objects.create(
                name="CRM", url="https://hooks.example.com/x", events=["deal.won"], secret="s"
            ).pk
        ],
        "target": [
            Target.objects.create(kpi="mqls", span="month", month="2026-10-01", value=30).pk
        ],
        **nurture_world(marketer),
        "reset_key": [int_to_base36(rep.pk), "not-a-valid-token"],
        "someone_elses_key": [webauthn_key(make_user("key_holder", "manager")).pk],
        "sso": ["sso"],
        "bulk_job": [BulkJob.objects.create(action="assign", params={}, created_by=marketer).pk],
        "saved_view": [
            SavedView.objects.create(list="leads", name="v", owner=marketer, shared=True).pk
        ],
        **tasks_world(claimed.lead, rep),
        "import_job": [
            jobs.create_job(
                b"email,name\n", filename="x.csv", user=marketer, campaign=None, kind="imported"
            ).pk
        ],
    }


def deal_world(claimed: Any, rep: Any) -> dict[str, list[Any]]:
    from crm.models import DealStage, LostReason
    from deals import services as deals

    terms = deals.DealTerms(name="導入", amount=Decimal(1_000_000))
    return {
        "deal": [deals.open_deal(claimed.lead, by=rep, terms=terms).pk],
        "deal_saved_view": [
            SavedView.objects.create(list="deals", name="v", owner=rep, shared=True).pk
        ],
        "deal_stage": [DealStage.objects.earliest("pk").pk],
        "lost_reason": [LostReason.objects.earliest("pk").pk],
    }


def webauthn_key(user: Any) -> Authenticator:
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "key"}
    )


def capture_world(campaign: Any, lead: Any) -> dict[str, list[Any]]:
    from crm import confirmations
    from crm.models import CaptureConfirmation, ProposedChange

    change = ProposedChange.objects.create(lead=lead, field="title", value="部長")
    confirmation = CaptureConfirmation.objects.create(lead=lead, campaign=campaign)
    return {
        "proposal": [lead.pk, change.pk],
        "confirm_token": [confirmations.token(confirmation)],
    }


def tasks_world(lead: Any, rep: Any) -> dict[str, list[Any]]:
    from datetime import timedelta

    from django.utils import timezone

    from tasks import feed, services

    details = services.TaskDetails(
        title="Call back", due_at=timezone.now() + timedelta(days=1), assignee=rep
    )
    return {
        "task": [services.create_task(lead, details, by=rep).pk],
        "task_record": ["lead", lead.pk],
        "feed": [rep.pk, feed.issue(rep)],
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


def clients(world: dict[str, Any]) -> dict[str, Client]:
    signed_in = {"anonymous": Client()}
    for role, user in world["users"].items():
        signed_in[role] = Client()
        signed_in[role].force_login(user)
    return signed_in


def answer(client: Client, method: str, url: str, *, htmx: bool) -> Any:
    """One request, its writes rolled back: every request of a row meets the
    same world (a claim does not change what the next role finds)."""
    cache.clear()  # rate-limit counters
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    data = {"reason": "no_budget", "language": "ja"} if method == "post" else None
    rollback = transaction.atomic()
    # Marked as TestCase marks its own blocks: the durable services (claim,
    # accept, reject, release, merge) run inside it as inside the test's.
    rollback._from_testcase = True  # type: ignore[attr-defined]
    with rollback:
        response = getattr(client, method)(url, data, **headers)
        transaction.set_rollback(True)
    return response


def expectations(name: str) -> list[tuple[Case, str]]:
    """(case, verb) for every verb: the row's cases, and 405 for the others."""
    cases = MATRIX[name]
    handled = {case.method for case in cases}
    unhandled = UNHANDLED.get(name, NOT_ALLOWED)
    args = next((case.obj for case in cases if case.obj), None)
    others = [(Case(verb, args, unhandled), verb) for verb in VERBS if verb not in handled]
    return [(case, case.method) for case in cases] + others


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_route_answers_every_role_and_verb_as_the_matrix_says(world, name):
    """Issue 15.1 and 15.8: the matrix with htmx requests and every verb."""
    signed_in = clients(world)
    wrong = []
    for case, verb in expectations(name):
        args = world[case.obj] if case.obj else None
        for htmx in (False, True):
            if name in SIGNS_OUT:
                signed_in = clients(world)  # signed in again for the htmx request
            statuses = (case.htmx if htmx else None) or case.statuses
            for role, expected in zip(ROLES, statuses, strict=True):
                anonymous_htmx = htmx and role == "anonymous"
                if anonymous_htmx and expected == LOGIN and name not in REDIRECTS_ELSEWHERE:
                    expected = SESSION_ENDED
                request = Request(name, verb, args, htmx)
                wrong += request.check(signed_in[role], role, expected)
    assert not wrong, "\n".join(wrong)


@dataclass(frozen=True)
class Request:
    name: str
    verb: str
    args: list[Any] | None
    htmx: bool

    def check(self, client: Client, role: str, expected: int) -> list[str]:
        """What is wrong with the answer `role` gets (nothing, usually)."""
        url = reverse(self.name, args=self.args)
        response = answer(client, self.verb, url, htmx=self.htmx)
        where = f"{role} {self.verb.upper()} {url}{' (htmx)' if self.htmx else ''}"
        if response.status_code != expected:
            return [f"{where}: {response.status_code}, expected {expected}"]
        login = reverse("login")
        if (
            role == "anonymous"
            and expected == LOGIN
            and self.name not in REDIRECTS_ELSEWHERE
            and not response["Location"].startswith(login)
        ):
            return [f"{where}: redirected to {response['Location']}, not {login}"]
        if expected == 404 and self.args:
            # Out of scope answers as the missing do: nothing of the row shows.
            missing = reverse(self.name, args=[MISSING_PK, *self.args[1:]])
            absent = answer(client, self.verb, missing, htmx=self.htmx)
            if (absent.status_code, absent.content) != (404, response.content):
                return [f"{where}: its 404 differs from the 404 of a missing row"]
        return []


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

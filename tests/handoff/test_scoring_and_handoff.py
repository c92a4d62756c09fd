"""An activity is scored once, and crossing the threshold hands the lead off once."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import services as crm
from crm.models import Activity, Lead, OutboxEvent, ScoringRule, StageChange
from handoff import consumers, mql, notify, services
from handoff.models import Handoff, HandoffPolicy, Notification
from tests import factories
from web.transactions import NotInTransaction

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def test_activity_is_scored_by_its_rule(rep):
    lead = factories.lead()
    activity, event = factories.activity_event(lead, Activity.Kind.DOWNLOAD)
    assert consumers.score_waiting_events(100) == 1  # what the drain runs
    activity.refresh_from_db()
    lead.refresh_from_db()
    assert activity.points == ScoringRule.objects.get(kind="download").points
    assert activity.scored_at is not None
    assert lead.engagement_score == activity.points
    assert OutboxEvent.objects.get(pk=event.pk).processed_at is not None


def test_scoring_an_activity_reads_each_row_once(rep):
    """The drain scores every activity: claim the event, lock the lead (with
    company and scores), read the rules and the lead's activities, record the
    points, write the scores, read the policy. However many activities the
    lead has."""
    lead = factories.lead()
    for _ in range(5):
        factories.activity_event(lead, Activity.Kind.PAGE_VIEW)
        assert consumers.score_waiting_events(100) == 1
    factories.activity_event(lead, Activity.Kind.DOWNLOAD)
    with CaptureQueriesContext(connection) as queries:
        assert consumers.score_waiting_events(100) == 1
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 7, "\n".join(statements)


def test_a_drain_scores_a_batch_in_as_many_statements_as_one_activity(rep):
    """Forty waiting events of twenty leads: the same seven statements for the
    batch as for one activity (claim, lock, rules, activities, points, scores,
    policy); and a drain finds nothing left."""
    leads = [factories.lead() for _ in range(20)]
    for lead in leads:
        factories.activity_event(lead, Activity.Kind.PAGE_VIEW)
        factories.activity_event(lead, Activity.Kind.DOWNLOAD)
    with CaptureQueriesContext(connection) as queries:
        assert consumers.score_waiting_events(100) == 40
    statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 7, "\n".join(statements)
    points = {kind: ScoringRule.objects.get(kind=kind).points for kind in ("page_view", "download")}
    for lead in Lead.objects.filter(pk__in=[lead.pk for lead in leads]):
        assert lead.engagement_score == points["page_view"] + points["download"]
    assert not Activity.objects.filter(scored_at__isnull=True).exists()
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()
    assert consumers.drain_activity_events(linger=0) == 0


def test_a_drain_takes_batches_until_none_is_left_and_hands_off(rep):
    leads = [factories.lead() for _ in range(5)]
    for lead in leads:
        for _ in range(3):  # 3 x 20 points against a threshold of 50
            factories.activity_event(lead)
    assert consumers.drain_activity_events(batch=4, linger=0) == 15
    assert Handoff.objects.filter(lead__in=leads).count() == 5
    assert set(
        Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list("stage", flat=True)
    ) == {Lead.Stage.MQL}


def test_a_drain_delivered_twice_scores_once(rep):
    lead = factories.lead()
    factories.activity_event(lead)
    assert consumers.drain_activity_events(linger=0) == 1
    assert consumers.drain_activity_events(linger=0) == 0  # the same task again
    lead.refresh_from_db()
    assert lead.engagement_score == ScoringRule.objects.get(kind="form_submit").points


def test_same_activity_scored_twice_through_two_events_counts_once(rep):
    lead = factories.lead()
    activity, _event = factories.activity_event(lead)
    OutboxEvent.objects.create(topic="activity.recorded", payload={"activity_id": activity.pk})
    assert consumers.score_waiting_events(1) == 1  # one transaction each
    assert consumers.score_waiting_events(1) == 1
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()
    lead.refresh_from_db()
    assert lead.engagement_score == ScoringRule.objects.get(kind="form_submit").points


def test_same_external_id_is_stored_once():
    lead = factories.lead()
    first, created = crm.record_activity(lead, kind="page_view", external_id="evt-1")
    again, created_again = crm.record_activity(lead, kind="page_view", external_id="evt-1")
    assert created and not created_again
    assert first.pk == again.pk
    assert OutboxEvent.objects.count() == 1


def test_crossing_the_threshold_hands_off_once_and_notifies_every_rep(rep, other_rep, marketer):
    HandoffPolicy.objects.filter(pk=1).update(engagement_threshold=40)
    lead = factories.lead()
    factories.activity_event(lead, Activity.Kind.FORM_SUBMIT)
    assert consumers.score_waiting_events(100) == 1
    assert not Handoff.objects.exists()  # 20 of 40
    factories.activity_event(lead, Activity.Kind.FORM_SUBMIT)
    assert consumers.score_waiting_events(100) == 1
    assert Handoff.objects.filter(lead=lead).exists()
    lead.refresh_from_db()
    assert lead.stage == Lead.Stage.MQL
    assert StageChange.objects.filter(lead=lead, from_stage="lead", to_stage="mql").count() == 1
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "rep",
        "other_rep",
    }
    # More activity after the crossing creates no second handoff.
    factories.activity_event(lead, Activity.Kind.WEBINAR)
    assert consumers.score_waiting_events(100) == 1
    assert Handoff.objects.count() == 1


def test_below_threshold_no_handoff():
    lead = factories.lead()
    factories.activity_event(lead, Activity.Kind.PAGE_VIEW)
    assert consumers.score_waiting_events(100) == 1
    assert not Handoff.objects.exists()


def test_notifying_twice_in_one_routing_round_adds_nothing(rep):
    handoff = factories.qualified_handoff()
    notify.send(handoff, Notification.Kind.NEW_HANDOFF, [rep])
    assert Notification.objects.filter(handoff=handoff).count() == 1


def rejected_on(day: datetime, rep: User) -> Lead:
    """A lead handed off, claimed and rejected on `day`; its scores still qualify."""
    with time_machine.travel(day, tick=False):
        handoff = factories.qualified_handoff()
        assert services.claim_handoff(handoff, rep=rep)
        assert services.reject_handoff(handoff, rep=rep, reason="bad_timing")
    return Lead.objects.get(pk=handoff.lead_id)


def test_recycled_lead_does_not_hand_off_again_during_the_cooldown(rep):
    HandoffPolicy.objects.filter(pk=1).update(recycle_cooldown_days=30)
    lead = rejected_on(datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO), rep)
    assert lead.stage == Lead.Stage.RECYCLED
    with time_machine.travel(datetime(2026, 6, 2, 10, 0, tzinfo=TOKYO), tick=False):
        assert mql.hand_off_if_qualified(lead) is None
        assert mql.sync_mql_stage() == (0, 0)  # nor through a rescore
    assert Handoff.objects.filter(lead=lead).count() == 1


def test_recycled_lead_hands_off_again_after_the_cooldown(rep):
    HandoffPolicy.objects.filter(pk=1).update(recycle_cooldown_days=30)
    lead = rejected_on(datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO), rep)
    with time_machine.travel(datetime(2026, 7, 1, 10, 1, tzinfo=TOKYO), tick=False):
        again = mql.hand_off_if_qualified(lead)
    assert again is not None
    assert again.status == Handoff.Status.QUEUED


def test_recycled_lead_hands_off_again_through_a_rescore_after_the_cooldown(rep):
    HandoffPolicy.objects.filter(pk=1).update(recycle_cooldown_days=30)
    lead = rejected_on(datetime(2026, 6, 1, 10, 0, tzinfo=TOKYO), rep)
    with time_machine.travel(datetime(2026, 7, 2, 10, 0, tzinfo=TOKYO), tick=False):
        assert mql.sync_mql_stage() == (1, 0)
    assert Handoff.objects.filter(lead=lead, status=Handoff.Status.QUEUED).exists()


def test_the_handoff_keeps_the_score_explanation_for_sales(client_as, rep):
    HandoffPolicy.objects.filter(pk=1).update(engagement_threshold=40)
    lead = factories.lead(title="営業部長")
    for _ in range(2):
        factories.activity_event(lead, Activity.Kind.FORM_SUBMIT)
    assert consumers.score_waiting_events(100) == 2
    handoff = Handoff.objects.get(lead=lead)
    rules = {line["rule"]: line for line in handoff.context["scores"]["rules"]}
    assert rules["Form submitted"]["activities"] == 2 and rules["Form submitted"]["points"] == 40.0
    assert rules["Decision maker by title"]["dimension"] == "fit"
    page = client_as(rep).get("/sales/queue/").content.decode()
    assert 'data-testid="handoff-why"' in page and "Form submitted ×2" in page


def _queries_to_score_one_more(activities: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lead = factories.lead()
    for _ in range(activities):
        crm.record_activity(lead, kind=Activity.Kind.PAGE_VIEW)
    consumers.score_waiting_events(100)
    factories.activity_event(lead, Activity.Kind.PAGE_VIEW)
    with CaptureQueriesContext(connection) as ctx:
        assert consumers.score_waiting_events(100) == 1
    return len(ctx.captured_queries)


def test_scoring_costs_the_same_queries_however_many_activities_the_lead_has(rep):
    assert _queries_to_score_one_more(2) == _queries_to_score_one_more(12)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_handing_off_needs_the_lead_locked_in_a_transaction():
    lead = factories.lead()
    with pytest.raises(NotInTransaction):
        mql.hand_off_if_qualified(lead)

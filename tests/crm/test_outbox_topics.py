"""Every outbox topic has a consumer, checked when Django starts."""

from crm.checks import check_outbox_routes
from crm.topics import Topic


def test_every_topic_has_a_route_to_a_task_that_exists():
    assert check_outbox_routes() == []


def test_a_topic_without_a_route_stops_the_start(settings):
    routes = dict(settings.BATON_OUTBOX_ROUTES)
    del routes[Topic.NOTIFICATION_CHAT]
    settings.BATON_OUTBOX_ROUTES = routes
    assert [e.id for e in check_outbox_routes()] == ["crm.E001"]


def test_a_route_to_an_unknown_topic_or_task_stops_the_start(settings):
    settings.BATON_OUTBOX_ROUTES = {
        **settings.BATON_OUTBOX_ROUTES,
        "leads.sneezed": "crm.tasks.send_capture_confirmation_event",
        Topic.NOTIFICATION_CHAT: "handoff.tasks.no_such_task",
    }
    assert sorted(e.id for e in check_outbox_routes()) == ["crm.E002", "crm.E003"]

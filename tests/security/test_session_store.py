"""Sessions stay in PostgreSQL, read in one statement (web/session_store.py):
what Django's database store reads, and nothing an expired row still holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from web.session_store import SessionStore

pytestmark = pytest.mark.django_db


def test_a_session_is_read_back_in_one_query(django_assert_num_queries):
    store = SessionStore()
    store["answer"] = 42
    store.create()
    with django_assert_num_queries(1):
        assert SessionStore(store.session_key).load() == {"answer": 42}


def test_an_expired_session_reads_as_a_new_empty_one():
    store = SessionStore()
    store["answer"] = 42
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    again = SessionStore(store.session_key)
    assert again.load() == {}
    assert again.session_key is None  # a new key is made when it is saved


def test_an_unknown_or_malformed_key_reads_as_a_new_empty_one(django_assert_num_queries):
    assert SessionStore("x" * 32).load() == {}
    with django_assert_num_queries(0):
        assert SessionStore("short").load() == {}  # refused before any query


def test_an_expired_session_is_signed_out(client, rep):
    client.force_login(rep)
    assert client.get(reverse("handoff:queue")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("handoff:queue"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))

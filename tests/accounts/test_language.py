"""A person's language: chosen once, kept for every browser, every email."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from accounts.models import LanguagePreference, language_of

pytestmark = pytest.mark.django_db


def signed_in(user: User, *, browser: str) -> Client:
    """A new browser whose Accept-Language is `browser`, signed in with the form."""
    client = Client(HTTP_ACCEPT_LANGUAGE=browser)
    response = client.post(reverse("login"), {"username": user.username, "password": "pw"})
    assert response.status_code == 302, response.content
    return client


def page_language(client: Client) -> str:
    return client.get(reverse("handoff:notifications")).headers["Content-Language"]


def test_the_first_login_keeps_the_browsers_language(rep: User) -> None:
    client = signed_in(rep, browser="ja,en;q=0.5")
    assert LanguagePreference.objects.get(user=rep).language == "ja"
    assert language_of(User.objects.get(pk=rep.pk)) == "ja"
    assert page_language(client) == "ja"


def test_the_chosen_language_follows_the_person_to_another_browser(rep: User) -> None:
    first = signed_in(rep, browser="en")
    first.post(reverse("set_language"), {"language": "ja", "next": "/"})
    assert LanguagePreference.objects.get(user=rep).language == "ja"
    assert page_language(first) == "ja"

    elsewhere = signed_in(rep, browser="en-US,en;q=0.9")
    assert page_language(elsewhere) == "ja"


def test_a_visitor_switches_language_on_the_login_page_and_keeps_no_preference(
    db: None,
) -> None:
    client = Client()
    response = client.post(reverse("set_language"), {"language": "ja", "next": "/login/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/"
    assert response.cookies["django_language"].value == "ja"
    assert not LanguagePreference.objects.exists()


def test_an_unknown_language_changes_nothing(rep: User) -> None:
    client = signed_in(rep, browser="en")
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert LanguagePreference.objects.get(user=rep).language == "en"


def test_without_a_choice_people_are_written_to_in_the_sites_language(
    settings: object, rep: User
) -> None:
    settings.LANGUAGE_CODE = "ja"  # type: ignore[attr-defined]
    assert language_of(rep) == "ja"

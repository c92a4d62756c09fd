"""Builders for nurture's tests: leads with consent, segments, emails."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from crm.models import Company, Consent, Lead
from nurture.models import Email, Segment
from tests import factories


def consenting(**fields: Any) -> Lead:
    lead = factories.lead(**fields)
    Consent.objects.create(lead=lead, basis=Consent.Basis.CONSENT, source="capture:test")
    return lead


def segment(query: str = "", name: str = "Everyone") -> Segment:
    return Segment.objects.create(name=name, query=query)


def email(by: User | None = None, **fields: Any) -> Email:
    defaults: dict[str, Any] = {
        "name": "Welcome",
        "language": "ja",
        "from_name": "青葉商事 マーケティング部",
        "from_email": "news@aoba.example.jp",
        "subject": "{{ name }}、ご案内です",
        "body": (
            "{{ company }}\n{{ name }}\n\n"
            "詳しくはこちら https://aoba.example.jp/pricing をご覧ください。\n"
        ),
        "created_by": by,
    }
    return Email.objects.create(**{**defaults, **fields})


@pytest.fixture
def fast_sends(settings: Any) -> None:
    settings.NURTURE_SEND_RATE_PER_SECOND = 0
    settings.NURTURE_BATCH_SIZE = 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.BATON_BASE_URL = "http://testserver"


@pytest.fixture
def company() -> Company:
    return Company.objects.create(name="株式会社青葉商事", industry="it", size_band="50-299")

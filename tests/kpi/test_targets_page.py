"""The targets page: numbers read as numbers, and a target can be deleted."""

import pytest
from django.urls import reverse

from kpi.models import Target

pytestmark = pytest.mark.django_db


def test_a_saved_target_reads_as_a_number_in_japanese(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("kpi:targets"),
        {"kpi": "mqls", "span": "month", "month": "2026-10", "value": "30"},
        HTTP_ACCEPT_LANGUAGE="ja",
        follow=True,
    )
    html = response.content.decode()
    assert "3E+1" not in html
    assert "目標を保存しました：MQL数、30。" in html


def test_a_manager_deletes_a_target(client, manager):
    target = Target.objects.create(kpi="mqls", span="month", month="2026-10-01", value=30)
    client.force_login(manager)
    page = client.get(reverse("kpi:targets")).content.decode()
    assert reverse("kpi:target_delete", args=[target.pk]) in page
    response = client.post(reverse("kpi:target_delete", args=[target.pk]), follow=True)
    assert not Target.objects.exists()
    assert "Target deleted: MQLs, October 2026." in response.content.decode()


def test_only_managers_delete_targets(client, marketer):
    target = Target.objects.create(kpi="mqls", span="month", month="2026-10-01", value=30)
    client.force_login(marketer)
    assert client.post(reverse("kpi:target_delete", args=[target.pk])).status_code == 403
    assert Target.objects.exists()

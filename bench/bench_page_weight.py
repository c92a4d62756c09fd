"""Bytes a browser downloads for each main page, first load and warm cache,
as `make up` and `make run` serve them now and, in the same run, as they were
served before (HTML uncompressed; static files gzip only under `make up` and
uncompressed under `make run`; Chart.js loaded with the KPI page).

The pages are those of tests/test_page_weight.py (which holds the limits:
200 KB first load, 30 KB warm), through Django's test client with the
served middleware and storage; bodies only, headers left out. Database
`baton_bench_pages` (bench_pages' data, or an empty one).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from bench._django import setup

ENCODINGS = {"now": "br, gzip", "before": "gzip"}


def sent(client: Any, url: str, encoding: str, **headers: str) -> tuple[int, Any]:
    response = client.get(url, HTTP_ACCEPT_ENCODING=encoding, **headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return len(body), response


def weigh(client: Any, url: str, *, how: str, way: str) -> tuple[int, int]:
    """(first load, warm) bytes of one page."""
    import gzip

    from tests.test_page_weight import ASSET, LAZY, ONE_DAY, _max_age

    html_encoding = ENCODINGS[way] if way == "now" else "identity"  # no GZip middleware before
    html_bytes, page = sent(client, url, html_encoding)
    html = page.content
    if page.get("Content-Encoding") == "gzip":
        html = gzip.decompress(html)
    text = html.decode()
    assets = ASSET.findall(text) + LAZY.findall(text)
    static_encoding = ENCODINGS[way] if (way == "now" or how == "make up") else "identity"
    first = warm = html_bytes
    for asset in assets:
        size, response = sent(client, asset, static_encoding)
        first += size
        if _max_age(response) < ONE_DAY:
            etag = {"HTTP_IF_NONE_MATCH": response["ETag"]} if "ETag" in response else {}
            warm += sent(client, asset, static_encoding, **etag)[0]
    return first, warm


def run() -> None:
    os.environ.setdefault("MFA_REQUIRED_ROLES", "")
    setup("baton_bench_pages")
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.test import Client, override_settings
    from django.urls import reverse

    from crm.models import Lead
    from tests.test_page_weight import PRODUCTION_STORAGES, served_as

    def user(name: str, group: str) -> User:
        found, _ = User.objects.get_or_create(username=name)
        found.groups.add(Group.objects.get(name=group))
        return found

    marketer, rep, manager = (
        user("bench-marketer", "marketer"),
        user("bench-weight-rep", "sales"),
        user("bench-manager", "manager"),
    )
    lead = Lead.objects.order_by("pk").first() or Lead.objects.create(
        family_name="山田", email="weight@example.jp"
    )
    pages = [
        (reverse("login"), None),
        (reverse("crm:lead_list"), marketer),
        (reverse("crm:lead_detail", args=[lead.pk]), marketer),
        (reverse("crm:campaign_list"), marketer),
        (reverse("handoff:queue"), rep),
        (reverse("kpi:dashboard"), manager),
    ]
    with tempfile.TemporaryDirectory(prefix="baton-bench-static-") as root:
        with override_settings(STATIC_ROOT=Path(root), STORAGES=PRODUCTION_STORAGES):
            call_command(
                "collectstatic",
                interactive=False,
                verbosity=0,
                ignore_patterns=["admin", "drf_spectacular_sidecar", "rest_framework"],
            )
        print(
            f"{'served by':<9} {'page':<18} {'now: first / warm (KB)':>24} {'before: first / warm (KB)':>27}"
        )
        for how in ("make up", "make run"):
            with served_as(how, Path(root)):
                for url, who in pages:
                    figures = {}
                    for way in ("now", "before"):
                        client = Client()
                        if who:
                            client.force_login(who)
                        figures[way] = weigh(client, url, how=how, way=way)
                    (nf, nw), (bf, bw) = figures["now"], figures["before"]
                    print(
                        f"{how:<9} {url:<18} {nf / 1024:>13.1f} / {nw / 1024:<8.1f}"
                        f" {bf / 1024:>15.1f} / {bw / 1024:<8.1f}",
                        flush=True,
                    )

"""Every main page weighs at most 200 KB on first load and 30 KB on a warm
cache, counted as served: the HTML as the GZip middleware sends it, each
stylesheet, script and font it names as WhiteNoise sends it to a browser that
accepts brotli and gzip, bodies only (headers left out).

Two ways of serving: `make up` (production storage: collectstatic has written
hashed names with brotli and gzip copies) and `make run` (files from the source
folders, the vendor files with the brotli and gzip copies `make assets` puts
beside them). A warm cache keeps what the answer lets it keep for a day or
more (hashed names: a year, immutable) and asks again for the rest (a 304
without a body when unchanged).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from tests import factories

PRODUCTION_STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DEVELOPMENT_STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FIRST_LOAD_LIMIT = 200 * 1024
WARM_LIMIT = 30 * 1024
ONE_DAY = 86_400

ASSET = re.compile(r'<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*src)="([^"]+)"')
LAZY = re.compile(r'data-library="([^"]+)"')
FONT = re.compile(r"url\(['\"]?([^'\")]+\.(?:woff2?|ttf|otf))")


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collectstatic as `make up` runs it (brotli and gzip copies, hashed names)."""
    root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES):
        # The files no main page names are left out: compressing them all at
        # brotli's best took minutes on a busy machine.
        call_command(
            "collectstatic",
            interactive=False,
            verbosity=0,
            ignore_patterns=["admin", "drf_spectacular_sidecar", "rest_framework"],
        )
    return root


@contextmanager
def served_as(how: str, collected: Path) -> Iterator[None]:
    if how == "make up":
        with override_settings(
            STATIC_ROOT=collected,
            STORAGES=PRODUCTION_STORAGES,
            WHITENOISE_USE_FINDERS=False,
            WHITENOISE_AUTOREFRESH=False,
        ):
            yield
    else:
        with override_settings(
            STORAGES=DEVELOPMENT_STORAGES,
            WHITENOISE_USE_FINDERS=True,
            WHITENOISE_AUTOREFRESH=True,
        ):
            yield


def body(response: Any) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return bytes(response.content)


def get(client: Client, url: str) -> Any:
    response = client.get(url, HTTP_ACCEPT_ENCODING="br, gzip")
    assert response.status_code == 200, url
    return response


def weigh(client: Client, url: str, *, all_compressed: bool) -> dict[str, Any]:
    """Bytes of the page and what it loads, on first load and warm."""
    page = get(client, url)
    html_sent = body(page)
    assert page["Content-Encoding"] == "gzip", url
    html = gzip.decompress(html_sent).decode()
    assets = ASSET.findall(html)
    lazy = LAZY.findall(html)
    first, warm, files = len(html_sent), len(html_sent), {}
    for asset in [*assets, *lazy]:
        response = get(client, asset)
        sent = body(response)
        content = sent
        encoding = response.get("Content-Encoding", "")
        if encoding == "gzip":
            content = gzip.decompress(sent)
        if asset.split("?")[0].endswith(".css"):
            text = content.decode() if encoding != "br" else _brotli_text(sent)
            for font in FONT.findall(text):
                font_response = get(client, font)
                files[font] = len(body(font_response))
        files[asset] = len(sent)
        # `make run` sends Baton's own files as they are in the source folder
        # (a few KB), so that an edit shows at once; vendor files compressed.
        compressible = asset.split("?")[0].endswith((".css", ".js")) and len(content) > 1024
        if compressible and (all_compressed or "/vendor/" in asset):
            assert encoding in {"br", "gzip"}, f"{asset} sent uncompressed"
        first += len(sent)
        if _max_age(response) < ONE_DAY:
            warm += len(body(_revalidate(client, asset, response)))
    return {"first": first, "warm": warm, "html": len(html_sent), "files": files, "lazy": lazy}


def _revalidate(client: Client, url: str, cached: Any) -> Any:
    """The browser asks again with what it has: 304 and no body if unchanged."""
    headers: dict[str, Any] = {"HTTP_ACCEPT_ENCODING": "br, gzip"}
    if "ETag" in cached:
        headers["HTTP_IF_NONE_MATCH"] = cached["ETag"]
    if "Last-Modified" in cached:
        headers["HTTP_IF_MODIFIED_SINCE"] = cached["Last-Modified"]
    return client.get(url, **headers)


def _brotli_text(sent: bytes) -> str:
    import brotli

    return str(brotli.decompress(sent).decode())


def _max_age(response: Any) -> int:
    found = re.search(r"max-age=(\d+)", response.get("Cache-Control", ""))
    return int(found.group(1)) if found else 0


def pages(marketer: User, rep: User, manager: User) -> list[tuple[str, User | None]]:
    lead = factories.lead(owner=rep)
    return [
        (reverse("login"), None),
        (reverse("crm:lead_list"), marketer),
        (reverse("crm:lead_detail", args=[lead.pk]), marketer),
        (reverse("crm:campaign_list"), marketer),
        (reverse("nurture:segment_list"), marketer),
        (reverse("handoff:scoring_rules"), marketer),
        (reverse("handoff:queue"), rep),
        (reverse("kpi:mine"), rep),
        (reverse("kpi:dashboard"), manager),
    ]


@pytest.mark.parametrize("how", ["make up", "make run"])
def test_every_main_page_is_light_on_first_load_and_on_a_warm_cache(
    how: str,
    collected: Path,
    marketer: User,
    rep: User,
    manager: User,
    campaign: Any,
) -> None:
    weights = {}
    with served_as(how, collected):
        for url, user in pages(marketer, rep, manager):
            client = Client()
            if user:
                client.force_login(user)
            weights[url] = weigh(client, url, all_compressed=how == "make up")
    for url, w in weights.items():
        print(f"{how}: {url} first {w['first']:,} B (HTML {w['html']:,}), warm {w['warm']:,} B")
    for url, weight in weights.items():
        assert weight["first"] <= FIRST_LOAD_LIMIT, (how, url, weight)
        assert weight["warm"] <= WARM_LIMIT, (how, url, weight)
    kpi = weights[reverse("kpi:dashboard")]
    assert kpi["lazy"], "the KPI page names Chart.js to load after the first paint"
    assert not any("chart" in url for w in weights.values() if w is not kpi for url in w["files"])

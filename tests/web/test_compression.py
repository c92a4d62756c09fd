"""Pages gzipped at level 4 (web/compression.py), otherwise as Django's
GZipMiddleware sends them."""

import gzip
import os

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware
from django.test import RequestFactory

from web.compression import LEVEL, GZipMiddleware, compress

PAGE = ("<tr><td>山田 太郎</td><td>aoba@example.jp</td><td>MQL</td></tr>" * 300).encode()


def answer(middleware_class, content=PAGE, accept="gzip, deflate, br", **headers):
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=accept)
    response = HttpResponse(content, headers=headers)
    return middleware_class(lambda r: response).process_response(request, response)


def test_the_site_uses_it_in_place_of_djangos():
    assert "web.compression.GZipMiddleware" in settings.MIDDLEWARE
    assert "django.middleware.gzip.GZipMiddleware" not in settings.MIDDLEWARE


def test_a_page_reads_as_djangos_with_the_same_headers_and_fewer_cpu_cycles():
    ours = answer(GZipMiddleware, ETag='"v1"')
    django = answer(DjangoGZipMiddleware, ETag='"v1"')
    assert gzip.decompress(ours.content) == gzip.decompress(django.content) == PAGE
    for header in ("Content-Encoding", "Vary", "ETag"):
        assert ours[header] == django[header]
    assert ours["ETag"] == 'W/"v1"'
    assert ours["Content-Length"] == str(len(ours.content))
    # The stream is level LEVEL's, after a header padded as Django pads it.
    plain = gzip.compress(PAGE, compresslevel=LEVEL, mtime=0)
    assert ours.content.endswith(plain[10:])


def test_the_padding_changes_the_length_from_one_answer_to_the_next():
    lengths = {len(compress(PAGE)) for _ in range(30)}
    assert len(lengths) > 5
    assert max(lengths) - min(lengths) < 100


def test_what_django_leaves_alone_is_left_alone():
    short = answer(GZipMiddleware, content=b"ok")
    assert short.content == b"ok" and not short.has_header("Content-Encoding")
    encoded = answer(GZipMiddleware, **{"Content-Encoding": "br"})
    assert encoded.content == PAGE and encoded["Content-Encoding"] == "br"
    unaccepted = answer(GZipMiddleware, accept="br")
    assert unaccepted.content == PAGE and unaccepted["Vary"] == "Accept-Encoding"
    assert not unaccepted.has_header("Content-Encoding")
    random = os.urandom(500)  # longer once compressed: sent as it is
    assert answer(GZipMiddleware, content=random).content == random


def test_a_streamed_answer_is_gzipped_by_djangos_code():
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING="gzip")
    response = StreamingHttpResponse(iter([PAGE, PAGE]))
    sent = GZipMiddleware(lambda r: response).process_response(request, response)
    assert sent["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(sent.streaming_content)) == PAGE + PAGE

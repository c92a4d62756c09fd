"""The chat webhook: URL checks, signing, delivery outcomes, backoff, the message.

No network: DNS answers come from the `dns` fixture and connections are
injected, except for the pinned connection, whose socket is replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import random
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from django.core.exceptions import ValidationError

from handoff.chat_webhook import slack_payload
from tests.fake_dns import resolve_from
from webhooks.sender import (
    Connection,
    DeliveryError,
    PinnedHTTPSConnection,
    WebhookTarget,
    backoff_seconds,
    pinned_connection,
    post_message,
    resolve_webhook_url,
    sign,
    validate_webhook_url,
)

PUBLIC_IP = "93.184.215.14"
HOOK_URL = "https://hooks.example.com/services/T000/B000/xyz"
SECRET = b"baton-webhook-secret"


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host name -> addresses; literal IPs resolve to themselves, other names fail."""
    answers: dict[str, list[str]] = {
        "hooks.example.com": [PUBLIC_IP],
        "localhost": ["127.0.0.1", "::1"],
    }

    resolve_from(monkeypatch, answers)
    return answers


# URL validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.com/services/x", "https_required"),
        ("hooks.example.com/services/x", "https_required"),
        ("https:///services/x", "no_host"),
        ("https://user:pass@hooks.example.com/x", "credentials"),
        ("https://token@hooks.example.com/x", "credentials"),
        ("https://hooks.example.com:99999/x", "invalid_host"),
        ("https://no-such-host.example.com/x", "unresolvable"),
        ("https://127.0.0.1/x", "private_address"),
        ("https://localhost/x", "private_address"),
        ("https://10.1.2.3/x", "private_address"),
        ("https://172.16.0.1/x", "private_address"),
        ("https://192.168.1.10/x", "private_address"),
        ("https://169.254.169.254/latest/meta-data/", "private_address"),  # cloud metadata
        ("https://100.64.0.1/x", "private_address"),  # carrier-grade NAT
        ("https://0.0.0.0/x", "private_address"),
        ("https://224.0.0.1/x", "private_address"),
        ("https://240.0.0.1/x", "private_address"),
        ("https://[::1]/x", "private_address"),
        ("https://[::]/x", "private_address"),
        ("https://[fe80::1]/x", "private_address"),
        ("https://[fc00::1]/x", "private_address"),
        ("https://[ff02::1]/x", "private_address"),
        ("https://[::ffff:127.0.0.1]/x", "private_address"),
        ("https://[::ffff:10.0.0.1]/x", "private_address"),
        ("https://[2002:7f00:1::]/x", "private_address"),  # 6to4 wrapping 127.0.0.1
    ],
)
def test_unsafe_webhook_urls_are_refused(dns: dict[str, list[str]], url: str, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url(url)
    assert refused.value.code == code
    assert refused.value.messages[0]  # a readable message, formatted with its params


@pytest.mark.parametrize(
    "url",
    [
        HOOK_URL,
        f"https://{PUBLIC_IP}/hook",
        "https://[2606:4700:4700::1111]/hook",
        "HTTPS://Hooks.Example.com:8443/hook?channel=sales",
    ],
)
def test_public_https_webhook_urls_are_accepted(dns: dict[str, list[str]], url: str) -> None:
    assert validate_webhook_url(url) == url


def test_a_host_name_resolving_to_a_private_address_is_refused(
    dns: dict[str, list[str]],
) -> None:
    dns["hooks.internal.example.com"] = ["10.0.0.7"]
    with pytest.raises(ValidationError) as refused:
        validate_webhook_url("https://hooks.internal.example.com/x")
    assert refused.value.code == "private_address"


def test_one_private_address_among_public_ones_is_enough_to_refuse(
    dns: dict[str, list[str]],
) -> None:
    dns["hooks.example.com"] = [PUBLIC_IP, "192.168.0.1"]
    with pytest.raises(ValidationError):
        validate_webhook_url(HOOK_URL)


def test_the_target_keeps_host_port_path_and_the_checked_address(
    dns: dict[str, list[str]],
) -> None:
    target = resolve_webhook_url("https://Hooks.Example.com:8443/a b/hook?x=1#fragment")
    assert target == WebhookTarget(
        host="hooks.example.com", port=8443, path="/a%20b/hook?x=1", ip=PUBLIC_IP
    )


# Signing -------------------------------------------------------------------


def test_signature_matches_a_value_computed_elsewhere() -> None:
    # printf '%s' '1767225600.{"text":"新しいリードが届きました"}' \
    #   | openssl dgst -sha256 -hmac 'baton-webhook-secret'
    body = '{"text":"新しいリードが届きました"}'.encode()
    assert (
        sign(SECRET, 1767225600, body)
        == "b0b0d7ffe00a392a3ca37035adfedddefb9812053c92aeb5f9df161d43b118de"
    )


def test_signature_depends_on_the_timestamp_and_the_secret() -> None:
    body = b'{"text":"hi"}'
    assert sign(SECRET, 1, body) != sign(SECRET, 2, body)
    assert sign(SECRET, 1, body) != sign(b"other", 1, body)


# Delivery ------------------------------------------------------------------


class FakeResponse:
    def __init__(self, status: int) -> None:
        self.status = status

    def read(self, amt: int | None = None, /) -> bytes:
        return b"ok"


class FakeConnection:
    """Answers with `status`, or raises `error` when the response is awaited."""

    def __init__(self, status: int = 200, error: Exception | None = None) -> None:
        self.status = status
        self.error = error
        self.requests: list[tuple[str, str, bytes, dict[str, str]]] = []
        self.targets: list[WebhookTarget] = []
        self.closed = False

    def __call__(self, target: WebhookTarget, timeout: float) -> Connection:
        self.targets.append(target)
        return self

    def request(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        self.requests.append((method, url, body, dict(headers)))

    def getresponse(self) -> FakeResponse:
        if self.error is not None:
            raise self.error
        return FakeResponse(self.status)

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("status", [200, 204])
def test_a_2xx_answer_is_a_delivery(dns: dict[str, list[str]], status: int) -> None:
    connection = FakeConnection(status)
    payload = {"text": "新しいリード: 山田太郎"}

    assert post_message(HOOK_URL, SECRET, payload, connect=connection) == status

    [(method, path, body, headers)] = connection.requests
    assert (method, path) == ("POST", "/services/T000/B000/xyz")
    assert json.loads(body) == payload
    assert headers["Content-Type"] == "application/json"
    timestamp = headers["X-Baton-Timestamp"]
    expected = hmac.new(SECRET, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert headers["X-Baton-Signature"] == f"sha256={expected}"
    assert connection.closed


def test_the_connection_goes_to_the_address_checked_for_the_host(
    dns: dict[str, list[str]],
) -> None:
    connection = FakeConnection()
    post_message(HOOK_URL, SECRET, {"text": "hi"}, connect=connection)
    assert connection.targets == [
        WebhookTarget(
            host="hooks.example.com", port=443, path="/services/T000/B000/xyz", ip=PUBLIC_IP
        )
    ]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failure_and_is_not_followed(
    dns: dict[str, list[str]], status: int
) -> None:
    connection = FakeConnection(status)
    with pytest.raises(DeliveryError) as failed:
        post_message(HOOK_URL, SECRET, {"text": "hi"}, connect=connection)
    assert not failed.value.retryable
    assert failed.value.status == status
    assert len(connection.requests) == 1


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (500, True),
        (502, True),
        (503, True),
        (429, True),
        (400, False),
        (403, False),
        (404, False),
        (410, False),
    ],
)
def test_failed_answers_say_whether_to_retry(
    dns: dict[str, list[str]], status: int, retryable: bool
) -> None:
    with pytest.raises(DeliveryError) as failed:
        post_message(HOOK_URL, SECRET, {"text": "hi"}, connect=FakeConnection(status))
    assert failed.value.retryable is retryable
    assert failed.value.status == status


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (TimeoutError("timed out"), True),
        (ConnectionRefusedError("refused"), True),
        (http.client.RemoteDisconnected("closed"), True),
        (ssl.SSLError("handshake"), True),
        (ssl.SSLCertVerificationError("certificate verify failed"), False),
    ],
)
def test_transport_errors_say_whether_to_retry(
    dns: dict[str, list[str]], error: Exception, retryable: bool
) -> None:
    connection = FakeConnection(error=error)
    with pytest.raises(DeliveryError) as failed:
        post_message(HOOK_URL, SECRET, {"text": "hi"}, connect=connection)
    assert failed.value.retryable is retryable
    assert connection.closed


def test_a_refused_url_is_not_retried_and_never_connected(dns: dict[str, list[str]]) -> None:
    connection = FakeConnection()
    with pytest.raises(DeliveryError) as failed:
        post_message("https://169.254.169.254/x", SECRET, {"text": "hi"}, connect=connection)
    assert not failed.value.retryable
    assert connection.targets == []


def test_a_host_that_now_resolves_to_loopback_is_refused_at_send_time(
    dns: dict[str, list[str]],
) -> None:
    validate_webhook_url(HOOK_URL)  # accepted when saved...
    dns["hooks.example.com"] = ["127.0.0.1"]  # ...then DNS is rebound
    connection = FakeConnection()
    with pytest.raises(DeliveryError) as failed:
        post_message(HOOK_URL, SECRET, {"text": "hi"}, connect=connection)
    assert not failed.value.retryable
    assert connection.targets == []


def test_a_dns_failure_at_send_time_may_be_retried(dns: dict[str, list[str]]) -> None:
    del dns["hooks.example.com"]
    with pytest.raises(DeliveryError) as failed:
        post_message(HOOK_URL, SECRET, {"text": "hi"}, connect=FakeConnection())
    assert failed.value.retryable


# The pinned connection -------------------------------------------------------


class FakeSocket:
    def __init__(self) -> None:
        self.sent = b""

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def close(self) -> None:
        pass


class FakeTLSContext:
    verify_mode = ssl.CERT_REQUIRED
    check_hostname = True

    def __init__(self) -> None:
        self.server_hostnames: list[str | None] = []

    def wrap_socket(self, sock: FakeSocket, server_hostname: str | None = None) -> FakeSocket:
        self.server_hostnames.append(server_hostname)
        return sock


def test_the_pinned_connection_dials_the_ip_and_speaks_to_the_host_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sock = FakeSocket()
    dialled: list[tuple[tuple[str, int], float | None]] = []

    def create_connection(address: tuple[str, int], timeout: float | None = None) -> FakeSocket:
        dialled.append((address, timeout))
        return sock

    monkeypatch.setattr(socket, "create_connection", create_connection)
    context = FakeTLSContext()
    connection = PinnedHTTPSConnection(
        "hooks.example.com", PUBLIC_IP, timeout=5.0, context=cast(ssl.SSLContext, context)
    )

    connection.request("POST", "/hook", b"{}", {"Content-Type": "application/json"})

    assert dialled == [((PUBLIC_IP, 443), 5.0)]
    assert context.server_hostnames == ["hooks.example.com"]  # SNI and certificate check
    assert b"\r\nHost: hooks.example.com\r\n" in sock.sent


def test_the_default_connection_is_pinned_to_the_target_address() -> None:
    target = WebhookTarget(host="hooks.example.com", port=8443, path="/hook", ip=PUBLIC_IP)
    connection = pinned_connection(target, 3.0)
    assert isinstance(connection, PinnedHTTPSConnection)
    assert (connection.host, connection.ip, connection.port) == (
        "hooks.example.com",
        PUBLIC_IP,
        8443,
    )
    assert connection.timeout == 3.0
    assert connection.pinned_context.verify_mode == ssl.CERT_REQUIRED
    assert connection.pinned_context.check_hostname


SELF_SIGNED_FOR_HOOKS_TEST = [
    *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
    *("-subj", "/CN=hooks.test", "-addext", "subjectAltName=DNS:hooks.test"),
]


def test_the_pinned_connection_verifies_the_host_name_over_real_tls(tmp_path: Path) -> None:
    """A TLS server on loopback with a certificate for hooks.test only."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", *SELF_SIGNED_FOR_HOOKS_TEST, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    seen: list[tuple[str | None, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.headers["Host"], body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    def trusting(host: str) -> Connection:
        context = ssl.create_default_context(cafile=str(cert))
        return PinnedHTTPSConnection(host, "127.0.0.1", port, timeout=5.0, context=context)

    try:
        connection = trusting("hooks.test")
        connection.request("POST", "/hook", b"{}", {"Content-Type": "application/json"})
        assert connection.getresponse().status == 204
        connection.close()
        assert seen == [(f"hooks.test:{port}", b"{}")]

        with pytest.raises(ssl.SSLCertVerificationError):
            trusting("other.test").request("POST", "/hook", b"{}", {})
    finally:
        server.shutdown()
        server.server_close()


# Backoff ---------------------------------------------------------------------


def test_backoff_doubles_up_to_ten_minutes() -> None:
    assert [backoff_seconds(n) for n in range(8)] == [10, 20, 40, 80, 160, 320, 600, 600]
    assert backoff_seconds(10_000) == 600


def test_backoff_jitter_stays_between_half_and_all_of_the_wait() -> None:
    waits = [backoff_seconds(3, rng=random.Random(seed)) for seed in range(50)]
    assert all(40 <= wait <= 80 for wait in waits)
    assert len(set(waits)) > 1
    assert backoff_seconds(3, rng=random.Random(7)) == backoff_seconds(3, rng=random.Random(7))


def test_backoff_refuses_a_negative_attempt() -> None:
    with pytest.raises(ValueError):
        backoff_seconds(-1)


# The message -----------------------------------------------------------------


def test_a_message_without_a_link_is_just_text() -> None:
    assert slack_payload("New lead: Yamada") == {"text": "New lead: Yamada"}


def test_a_message_with_a_link_has_a_button() -> None:
    payload = slack_payload("New lead", "https://baton.example.com/handoffs/7/")
    [section] = payload["blocks"]
    assert section["text"] == {"type": "mrkdwn", "text": "New lead"}
    assert section["accessory"]["url"] == "https://baton.example.com/handoffs/7/"
    assert section["accessory"]["text"]["text"] == "Open in Baton"
    json.dumps(payload)  # plain JSON, no lazy strings left


def test_text_cannot_mention_everyone_or_forge_links() -> None:
    payload = slack_payload("<!channel> A&B <https://evil.example|click>", "https://b.example/")
    expected = "&lt;!channel&gt; A&amp;B &lt;https://evil.example|click&gt;"
    assert payload["text"] == expected
    assert payload["blocks"][0]["text"]["text"] == expected

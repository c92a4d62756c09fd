"""Posting signed JSON to a URL a user chose, safely (chat messages and
outbound webhooks share it).

The URL is chosen by a user, so the server must not be talked into calling
itself or the internal network (SSRF): only https, no credentials in the URL,
and every address the host resolves to must be public. At send time the host
is resolved once more, checked, and the connection is made to that checked
address while TLS still verifies the certificate for the host name; a DNS
answer that changes between the check and the connection (rebinding) cannot
redirect it. Redirects are never followed: http.client does not follow them
and a 3xx counts as a failure.

Receivers check `X-Baton-Signature: sha256=<hex>`, the HMAC-SHA256 of
"<X-Baton-Timestamp>." followed by the body, with the shared secret.

Delivering each message once is the caller's part: record the delivery
after post_message returns and retry only on DeliveryError(retryable=True).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HTTPS_PORT = 443
# A webhook answers "ok" or a short error; never read more than this.
MAX_RESPONSE_BYTES = 64 * 1024
# Characters a path or query may hold as they are (RFC 3986), "%" for escapes.
PATH_SAFE = "/?:@!$&'()*+,;=%"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DeliveryError(Exception):
    """The message was not delivered; `retryable` says whether trying later may help."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


@dataclass(frozen=True)
class WebhookTarget:
    """Where to connect: the host name for Host and TLS, the checked address for the socket."""

    host: str
    port: int
    path: str
    ip: str


def validate_webhook_url(url: str) -> str:
    """Return `url` when it is an https URL whose host resolves only to public addresses.

    Raises ValidationError otherwise (code "unresolvable" when DNS gave no answer).
    """
    resolve_webhook_url(url)
    return url


def resolve_webhook_url(url: str) -> WebhookTarget:
    """Check `url` as validate_webhook_url does and return the address to connect to."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValidationError(_("The webhook URL must start with https://."), code="https_required")
    if not parts.hostname:
        raise ValidationError(_("The webhook URL has no host name."), code="no_host")
    if parts.username is not None or parts.password is not None:
        raise ValidationError(
            _("The webhook URL must not contain a user name or password."), code="credentials"
        )
    try:
        port = parts.port or HTTPS_PORT
        # Non-ASCII host names go on the wire (DNS, Host, SNI) in their IDNA form.
        host = parts.hostname.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise ValidationError(
            _("The webhook URL has an invalid host name or port."), code="invalid_host"
        ) from None
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        answers = []
    # sockaddr[0] is the address, with a "%scope" suffix for scoped IPv6.
    addresses = list(dict.fromkeys(str(answer[4][0]) for answer in answers))
    if not addresses:
        raise ValidationError(
            _("The webhook host %(host)s could not be found."),
            code="unresolvable",
            params={"host": host},
        )
    for address in addresses:
        if not is_public_address(ipaddress.ip_address(address)):
            raise ValidationError(
                _(
                    "The webhook host %(host)s points to %(address)s, which is not a public "
                    "internet address. Loopback, private, link-local, multicast and reserved "
                    "addresses are refused."
                ),
                code="private_address",
                params={"host": host, "address": address},
            )
    # http.client sends the path as it is: percent-encode spaces, control and
    # non-ASCII characters, keep what is already encoded.
    path = quote(parts.path or "/", safe=PATH_SAFE)
    if parts.query:
        path += "?" + quote(parts.query, safe=PATH_SAFE)
    return WebhookTarget(host=host, port=port, path=path, ip=addresses[0])


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address.

    IPv6 addresses that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, 6to4
    2002::/16) are judged by that IPv4 address as well.
    """
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256, in hex, of "<timestamp>." followed by the body."""
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


class Response(Protocol):
    @property
    def status(self) -> int: ...

    def read(self, amt: int | None = None, /) -> bytes: ...


class Connection(Protocol):
    def request(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> None: ...

    def getresponse(self) -> Response: ...

    def close(self) -> None: ...


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a fixed IP address for a host name.

    The socket goes to `ip`; the Host header, the SNI and the certificate check
    use `host`.
    """

    def __init__(
        self,
        host: str,
        ip: str,
        port: int = HTTPS_PORT,
        *,
        timeout: float,
        context: ssl.SSLContext | None = None,
    ) -> None:
        if context is None:
            context = ssl.create_default_context()
            context.set_alpn_protocols(["http/1.1"])
        self.pinned_context = context
        super().__init__(host, port, timeout=timeout, context=self.pinned_context)
        self.ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self.ip, self.port), self.timeout)
        try:
            self.sock = self.pinned_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def pinned_connection(target: WebhookTarget, timeout: float) -> Connection:
    return PinnedHTTPSConnection(target.host, target.ip, target.port, timeout=timeout)


def post_message(
    url: str,
    secret: bytes,
    payload: dict[str, Any],
    *,
    timeout: float = 5.0,
    headers: Mapping[str, str] | None = None,
    connect: Callable[[WebhookTarget, float], Connection] = pinned_connection,
) -> int:
    """POST `payload` as signed JSON to the webhook at `url`; return the 2xx status.

    `headers` are sent as well (they cannot replace the signature's).

    Raises DeliveryError: retryable for 5xx, 429, timeouts and connection
    errors; not retryable for a refused URL, a redirect, another 4xx or a
    certificate that does not verify.
    """
    try:
        target = resolve_webhook_url(url)
    except ValidationError as error:
        # A DNS failure may pass; a refused URL stays refused.
        raise DeliveryError(
            f"webhook URL refused: {'; '.join(error.messages)}",
            retryable=error.code == "unresolvable",
        ) from error
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    sent = {
        **(headers or {}),
        "Content-Type": "application/json",
        "User-Agent": "Baton",
        "X-Baton-Timestamp": str(timestamp),
        "X-Baton-Signature": f"sha256={sign(secret, timestamp, body)}",
    }
    connection = connect(target, timeout)
    try:
        connection.request("POST", target.path, body, sent)
        response = connection.getresponse()
        status = response.status
        response.read(MAX_RESPONSE_BYTES)
    except ssl.SSLCertVerificationError as error:
        raise DeliveryError(
            f"certificate of {target.host} refused: {error}", retryable=False
        ) from error
    except (OSError, http.client.HTTPException) as error:
        # Timeouts (TimeoutError), refused or reset connections, TLS
        # handshakes cut short, malformed answers.
        raise DeliveryError(f"{type(error).__name__}: {error}", retryable=True) from error
    finally:
        connection.close()
    if 200 <= status < 300:
        return status
    retryable = status == 429 or status >= 500
    kind = "redirect refused" if 300 <= status < 400 else "webhook answered"
    raise DeliveryError(f"{kind}: HTTP {status}", retryable=retryable, status=status)


@dataclass(frozen=True)
class Retry:
    """Try a delivery again: attempt number `attempt` (0-based), in `countdown` seconds."""

    attempt: int
    countdown: int


def backoff_seconds(
    attempt: int, *, base: int = 10, cap: int = 600, rng: random.Random | None = None
) -> int:
    """Seconds to wait before retry number `attempt` (0 for the first): 10, 20, 40 ... 600.

    With `rng`, a random wait between half and all of that ("equal jitter"), so
    that many failed deliveries do not all come back at once.
    """
    if attempt < 0:
        raise ValueError("attempt must not be negative")
    delay = min(cap, base * 2 ** min(attempt, 32))
    if rng is None:
        return delay
    return rng.randint(delay // 2, delay)

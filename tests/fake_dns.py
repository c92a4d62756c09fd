"""A resolver for tests that must not touch the network: host names answer
from a dict, literal IPs resolve to themselves, any other name fails."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

AddrInfo = tuple[
    socket.AddressFamily, socket.SocketKind, int, str, tuple[str, int] | tuple[str, int, int, int]
]


def resolve_from(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> None:
    """Make socket.getaddrinfo answer from `answers` (changes to it count)."""

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[AddrInfo]:
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            if host not in answers:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            addresses = answers[host]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

"""A small SMTP server for the fault tests: it keeps the messages it accepted
(answered 250) and can stall before answering one, as a slow mail server
does, so that a test can kill the worker while it waits. A message the
server never answered was not accepted: the client must send it again."""

from __future__ import annotations

import socketserver
import threading
from collections import Counter
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from tests.conftest import free_port


class MailServer:
    def __init__(self, *, stall_at: int | None = None) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.accepted: list[EmailMessage] = []
        # The `stall_at`-th message (1-based) is not answered until the
        # client goes away: it is never accepted.
        self.stall_at = stall_at
        self.stalled = threading.Event()
        self._received = 0
        self._lock = threading.Lock()
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                server._session(self)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> MailServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def subjects(self) -> Counter[tuple[str, str]]:
        """How many times each (recipient, subject) was accepted."""
        with self._lock:
            return Counter((str(m["To"]), str(m["Subject"])) for m in self.accepted)

    def _session(self, handler: Any) -> None:
        def reply(line: str) -> None:
            handler.wfile.write(line.encode() + b"\r\n")
            handler.wfile.flush()

        reply("220 faults.localhost ESMTP")
        while line := handler.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                reply("250-faults.localhost")
                reply("250 8BITMIME")
            elif verb in {"HELO", "MAIL", "RCPT", "RSET", "NOOP"}:
                reply("250 OK")
            elif verb == "DATA":
                reply("354 End data with <CR><LF>.<CR><LF>")
                raw = _read_data(handler.rfile)
                if raw is None:
                    return
                with self._lock:
                    self._received += 1
                    stall = self._received == self.stall_at
                if stall:
                    self.stalled.set()
                    handler.rfile.read()  # until the client is gone: never answered
                    return
                with self._lock:
                    self.accepted.append(message_from_bytes(raw, policy=default))  # type: ignore[arg-type]
                reply("250 OK: queued")
            elif verb == "QUIT":
                reply("221 Bye")
                return
            else:
                reply("502 Command not implemented")


def _read_data(rfile: Any) -> bytes | None:
    lines: list[bytes] = []
    while line := rfile.readline():
        if line in {b".\r\n", b".\n"}:
            return b"".join(lines)
        lines.append(line[1:] if line.startswith(b"..") else line)
    return None

"""Fake charities: an in-process one for the demo, and a real HTTP server on 127.0.0.1 for the tests.

The loopback server behaves by path, so one server plays every charity a test needs:
  /ok       200, accepted                      /flaky   503 for the first ``failures`` tries of a message, then 200
  /slow     answers after ``slow_seconds``     /reject  422 with a problem document the charity wrote
Every request's signature is checked with ``secret``; a bad one gets 401.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from integrations.charity.signing import new_secret, sign, verify
from integrations.ports import DeliveryReceipt, StatementDelivery

REJECTION = "The RSIN on this statement does not match our registration; please correct and resend."


class InProcessCharity:
    """Accepts every statement without any network: what the demo (and an unconfigured install) uses."""

    name = "built-in fake charity (demo)"

    def __init__(self) -> None:
        self.received: list[StatementDelivery] = []

    async def deliver_statement(self, delivery: StatementDelivery) -> DeliveryReceipt:
        # Sign and check as a receiver would, so a broken secret shows up in the demo too.
        now = int(time.time())
        signature = sign(delivery.secret, delivery.message_id, now, delivery.payload)
        assert verify(delivery.secret, delivery.message_id, str(now), signature, delivery.payload, now)
        self.received.append(delivery)
        return DeliveryReceipt(202, "Received by the built-in fake charity; nothing left this machine.")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool


@dataclass
class FakeCharityServer:
    secret: str = field(default_factory=new_secret)
    failures: int = 2
    slow_seconds: float = 2.0
    received: list[Received] = field(default_factory=list)
    _tries: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, behaviour: str) -> str:
        return f"{self.base_url}/{behaviour}"

    def start(self) -> FakeCharityServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet in tests
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                hdrs = {k.lower(): v for k, v in self.headers.items()}
                ok = verify(
                    fake.secret,
                    hdrs.get("webhook-id", ""),
                    hdrs.get("webhook-timestamp", ""),
                    hdrs.get("webhook-signature", ""),
                    body,
                    int(time.time()),
                )
                fake.received.append(Received(self.path, hdrs, body, ok))
                if not ok:
                    return self._answer(401, {"title": "Unauthorized", "detail": "The webhook signature is invalid."})
                message_id = hdrs.get("webhook-id", "")
                fake._tries[message_id] += 1
                if self.path == "/flaky" and fake._tries[message_id] <= fake.failures:
                    return self._answer(503, {"detail": "Temporarily unavailable; try again later."})
                if self.path == "/slow":
                    time.sleep(fake.slow_seconds)
                if self.path == "/reject":
                    return self._answer(422, {"type": "about:blank", "title": "Unprocessable", "detail": REJECTION})
                self._answer(200, {"message": f"Statement received ({message_id})."})

            def _answer(self, status: int, payload: dict[str, str]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                # The client may have given up waiting (the timeout case).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

"""Fake compensation partners: one in-process for the demo, one real HTTP server on 127.0.0.1 for the tests.

Both keep the partner's side of the API in ``integrations/compensation/client.py``: batches are remembered by
their ``Idempotency-Key``, so the same batch sent again gets the same references and is never counted twice,
and the same key with a different body is refused (409).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from integrations.ports import CompensationItem, CompensationReceipt, Rejected

FAKE_LABEL = "built-in fake partner"
CATEGORIES = ("laptop", "phone", "tablet", "desktop", "monitor", "other")
MAX_ITEMS = 1000


@dataclass
class PartnerLedger:
    """The partner's books: what it accepted under which key, and the reference it gave each item."""

    prefix: str = "FAKE"
    batches: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # Every item the partner counted, by our id: a batch sent twice must not appear twice here.
    counted: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def accept(self, key: str, body: Any) -> tuple[int, dict[str, Any]]:
        """(status, JSON body) for ``POST /v1/compensations``: 201 new, 200 replayed, 4xx refused."""
        if not key or len(key) > 200:
            return 400, _problem(400, "Idempotency-Key header is required (1 to 200 characters).")
        problem = _invalid(body)
        if problem:
            return 422, _problem(422, problem)
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        with self._lock:
            if key in self.batches:
                seen, response = self.batches[key]
                if seen != digest:
                    return 409, _problem(409, f"Idempotency-Key {key} was already used for a different batch.")
                return 200, response
            n = len(self.batches) + 1
            items = []
            for item in body["items"]:
                reference = f"{self.prefix}-{n:05d}-{len(self.counted) + 1:06d}"
                self.counted[str(item["id"])] = reference
                items.append({"id": item["id"], "reference": reference})
            response = {"batch_reference": f"{self.prefix}-B{n:05d}", "items": items}
            self.batches[key] = (digest, response)
            return 201, response


def _problem(status: int, detail: str) -> dict[str, Any]:
    return {
        "type": "about:blank",
        "title": "Refused" if status < 500 else "Unavailable",
        "status": status,
        "detail": detail,
    }


def _invalid(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return 'The body must be a JSON object with a list "items".'
    items = body["items"]
    if not 1 <= len(items) <= MAX_ITEMS:
        return f"A batch carries 1 to {MAX_ITEMS} items."
    ids = set()
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            return f"items[{i}] is not an object."
        if item.get("category") not in CATEGORIES:
            return f"items[{i}].category {item.get('category')!r} is not one we collect for."
        weight = item.get("weight_grams")
        if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
            return f"items[{i}].weight_grams must be a positive whole number of grams."
        if "id" not in item or str(item["id"]) in ids:
            return f"items[{i}].id is missing or repeated."
        ids.add(str(item["id"]))
    return ""


def _wire(items: Sequence[CompensationItem]) -> dict[str, Any]:
    return {
        "items": [{"id": str(i.obligation_id), "category": i.category, "weight_grams": i.weight_grams} for i in items]
    }


class FakeCompensationPartner:
    """In-process partner for the demo and for tests that do not need HTTP."""

    name = FAKE_LABEL

    def __init__(self) -> None:
        self.ledger = PartnerLedger()

    async def submit_batch(self, batch_key: str, items: Sequence[CompensationItem]) -> Sequence[CompensationReceipt]:
        status, body = self.ledger.accept(batch_key, _wire(items))
        if status >= 400:
            raise Rejected(body["detail"])
        return [CompensationReceipt(int(i["id"]), i["reference"]) for i in body["items"]]


@dataclass
class Received:
    key: str
    body: Any
    answered: int


class FakePartnerServer:
    """The partner over real HTTP on 127.0.0.1 (an ephemeral port), scripted per request by the tests.

    ``fail_next(503)`` answers the next request with that status without recording anything;
    ``stall_next(2.0)`` records the batch but answers only after the delay (the nasty timeout: the partner has
    the batch, the client does not know); otherwise it answers like the real partner.
    """

    def __init__(self, token: str = "", prefix: str = "CTL") -> None:
        self.token = token
        self.ledger = PartnerLedger(prefix=prefix)
        self.received: list[Received] = []
        self.delay_seconds = 0.0
        self._script: deque[tuple[str, Any, str]] = deque()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, status: int, detail: str = "") -> None:
        self._script.append(("fail", status, detail or f"fake partner answers {status}"))

    def stall_next(self, seconds: float) -> None:
        self._script.append(("stall", seconds, ""))

    def counted_ids(self) -> list[str]:
        return list(self.ledger.counted)

    def start(self) -> FakePartnerServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-compensation-partner", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakePartnerServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_step(self) -> tuple[str, Any, str]:
        with self._lock:
            return self._script.popleft() if self._script else ("ok", None, "")

    def handle(self, path: str, headers: Any, raw: bytes) -> tuple[int, dict[str, Any]]:
        if path != "/v1/compensations":
            return 404, _problem(404, f"No such endpoint {path}.")
        if self.token and headers.get("Authorization") != f"Bearer {self.token}":
            return 401, _problem(401, "Missing or wrong API token.")
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            return 400, _problem(400, "The body is not JSON.")
        key = headers.get("Idempotency-Key") or ""
        step, arg, detail = self._next_step()
        if step == "fail":
            self.received.append(Received(key, body, arg))
            return arg, _problem(arg, detail)
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        status, answer = self.ledger.accept(key, body)
        self.received.append(Received(key, body, status))
        if step == "stall":
            time.sleep(arg)
        return status, answer


def _handler_for(fake: FakePartnerServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, body = fake.handle(self.path, self.headers, self.rfile.read(length))
            payload = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if status < 400 else "application/problem+json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout case)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler

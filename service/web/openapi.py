"""What the OpenAPI says each JSON route answers when it refuses a request: RFC 9457 problem documents.

Written once, from what every route shares, rather than on each of ~95 handlers: the auth middleware answers 401
on every route it guards, a role guard 403, path ids 404, and a write may conflict (409) or carry a body too large
(413); any request may be malformed (400) or invalid (422). Routes with refusals of their own (the token's
throttle, the uploads' media types) are named here beside the rule.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPI, OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Schema
from litestar.routes import HTTPRoute
from pydantic import BaseModel, ConfigDict

from service.accounts.auth import PUBLIC_PATHS
from service.errors import PROBLEM_JSON

_TITLES = {
    400: "Malformed request",
    401: "Not signed in, or the token is expired or revoked",
    403: "The role may not do this",
    404: "No such object (or one the caller may not see)",
    409: "Conflicts with the object's state or version",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input, field by field in errors",
    429: "Too many attempts",
}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Routes that read the raw body and say which media types they take.
_UPLOADS = (
    "/api/v1/imports/devices", "/api/v1/wipe-certificates/import", "/api/v1/devices/{device_id}/wipe-certificates",
)  # fmt: skip
_TOKEN = "/api/v1/auth/token"


_TEXT = Schema(type=OpenAPIType.STRING)
_CSV = {"text/csv": OpenAPIMediaType(schema=_TEXT)}
# Success responses that are not (only) the handler's JSON: statement documents by suffix, and the lists that
# also answer ?format=csv.
_DOCUMENTS = {
    ".pdf": {"application/pdf": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format="binary"))},  # type: ignore[arg-type]
    ".csv": _CSV,
    ".json": {"application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.OBJECT))},
}
_ALSO_CSV = ("/api/v1/devices", "/api/v1/wipe-certificates")
# Routes whose answer is a PDF whatever their path says (asset labels).
_PDF_ROUTES = ("/api/v1/devices/{device_id}/label", "/api/v1/labels")


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem document; some carry more members (current_status, allowed, correlation_id ...)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


def _codes(path: str, methods: set[str]) -> set[int]:
    codes = {400, 422}
    if not any(re.match(pattern, path) for pattern in PUBLIC_PATHS):
        codes |= {401, 403}
    if "{" in path or methods & _WRITES:
        codes.add(404)  # the object in the path, or one a body refers to
    if methods & _WRITES:
        codes |= {409, 413}
    if path in _UPLOADS and methods & _WRITES:
        codes.add(415)
    if path == _TOKEN:
        codes |= {401, 429}
    return codes


def document_problems(app: Litestar) -> None:
    """Adds the problem responses to every /api/ operation of ``app`` (before its schema is first generated)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith("/api/"):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # as the schema writes it: {device_id}
        for handler in route.route_handlers:
            assert isinstance(handler, HTTPRouteHandler)
            documented: dict[int, Any] = dict(handler.responses or {})
            for code in sorted(_codes(path, set(handler.http_methods))):
                documented.setdefault(
                    code,
                    ResponseSpec(data_container=Problem, media_type=PROBLEM_JSON, description=_TITLES[code],
                                 generate_examples=False),
                )  # fmt: skip
            handler.responses = documented


def _document_downloads(openapi: OpenAPI) -> None:
    for path, item in (openapi.paths or {}).items():
        if not path.startswith("/api/"):
            continue
        for operation in (item.get, item.post):
            if operation is None or not isinstance(ok := (operation.responses or {}).get("200"), OpenAPIResponse):
                continue
            # A file by its name (statement.pdf, report.csv ...), a label sheet, or a list that also answers CSV.
            suffix = next((s for s in _DOCUMENTS if path.endswith(s)), ".pdf" if path in _PDF_ROUTES else None)
            if suffix is not None:
                ok.content = dict(_DOCUMENTS[suffix])
            elif path in _ALSO_CSV and operation is item.get:
                ok.content = {**(ok.content or {}), **_CSV}


def document_downloads(app: Litestar) -> None:
    """On start-up: the schema says which routes answer with a PDF or CSV rather than JSON. (The schema is built
    once and cached; building it costs a quarter second, so apps that never serve, like most tests', skip it.)"""
    _document_downloads(app.openapi_schema)

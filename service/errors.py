"""Domain errors, and how they become RFC 9457 problem documents (API) or an error page (UI)."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

log = structlog.get_logger("kringloop.errors")

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """An error whose message is written for the person who caused it."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"

    def __init__(self, detail: str, *, errors: list[dict[str, str]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(message, errors=[{"field": field, "message": message}])


class NotFound(DomainError):
    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    type_slug = "conflict"


class Gone(DomainError):
    """It was there, and was removed on purpose (a retention rule), so asking again will not help."""

    status = 410
    title = "Gone"
    type_slug = "gone"


class Unauthenticated(DomainError):
    status = 401
    title = "Not authenticated"
    type_slug = "not-authenticated"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class TooManyAttempts(DomainError):
    status = 429
    title = "Too many attempts"
    type_slug = "too-many-attempts"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _wants_html(request: Request[Any, Any, Any]) -> bool:
    return not request.url.path.startswith(("/api/", "/health", "/schema", "/bench/"))


def _html_error(request: Request[Any, Any, Any], status: int, title: str, detail: str) -> Response[Any]:
    from litestar.response import Template

    if status == 401:
        from urllib.parse import quote

        from litestar.response import Redirect

        # The whole target, query included (a QR label's URL, a filtered list), so sign-in returns to it.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Redirect(f"/login?next={quote(target, safe='/')}")
    return Template(
        "error.html",
        context={"status": status, "title": title, "detail": detail, "request": request},
        status_code=status,
        media_type=MediaType.HTML,
    )


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    if _wants_html(request):
        return _html_error(request, exc.status, exc.title, exc.detail)
    return problem(exc.status, exc.title, exc.detail, slug=exc.type_slug, errors=exc.errors, **exc.extra)


def _validation_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            errors.append({"field": field, "message": str(item.get("message", "is invalid"))})
    return errors


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or exc.detail
        if _wants_html(request):
            return _html_error(request, 422, "Invalid input", detail)
        return problem(422, "Invalid input", detail, slug="invalid-input", errors=errors)
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException):
        title, slug = "Not authenticated", "not-authenticated"
    elif isinstance(exc, PermissionDeniedException):
        title, slug = "Forbidden", "forbidden"
    else:
        title, slug = _STATUS_TITLES.get(status, ("Error", "error"))
    detail = exc.detail or title
    if _wants_html(request):
        return _html_error(request, status, title, detail)
    return problem(status, title, detail, slug=slug, headers=exc.headers)


_STATUS_TITLES = {
    400: ("Bad request", "bad-request"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
    413: ("Request body too large", "body-too-large"),
    415: ("Unsupported media type", "unsupported-media-type"),
    429: ("Too many requests", "too-many-attempts"),
}


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    correlation_id = getattr(request.state, "correlation_id", "-")
    log.error("unhandled_error", correlation_id=correlation_id, path=request.url.path, exc_info=exc)
    detail = f"Something went wrong on our side. Quote correlation id {correlation_id} when reporting it."
    if _wants_html(request):
        return _html_error(request, 500, "Internal error", detail)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR, "Internal error", detail, slug="internal", correlation_id=correlation_id
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}

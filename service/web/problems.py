"""How errors become RFC 9457 problem documents (API) or an error page (UI): domain errors (service/errors.py),
the framework's own, and anything unexpected (a 500 with a correlation id in the log, never a stack trace)."""

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

from service.errors import PROBLEM_JSON, DomainError
from service.i18n import N_, _, use_locale
from service.web.locale import locale_of

log = structlog.get_logger("kringloop.errors")


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
    with use_locale(locale_of(request)):
        title = _(exc.title)
    if _wants_html(request):
        return _html_error(request, exc.status, title, exc.detail)
    return problem(exc.status, title, exc.detail, slug=exc.type_slug, errors=exc.errors, **exc.extra)


def _validation_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors = []
    for item in exc.extra or []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            errors.append({"field": field, "message": str(item.get("message", _("is invalid")))})
    return errors


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    with use_locale(locale_of(request)):
        return _http_error(request, exc)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or exc.detail
        if _wants_html(request):
            return _html_error(request, 422, _("Invalid input"), detail)
        return problem(422, _("Invalid input"), detail, slug="invalid-input", errors=errors)
    status = exc.status_code
    if isinstance(exc, NotAuthorizedException):
        title, slug = _("Not authenticated"), "not-authenticated"
    elif isinstance(exc, PermissionDeniedException):
        title, slug = _("Forbidden"), "forbidden"
    else:
        title, slug = _STATUS_TITLES.get(status, (N_("Error"), "error"))
        title = _(title)
    detail = exc.detail or title
    if _wants_html(request):
        return _html_error(request, status, title, detail)
    return problem(status, title, detail, slug=slug, headers=exc.headers)


_STATUS_TITLES = {
    400: (N_("Bad request"), "bad-request"),
    404: (N_("Not found"), "not-found"),
    405: (N_("Method not allowed"), "method-not-allowed"),
    413: (N_("Request body too large"), "body-too-large"),
    415: (N_("Unsupported media type"), "unsupported-media-type"),
    429: (N_("Too many requests"), "too-many-attempts"),
}


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    correlation_id = getattr(request.state, "correlation_id", "-")
    log.error("unhandled_error", correlation_id=correlation_id, path=request.url.path, exc_info=exc)
    with use_locale(locale_of(request)):
        title = _("Internal error")
        detail = _("Something went wrong on our side. Quote correlation id {id} when reporting it.").format(
            id=correlation_id
        )
    if _wants_html(request):
        return _html_error(request, 500, title, detail)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, title, detail, slug="internal", correlation_id=correlation_id)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}

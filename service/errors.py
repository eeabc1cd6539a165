"""Domain errors: what went wrong, written for the person who caused it. service/web/problems.py makes them RFC 9457
problem documents (API) or an error page (UI); this half has no web imports, so a command line need not load the
web framework to raise one."""

from __future__ import annotations

from typing import Any

from service.i18n import N_

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """An error whose message is written for the person who caused it.

    ``title`` is marked for the catalogue and translated when the problem is shown; ``detail`` is translated where
    it is raised (``raise Conflict(_("..."))``), in the language of the request or job that raised it.
    """

    status = 400
    title = N_("Bad request")
    type_slug = "bad-request"

    def __init__(self, detail: str, *, errors: list[dict[str, str]] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class InvalidInput(DomainError):
    status = 422
    title = N_("Invalid input")
    type_slug = "invalid-input"

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(message, errors=[{"field": field, "message": message}])


class NotFound(DomainError):
    status = 404
    title = N_("Not found")
    type_slug = "not-found"


class Conflict(DomainError):
    status = 409
    title = N_("Conflict")
    type_slug = "conflict"


class Gone(DomainError):
    """It was there, and was removed on purpose (a retention rule), so asking again will not help."""

    status = 410
    title = N_("Gone")
    type_slug = "gone"


class Unauthenticated(DomainError):
    status = 401
    title = N_("Not authenticated")
    type_slug = "not-authenticated"


class Forbidden(DomainError):
    status = 403
    title = N_("Forbidden")
    type_slug = "forbidden"


class TooManyAttempts(DomainError):
    status = 429
    title = N_("Too many attempts")
    type_slug = "too-many-attempts"

"""Page forms: run the step, or draw the refused form again with a message per field, in words a person understands.

Every page's form goes through ``submit_form``: it runs the step, and when the step refuses the input it rolls
back whatever was flushed and hands the page a ``Refused`` (which form, what the person sent, {field: message})
so the page draws that form again with the person's values and its errors beside its fields.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from litestar.response import Redirect
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from service.errors import DomainError
from service.i18n import _, lazy_gettext

T = TypeVar("T")

# What to say when a field is left empty, where "This is required." would be vague.
MISSING: Mapping[str, str] = {
    "model_id": lazy_gettext("Choose a model."),
    "employee_id": lazy_gettext("Choose an employee."),
    "purchase_date": lazy_gettext("Enter the purchase date."),
    "purchase_price": lazy_gettext("Enter the purchase price."),
    "supplier": lazy_gettext("Enter the repair supplier."),
    "reason": lazy_gettext("Give a reason."),
    "amount": lazy_gettext("Enter an amount."),
}


def cleaned(data: Mapping[str, str | None]) -> dict[str, str]:
    """What a person sent, trimmed, without the CSRF token: what a refused form draws again."""
    return {k: (v or "").strip() for k, v in data.items() if k != "_csrf_token"}


@dataclass(frozen=True)
class Refused:
    """A refused form, to draw again: which of the page's forms, what the person sent, and why."""

    form_id: str
    form: dict[str, str] = field(default_factory=dict)
    # A message per field; what belongs to no field sits under the form's default field.
    errors: dict[str, str] = field(default_factory=dict)
    # The whole problem in one sentence, for a form that shows one message.
    message: str = ""
    status_code: int = 422
    # What refused it, for a page that treats some refusals differently (a missing donation stays a 404).
    cause: Exception | None = field(default=None, compare=False, repr=False)


def field_errors(exc: ValidationError, whole_form: str = "form") -> dict[str, str]:
    """The first problem of each field; a model-level problem (no field) goes under ``whole_form``."""
    errors: dict[str, str] = {}
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else whole_form
        kind = e["type"]
        ctx = e.get("ctx") or {}
        if kind == "missing":
            message = str(MISSING.get(field) or _("This is required."))
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            message = _("Enter a whole number.")
        elif kind.startswith("datetime_"):
            message = _("Enter a date and time.")
        elif kind.startswith("date_"):
            message = _("Enter a date as YYYY-MM-DD.")
        elif kind == "string_too_short":
            message = _("Use at least {n} characters.").format(n=ctx.get("min_length", 1))
        elif kind == "string_too_long":
            message = _("Use at most {n} characters.").format(n=ctx.get("max_length"))
        elif kind == "greater_than_equal":
            message = _("Must be {n} or more.").format(n=ctx.get("ge"))
        else:
            message = str(e["msg"]).removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def domain_errors(exc: DomainError, default_field: str) -> dict[str, str]:
    """Field problems beside their fields; anything else (a conflict) at ``default_field``."""
    errors = {e["field"]: e["message"] for e in exc.errors if e.get("field")}
    return errors or {default_field: exc.detail}


async def submit_form(
    session: AsyncSession,
    work: Callable[[], Awaitable[T]],
    *,
    form_id: str,
    form: Mapping[str, str],
    show: Callable[[Refused], Any],
    done: str | Callable[[T], Any],
    default_field: str = "form",
    whole_form: str = "form",
) -> Any:
    """Runs a page form's step. Done: ``done`` (a URL to see next, 303, or a response). Refused (the schema's
    ValidationError or a DomainError): ``show(refused)`` draws the page again, its answer (awaited if need be).

    ``form`` is read once the step has run, so a step may fill it in (a multipart form is read inside it). A domain
    error naming no field goes under ``default_field``; a schema problem naming none under ``whole_form``.
    """
    try:
        result = await work()
    except ValidationError as exc:
        errors = field_errors(exc, whole_form)
        refused = Refused(form_id, dict(form), errors, "; ".join(errors.values()), 422, exc)
    except DomainError as exc:
        refused = Refused(form_id, dict(form), domain_errors(exc, default_field), exc.detail, exc.status, exc)
    else:
        answer = done(result) if callable(done) else done
        return Redirect(answer, status_code=303) if isinstance(answer, str) else answer
    # A normal return commits (service/web/deps.py): undo whatever the refused step flushed before drawing the page.
    await session.rollback()
    shown = show(refused)
    return await shown if inspect.isawaitable(shown) else shown

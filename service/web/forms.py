"""What a refused page form shows: a message per field, in words a person understands.

Every page turns a schema's ValidationError and a DomainError into the same shape, {field: message}, so each
form draws its errors beside its fields; what belongs to no field goes under ``whole_form``.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from service.errors import DomainError
from service.i18n import _, lazy_gettext

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

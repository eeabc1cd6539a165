"""What a refused page form shows: a message per field, in words a person understands.

Every page turns a schema's ValidationError and a DomainError into the same shape, {field: message}, so each
form draws its errors beside its fields; what belongs to no field goes under ``whole_form``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import ValidationError

from service.errors import DomainError

# What to say when a field is left empty, where "This is required." would be vague.
MISSING: Mapping[str, str] = {
    "model_id": "Choose a model.",
    "employee_id": "Choose an employee.",
    "purchase_date": "Enter the purchase date.",
    "purchase_price": "Enter the purchase price.",
    "supplier": "Enter the repair supplier.",
    "reason": "Give a reason.",
    "amount": "Enter an amount.",
}


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


def field_errors(exc: ValidationError, whole_form: str = "form") -> dict[str, str]:
    """The first problem of each field; a model-level problem (no field) goes under ``whole_form``."""
    errors: dict[str, str] = {}
    for e in exc.errors():
        field = str(e["loc"][0]) if e["loc"] else whole_form
        kind = e["type"]
        ctx = e.get("ctx") or {}
        if kind == "missing":
            message = MISSING.get(field, "This is required.")
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            message = "Enter a whole number."
        elif kind.startswith("datetime_"):
            message = "Enter a date and time."
        elif kind.startswith("date_"):
            message = "Enter a date as YYYY-MM-DD."
        elif kind == "string_too_short":
            message = f"Use at least {ctx.get('min_length', 1)} characters."
        elif kind == "string_too_long":
            message = f"Use at most {ctx.get('max_length')} characters."
        elif kind == "greater_than_equal":
            message = f"Must be {ctx.get('ge')} or more."
        else:
            message = str(e["msg"]).removeprefix("Value error, ")
        errors.setdefault(field, message)
    return errors


def domain_errors(exc: DomainError, default_field: str) -> dict[str, str]:
    """Field problems beside their fields; anything else (a conflict) at ``default_field``."""
    errors = {e["field"]: e["message"] for e in exc.errors if e.get("field")}
    return errors or {default_field: exc.detail}

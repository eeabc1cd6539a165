"""Changing a row safely: optimistic versions, and the before/after that the audit trail records."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from service.audit.service import changed, snapshot
from service.db import utcnow
from service.errors import Conflict, InvalidInput
from service.i18n import _


def expect_version(entity: Any, version: int, what: str) -> None:
    if entity.version != version:
        raise Conflict(
            _(
                "This {what} was changed by someone else (you sent version {version}, it is now at "
                "version {version2}). Reload it and apply your change again."
            ).format(what=what, version=version, version2=entity.version),
            current_version=entity.version,
        )


def patch_changes(data: Any, model: Any, derived: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The columns a PATCH body sets (its version, and ``derived`` fields the caller converts, left out). A null for
    a column that cannot be empty, or for a derived field, is refused here, naming every such field, instead of
    failing at the database as a 500."""
    sent: dict[str, Any] = data.model_dump(exclude_unset=True, exclude={"version"})
    columns = model.__table__.c
    emptied = [f for f, v in sent.items() if v is None and (f in derived or (f in columns and not columns[f].nullable))]
    if emptied:
        raise InvalidInput(
            _("{emptied} cannot be emptied.").format(emptied=', '.join(emptied)),
            errors=[{"field": f, "message": _("cannot be emptied")} for f in emptied],
        )
    return {f: v for f, v in sent.items() if f not in derived}


def apply_changes(entity: Any, changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sets the given fields, bumps the version, and returns (before, after) of what really changed."""
    before = snapshot(entity)
    for field, value in changes.items():
        setattr(entity, field, value)
    after = snapshot(entity)
    diff_before, diff_after = changed(before, after)
    if diff_after:
        entity.version += 1
        entity.updated_at = utcnow()
        diff_before["version"], diff_after["version"] = entity.version - 1, entity.version
    return diff_before, diff_after


def unique_violation(exc: IntegrityError) -> str:
    """The text of a unique-constraint failure, lower-cased, to tell which field collided."""
    return str(exc.orig).lower()

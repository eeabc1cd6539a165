"""Changing a row safely: optimistic versions, and the before/after that the audit trail records."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from service.audit.service import changed, snapshot
from service.db import utcnow
from service.errors import Conflict


def expect_version(entity: Any, version: int, what: str) -> None:
    if entity.version != version:
        raise Conflict(
            f"This {what} was changed by someone else (you sent version {version}, it is now at "
            f"version {entity.version}). Reload it and apply your change again.",
            current_version=entity.version,
        )


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

"""Keyset pagination by id: stable under inserts, and no OFFSET scans on large tables."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa

from service.errors import InvalidInput
from service.i18n import _

T = TypeVar("T")
MAX_LIMIT = 1000
DEFAULT_LIMIT = 50


def _encode(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decoded(cursor: str, key: str, valid: Any) -> Any:
    """The ``key`` of a cursor this server gave out, if ``valid(value)``; a 422 on ``cursor`` otherwise."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))[key]
        if not valid(value):
            raise ValueError
        return value
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput.field("cursor", _("is not a cursor this server gave out; start again without it")) from None


def encode_cursor(last_id: int) -> str:
    return _encode({"after": last_id})


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    return _decoded(cursor, "after", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0)  # type: ignore[no-any-return]


def encode_position(position: list[Any]) -> str:
    """A cursor for a page sorted by something other than id: the last row's sort key, as JSON values."""
    return _encode({"at": position})


def decode_position(cursor: str | None, length: int) -> list[Any] | None:
    if not cursor:
        return None
    return _decoded(cursor, "at", lambda v: isinstance(v, list) and len(v) == length)  # type: ignore[no-any-return]


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput.field("limit", _("must be between 1 and {MAX_LIMIT}").format(MAX_LIMIT=MAX_LIMIT))
    return limit


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def keyset(statement: sa.Select[Any], id_column: Any, cursor: str | None, limit: int) -> sa.Select[Any]:
    after = decode_cursor(cursor)
    if after is not None:
        statement = statement.where(id_column > after)
    return statement.order_by(id_column).limit(check_limit(limit) + 1)


def page_of(rows: list[T], limit: int, id_of: Any = lambda row: row.id) -> Page[T]:
    """Turns ``limit + 1`` fetched rows into a page and the cursor for the next one."""
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(rows, encode_cursor(id_of(rows[-1])))
    return Page(rows, None)

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


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = value["after"]
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError
        return after
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput.field("cursor", _("is not a cursor this server gave out; start again without it")) from None


def encode_position(position: list[Any]) -> str:
    """A cursor for a page sorted by something other than id: the last row's sort key, as JSON values."""
    return base64.urlsafe_b64encode(json.dumps({"at": position}).encode()).decode().rstrip("=")


def decode_position(cursor: str | None, length: int) -> list[Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))["at"]
        if not isinstance(position, list) or len(position) != length:
            raise ValueError
        return position
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput.field("cursor", _("is not a cursor this server gave out; start again without it")) from None


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

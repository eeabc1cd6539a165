"""The audit hash chain. Pure code: what is hashed, and how a chain is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class Encoded:
    """JSON text that is already ``canonical_json`` of some value. A large record is then encoded once, for its
    hash and its column alike, and in pieces where they are ready (an import chunk's rows are encoded while the
    chunk before is still being written). Deliberately not a ``str``: a serializer that does not know it fails
    instead of storing the text as a JSON string (``column_json``)."""

    text: str


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 as is: the text the audit hash is taken over. An ``Encoded`` value, or one
    among the values of a dict with string keys, is taken as it is (deeper down, json.dumps would refuse it)."""
    if isinstance(value, Encoded):
        return value.text
    if isinstance(value, dict) and any(isinstance(v, Encoded) for v in value.values()):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("a dict with Encoded values needs string keys")
        return "{" + ",".join(f"{_dumps(key)}:{canonical_json(item)}" for key, item in sorted(value.items())) + "}"
    return _dumps(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def encoded(value: Any) -> Encoded:
    return value if isinstance(value, Encoded) else Encoded(canonical_json(value))


def column_json(value: Any) -> str:
    """The engine's JSON serializer (service.db): ``Encoded`` text as it is, anything else as json.dumps would."""
    return value.text if isinstance(value, Encoded) else json.dumps(value)


def record_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: Any,
    after: Any,
    prev_hash: str,
) -> str:
    payload = {
        "seq": seq,
        # Microsecond UTC ISO text: both databases keep microseconds, so the hash survives a round trip.
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "before": before,
        "after": after,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def find_first_break(records: Iterable[Any], start_hash: str = GENESIS_HASH, start_seq: int = 0) -> ChainBreak | None:
    """Walks records in ``seq`` order; returns the first that does not follow from the one before."""
    expected_prev, expected_seq = start_hash, start_seq + 1
    for r in records:
        if r.seq != expected_seq:
            return ChainBreak(expected_seq, f"record {expected_seq} is missing (next found is {r.seq})")
        if r.prev_hash != expected_prev:
            return ChainBreak(r.seq, "its prev_hash does not match the hash of the record before it")
        computed = record_hash(
            seq=r.seq,
            at=r.at,
            actor=r.actor,
            action=r.action,
            entity_type=r.entity_type,
            entity_id=r.entity_id,
            before=r.before,
            after=r.after,
            prev_hash=r.prev_hash,
        )
        if computed != r.hash:
            return ChainBreak(r.seq, "its content does not match its hash (it was changed after writing)")
        expected_prev, expected_seq = r.hash, r.seq + 1
    return None

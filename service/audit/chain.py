"""The audit hash chain. Pure code: what is hashed, and how a chain is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


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

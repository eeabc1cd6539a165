"""Allocating the unallocated pool to charities by share. Pure code: plain values in, plain values out.

1. The amount to donate is split by share to the cent with the largest-remainder method: every charity gets
   the floor of its exact share, and the few cents left go one each to the largest fractional parts (ties to
   the lower charity id), so the parts add up to the whole and the same input always gives the same split.
2. A charity whose part is below its minimum donation is skipped; its part stays in the pool and waits for
   the next run (with everything else that was not drafted).
3. The receiving charities, in id order, take whole credits oldest first; only a credit at the boundary between
   two charities (or between the last charity and what waits) is split.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from service.charities.rules import FULL_SHARE_BP


class AllocationRefused(ValueError):
    pass


class Source(NamedTuple):
    """What is still unallocated of one pool credit (or positive pool adjustment), oldest first."""

    entry_id: int
    available_cents: int


@dataclass(frozen=True)
class Recipient:
    charity_id: int
    share_bp: int
    minimum_cents: int = 0


class Portion(NamedTuple):
    # Tuples, not dataclasses: a run over 100k credits makes one of each per credit.
    entry_id: int
    cents: int


@dataclass(frozen=True)
class Draft:
    charity_id: int
    amount_cents: int
    portions: tuple[Portion, ...]


@dataclass(frozen=True)
class Skipped:
    charity_id: int
    share_cents: int
    minimum_cents: int


@dataclass(frozen=True)
class Plan:
    drafts: tuple[Draft, ...]
    skipped: tuple[Skipped, ...]
    # Everything available that no draft took: skipped shares, and what a cap held back.
    waiting_cents: int
    available_cents: int

    @property
    def donated_cents(self) -> int:
        return sum(d.amount_cents for d in self.drafts)

    def merged(self, other: Plan) -> Plan:
        """This plan and another (of another company's pool) as one, for a run's totals."""
        return Plan(
            self.drafts + other.drafts,
            self.skipped + other.skipped,
            self.waiting_cents + other.waiting_cents,
            self.available_cents + other.available_cents,
        )


NOTHING = Plan((), (), 0, 0)


def split_by_share(total_cents: int, recipients: Sequence[Recipient]) -> dict[int, int]:
    """Largest remainder: parts add up to ``total_cents`` exactly; deterministic for equal remainders."""
    if total_cents < 0:
        raise AllocationRefused("there is nothing negative to share")
    if sum(r.share_bp for r in recipients) != FULL_SHARE_BP:
        raise AllocationRefused("the shares do not add up to 100 %")
    parts = {r.charity_id: total_cents * r.share_bp // FULL_SHARE_BP for r in recipients}
    leftover = total_cents - sum(parts.values())
    by_remainder = sorted(recipients, key=lambda r: (-(total_cents * r.share_bp % FULL_SHARE_BP), r.charity_id))
    for r in by_remainder[:leftover]:
        parts[r.charity_id] += 1
    return parts


def allocate(sources: Sequence[Source], recipients: Sequence[Recipient], cap_cents: int | None = None) -> Plan:
    """Drafts one donation per recipient whose share reaches its minimum.

    ``sources`` are in the order they were credited (oldest first). ``cap_cents`` limits what may be shared
    out when the pool's balance is below what its credits hold (a pool-wide correction took some away)."""
    if len({r.charity_id for r in recipients}) != len(recipients):
        raise AllocationRefused("a charity is listed twice")
    if any(s.available_cents <= 0 for s in sources):
        raise AllocationRefused("a source with nothing available was offered")
    available = sum(s.available_cents for s in sources)
    to_share = available if cap_cents is None else max(0, min(cap_cents, available))
    parts = split_by_share(to_share, recipients)

    receiving: list[tuple[int, int]] = []
    skipped: list[Skipped] = []
    for r in sorted(recipients, key=lambda r: r.charity_id):
        cents = parts[r.charity_id]
        if cents == 0:
            continue
        if cents < r.minimum_cents:
            skipped.append(Skipped(r.charity_id, cents, r.minimum_cents))
        else:
            receiving.append((r.charity_id, cents))

    drafts: list[Draft] = []
    index, left_in_source = 0, sources[0].available_cents if sources else 0
    for charity_id, amount in receiving:
        portions: list[Portion] = []
        need = amount
        while need:
            take = min(need, left_in_source)
            if take == 0:  # pragma: no cover - the parts never exceed what is available
                raise AllocationRefused("the sources ran out before the shares were filled")
            portions.append(Portion(sources[index].entry_id, take))
            need -= take
            left_in_source -= take
            if left_in_source == 0 and index + 1 < len(sources):
                index += 1
                left_in_source = sources[index].available_cents
        drafts.append(Draft(charity_id, amount, tuple(portions)))
    donated = sum(d.amount_cents for d in drafts)
    return Plan(tuple(drafts), tuple(skipped), available - donated, available)

"""Allocation of the pool by share: exact to the cent, oldest credits first, only boundary credits split."""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.donations.allocation import AllocationRefused, Recipient, Source, allocate, split_by_share


@st.composite
def recipients(draw: st.DrawFn) -> list[Recipient]:
    n = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=n - 1, max_size=n - 1)))
    shares = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    ids = draw(st.lists(st.integers(1, 10_000), min_size=n, max_size=n, unique=True))
    minimums = draw(st.lists(st.integers(0, 50_000), min_size=n, max_size=n))
    return [Recipient(i, s, m) for i, s, m in zip(ids, shares, minimums, strict=True)]


sources = st.lists(st.integers(1, 250_000), max_size=60).map(
    lambda amounts: [Source(entry_id=i + 1, available_cents=a) for i, a in enumerate(amounts)]
)


@settings(max_examples=400, deadline=None)
@given(sources, recipients(), st.one_of(st.none(), st.integers(0, 20_000_000)))
def test_donations_plus_what_waits_is_the_pool(srcs: list[Source], rcpts: list[Recipient], cap: int | None) -> None:
    plan = allocate(srcs, rcpts, cap)
    pool = sum(s.available_cents for s in srcs)
    assert plan.donated_cents + plan.waiting_cents == pool == plan.available_cents
    shared = pool if cap is None else min(cap, pool)
    exact = {r.charity_id: Fraction(shared * r.share_bp, 10_000) for r in rcpts}
    by_id = {r.charity_id: r for r in rcpts}
    for draft in plan.drafts:
        # Each part is its exact share rounded to a neighbouring cent, and reaches the charity's minimum.
        assert abs(draft.amount_cents - exact[draft.charity_id]) < 1
        assert draft.amount_cents >= by_id[draft.charity_id].minimum_cents
        assert sum(p.cents for p in draft.portions) == draft.amount_cents
        assert all(p.cents > 0 for p in draft.portions)
    for skipped in plan.skipped:
        assert skipped.share_cents < skipped.minimum_cents
        assert skipped.charity_id not in {d.charity_id for d in plan.drafts}
    # Every cent of the shared amount goes to a draft or to a skipped charity's waiting share.
    assert plan.donated_cents + sum(s.share_cents for s in plan.skipped) == shared

    taken: dict[int, int] = defaultdict(int)
    order = [p.entry_id for d in plan.drafts for p in d.portions]
    for d in plan.drafts:
        for p in d.portions:
            taken[p.entry_id] += p.cents
    available = {s.entry_id: s.available_cents for s in srcs}
    assert all(taken[e] <= available[e] for e in taken)  # never more than a credit holds
    assert order == sorted(order)  # oldest first, across the charities in turn
    # Whole credits: every credit before the last one touched is used up; only boundaries are split.
    if order:
        last = order[-1]
        assert all(taken[s.entry_id] == s.available_cents for s in srcs if s.entry_id < last)
        shared_by = defaultdict(int)
        for e in order:
            shared_by[e] += 1
        assert sum(1 for n in shared_by.values() if n > 1) <= len(plan.drafts) - 1
        partly_used = [e for e in taken if taken[e] < available[e]]
        assert partly_used in ([], [last])


@given(sources, recipients())
def test_the_same_input_gives_the_same_plan(srcs: list[Source], rcpts: list[Recipient]) -> None:
    assert allocate(srcs, rcpts) == allocate(list(srcs), list(reversed(rcpts)))


def test_split_by_share_gives_leftover_cents_to_the_largest_remainders_then_lowest_id() -> None:
    thirds = [Recipient(3, 3333), Recipient(1, 3333), Recipient(2, 3334)]
    assert split_by_share(100, thirds) == {1: 33, 2: 34, 3: 33}
    # 1 cent: the largest remainder gets it; between equal remainders, the lowest id.
    assert split_by_share(1, [Recipient(5, 2500), Recipient(4, 2500), Recipient(9, 5000)]) == {4: 0, 5: 0, 9: 1}
    assert split_by_share(1, [Recipient(5, 5000), Recipient(4, 5000)]) == {4: 1, 5: 0}
    assert split_by_share(10_001, [Recipient(1, 5000), Recipient(2, 5000)]) == {1: 5001, 2: 5000}


def test_a_charity_below_its_minimum_is_skipped_and_its_share_waits() -> None:
    srcs = [Source(1, 30_000), Source(2, 50_000), Source(3, 20_000)]
    plan = allocate(srcs, [Recipient(1, 7000, 10_000), Recipient(2, 3000, 50_000)])
    assert [(d.charity_id, d.amount_cents) for d in plan.drafts] == [(1, 70_000)]
    assert plan.skipped[0].charity_id == 2 and plan.skipped[0].share_cents == 30_000
    assert plan.waiting_cents == 30_000
    # Charity 1 took credit 1 whole and 40,000 of credit 2: the boundary credit is the only one split.
    assert [(p.entry_id, p.cents) for p in plan.drafts[0].portions] == [(1, 30_000), (2, 40_000)]


def test_boundary_credit_is_split_between_two_charities() -> None:
    plan = allocate([Source(10, 600), Source(11, 600)], [Recipient(1, 5000), Recipient(2, 5000)])
    assert [[(p.entry_id, p.cents) for p in d.portions] for d in plan.drafts] == [[(10, 600)], [(11, 600)]]
    plan = allocate([Source(10, 500), Source(11, 700)], [Recipient(1, 5000), Recipient(2, 5000)])
    assert [[(p.entry_id, p.cents) for p in d.portions] for d in plan.drafts] == [[(10, 500), (11, 100)], [(11, 600)]]


def test_a_cap_limits_what_is_shared() -> None:
    plan = allocate([Source(1, 1000), Source(2, 1000)], [Recipient(1, 10_000)], cap_cents=1500)
    assert plan.donated_cents == 1500 and plan.waiting_cents == 500


def test_empty_pool_drafts_nothing() -> None:
    plan = allocate([], [Recipient(1, 10_000, 0)])
    assert plan.drafts == () and plan.waiting_cents == 0


def test_refuses_shares_that_do_not_add_up_and_duplicates() -> None:
    with pytest.raises(AllocationRefused, match="100 %"):
        allocate([Source(1, 100)], [Recipient(1, 6000), Recipient(2, 3000)])
    with pytest.raises(AllocationRefused, match="twice"):
        allocate([Source(1, 100)], [Recipient(1, 5000), Recipient(1, 5000)])
    with pytest.raises(AllocationRefused, match="nothing available"):
        allocate([Source(1, 0)], [Recipient(1, 10_000)])

"""Property tests: under any sequence of entries the balance equals their sum and never goes below zero."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from service.pool.ledger import EntryKind, LedgerRefused, next_balance

entries = st.lists(
    st.tuples(st.sampled_from(list(EntryKind)), st.integers(min_value=-10_000_000, max_value=10_000_000)),
    max_size=200,
)


@given(entries)
def test_balance_is_the_sum_of_accepted_entries_and_never_negative(sequence: list[tuple[EntryKind, int]]) -> None:
    balance, accepted = 0, []
    for kind, amount in sequence:
        try:
            balance = next_balance(balance, kind, amount)
        except LedgerRefused:
            continue
        accepted.append((kind, amount))
        assert balance >= 0
    assert balance == sum(amount for _, amount in accepted)
    assert all(a > 0 for k, a in accepted if k is EntryKind.credit)
    assert all(a < 0 for k, a in accepted if k is EntryKind.debit)


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=10**9))
def test_a_debit_larger_than_the_balance_is_refused(balance: int, extra: int) -> None:
    try:
        next_balance(balance, EntryKind.debit, -(balance + extra))
    except LedgerRefused as refused:
        assert "below zero" in str(refused)
    else:
        raise AssertionError("a debit beyond the balance was accepted")

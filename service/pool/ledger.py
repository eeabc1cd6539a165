"""The donation pool's rules. Pure code: what an entry may be, and what it does to the balance.

Entries are immutable and signed: a credit adds a device's accepted value, a debit takes an approved
donation out, an adjustment corrects with a reason, a reversal undoes a credit or a debit. The balance
is the sum of the entries and can never go below zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.choices import Choice
from service.i18n import N_, _
from service.money import format_cents


class EntryKind(Choice):
    credit = "credit", N_("Credit"), "green"
    debit = "debit", N_("Debit"), "blue"
    adjustment = "adjustment", N_("Adjustment"), "amber"
    reversal = "reversal", N_("Reversal"), "grey"


@dataclass(frozen=True)
class LedgerRefused(Exception):
    reason: str

    def __str__(self) -> str:
        return self.reason


def next_balance(balance_cents: int, kind: EntryKind, amount_cents: int) -> int:
    """The balance after one more entry, or LedgerRefused with a reason a person understands."""
    if amount_cents == 0:
        raise LedgerRefused(_("An entry of zero changes nothing; there is nothing to record."))
    if kind is EntryKind.credit and amount_cents < 0:
        raise LedgerRefused(_("A credit adds to the pool; its amount must be positive."))
    if kind is EntryKind.debit and amount_cents > 0:
        raise LedgerRefused(_("A debit takes from the pool; its amount must be negative."))
    balance = balance_cents + amount_cents
    if balance < 0:
        raise LedgerRefused(
            _(
                "This entry would take the pool below zero (balance {balance_cents}, "
                "entry {amount_cents})."
            ).format(balance_cents=format_cents(balance_cents), amount_cents=format_cents(amount_cents))
        )
    return balance

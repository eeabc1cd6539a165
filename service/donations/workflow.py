"""The donation's states, the steps between them, and the four-eyes rule. Pure code.

draft --submit--> submitted --approve--> approved --mark paid--> paid --charity acknowledges--> acknowledged
(draft | submitted) --reject(reason)--> rejected            (allocations released; nothing was debited)
approved --cancel(reason)--> cancelled                       (unpaid only: the debit is reversed)
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from service.choices import Choice
from service.i18n import N_, _, lazy_gettext


class DonationStatus(Choice):
    draft = "draft", N_("Draft"), "grey"
    submitted = "submitted", N_("Waiting for approval"), "amber"
    approved = "approved", N_("Approved, to be paid"), "blue"
    paid = "paid", N_("Paid"), "teal"
    acknowledged = "acknowledged", N_("Acknowledged"), "green"
    rejected = "rejected", N_("Rejected"), "red"
    cancelled = "cancelled", N_("Cancelled"), "red"


class Step(StrEnum):
    submit = "submit"
    approve = "approve"
    reject = "reject"
    mark_paid = "mark_paid"
    acknowledge = "acknowledge"
    cancel = "cancel"


S = DonationStatus
TRANSITIONS: dict[Step, tuple[frozenset[DonationStatus], DonationStatus]] = {
    Step.submit: (frozenset({S.draft}), S.submitted),
    Step.approve: (frozenset({S.submitted}), S.approved),
    Step.reject: (frozenset({S.draft, S.submitted}), S.rejected),
    Step.mark_paid: (frozenset({S.approved}), S.paid),
    Step.acknowledge: (frozenset({S.paid}), S.acknowledged),
    Step.cancel: (frozenset({S.approved}), S.cancelled),
}
# What a charity sees: its donations once approved (a cancelled one was approved first).
VISIBLE_TO_CHARITY = frozenset({S.approved, S.paid, S.acknowledged, S.cancelled})
# Given to the charity: counted in the year's totals, and a statement stands for it (and may be corrected).
GIVEN = frozenset({S.approved, S.paid, S.acknowledged})
# Allocations of these hold their credits but have not been debited yet.
RESERVING = frozenset({S.draft, S.submitted})

_STEP_WORDS = {
    Step.submit: lazy_gettext("submitted"),
    Step.approve: lazy_gettext("approved"),
    Step.reject: lazy_gettext("rejected"),
    Step.mark_paid: lazy_gettext("marked paid"),
    Step.acknowledge: lazy_gettext("acknowledged"),
    Step.cancel: lazy_gettext("cancelled"),
}


@dataclass(frozen=True)
class StepRefused(Exception):
    reason: str
    four_eyes: bool = False

    def __str__(self) -> str:
        return self.reason


def next_status(current: str, step: Step) -> DonationStatus:
    allowed, target = TRANSITIONS[step]
    status = DonationStatus(current)
    if status not in allowed:
        need = " or ".join(s.value for s in sorted(allowed))
        raise StepRefused(
            _("This donation is {status}; it can be {step} only when it is {need}.").format(
                status=status.value, step=_STEP_WORDS[step], need=need
            )
        )
    return target


def approvals_needed(amount_cents: int, two_approvers_above_cents: int) -> int:
    """Above the threshold two different finance users approve (the amount itself still needs one)."""
    return 2 if amount_cents > two_approvers_above_cents else 1


def check_approver(approver_id: int | None, submitter_id: int | None, earlier_approver_ids: Collection[int]) -> None:
    """Four eyes: the approver is a person, never the submitter, and never approves the same donation twice."""
    if approver_id is None:
        raise StepRefused(_("Only a signed-in finance user can approve a donation."), four_eyes=True)
    if approver_id == submitter_id:
        raise StepRefused(
            _("You submitted this donation, so you cannot approve it: another finance user must (four eyes)."),
            four_eyes=True,
        )
    if approver_id in earlier_approver_ids:
        raise StepRefused(
            _("You have already approved this donation; its amount needs a second, different finance user."),
            four_eyes=True,
        )

"""What an audit covers and how a scan is judged. Pure code: plain values in, plain values out.

A scope is a kind and a value. Devices carry a free-text location, so "location" compares names trimmed and
without regard to case. A company scope (once devices belong to companies) is one more kind here and one more clause in
repository.in_scope_clause; the scans, the report and the pages need no change.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.devices.lifecycle import DeviceStatus, IllegalMove, Move, allowed_moves, next_status
from service.i18n import gettext as _

SCOPE_KINDS = ("location", "company")
AUDIT_STATUSES = ("open", "closed")
SCAN_OUTCOMES = ("found", "misplaced", "unknown")
# Devices that have left the organisation are not expected on a shelf.
NOT_EXPECTED = frozenset({DeviceStatus.disposed.value, DeviceStatus.lost.value})
MAX_TERM = 128
# The statuses the lifecycle table lets be reported lost (read from it, so the two never disagree).
LOSABLE = tuple(s.value for s in DeviceStatus if Move.report_lost in allowed_moves(s))


def key_of(text: str) -> str:
    # The same as the database's lower(trim(...)) (repository.in_scope_clause), so a scan's verdict and the
    # expected list never disagree. SQLite lowers ASCII letters only: "Émmen" and "émmen" count as two places.
    return text.strip().lower()


@dataclass(frozen=True)
class AuditScope:
    """What an audit counts: one company's devices at a location (kind "location"), or all of them ("company",
    whose value is the company's name)."""

    kind: str
    value: str
    company_id: int = 1

    def holds(self, device_location: str, device_company_id: int | None = None) -> bool:
        if device_company_id is not None and device_company_id != self.company_id:
            return False
        return self.kind == "company" or key_of(device_location) == key_of(self.value)


def clean_term(text: str) -> str:
    """A scanned or typed tag: surrounding space (a scanner's suffix, a pasted line) removed."""
    return text.strip()


def outcome_of(scope: AuditScope, device_location: str | None, device_company_id: int | None = None) -> str:
    """A device of another company is misplaced too: this count does not expect it."""
    if device_location is None:
        return "unknown"
    return "found" if scope.holds(device_location, device_company_id) else "misplaced"


def why_not_lost(status: str) -> str | None:
    """None when the lifecycle lets a device of this status be reported lost; else the reason, for the page."""
    try:
        next_status(DeviceStatus(status), Move.report_lost, has_holder=False)
    except IllegalMove as exc:
        allowed = ", ".join(m.value for m in exc.allowed) or _("none")
        return _("A device that is {status} cannot be reported lost (moves allowed now: {allowed}).").format(
            status=status, allowed=allowed
        )
    return None

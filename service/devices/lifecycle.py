"""The device lifecycle: every state, every move, in one table (DESIGN.md, "The device's life").

Pure code: no web or database imports. Services ask ``next_status``; nothing else decides a move.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.choices import Choice
from service.i18n import N_, gettext


class DeviceStatus(Choice):
    in_stock = "in_stock", N_("In stock"), "blue"
    in_use = "in_use", N_("In use"), "green"
    in_repair = "in_repair", N_("In repair"), "amber"
    retired = "retired", N_("Retired"), "grey"
    wiped = "wiped", N_("Wiped"), "purple"
    valued = "valued", N_("Valued"), "teal"
    disposed = "disposed", N_("Disposed"), "grey"
    lost = "lost", N_("Lost"), "red"


class Move(StrEnum):
    register = "register"
    assign = "assign"
    unassign = "unassign"
    repair = "repair"
    return_from_repair = "return"
    retire = "retire"
    wipe = "wipe"
    value = "value"
    dispose = "dispose"
    report_lost = "lost"


S = DeviceStatus
_IN_SERVICE = frozenset({S.in_stock, S.in_use, S.in_repair})

# from-states for each move; the target is below (``return`` depends on whether there is a holder).
_ALLOWED_FROM: dict[Move, frozenset[DeviceStatus]] = {
    Move.assign: frozenset({S.in_stock}),
    Move.unassign: frozenset({S.in_use}),
    Move.repair: frozenset({S.in_stock, S.in_use}),
    Move.return_from_repair: frozenset({S.in_repair}),
    Move.retire: _IN_SERVICE,
    # wipe is automatic (the last required certificate verified); value and dispose are finance's.
    Move.wipe: frozenset({S.retired}),
    Move.value: frozenset({S.wiped}),
    Move.dispose: frozenset({S.valued}),
    Move.report_lost: _IN_SERVICE,
}

_TARGET: dict[Move, DeviceStatus] = {
    Move.assign: S.in_use,
    Move.unassign: S.in_stock,
    Move.repair: S.in_repair,
    Move.retire: S.retired,
    Move.wipe: S.wiped,
    Move.value: S.valued,
    Move.dispose: S.disposed,
    Move.report_lost: S.lost,
}

# Moves after which the device has no holder any more.
RELEASES_HOLDER = frozenset({Move.unassign, Move.retire, Move.report_lost})


@dataclass(frozen=True)
class IllegalMove(Exception):
    current: DeviceStatus
    move: Move
    allowed: tuple[Move, ...]

    def __str__(self) -> str:
        allowed = ", ".join(m.value for m in self.allowed) or gettext("none")
        return gettext("A device that is {status} cannot {move}; allowed now: {allowed}.").format(
            status=self.current.value, move=self.move.value, allowed=allowed
        )


def allowed_moves(current: DeviceStatus) -> tuple[Move, ...]:
    return tuple(move for move, sources in _ALLOWED_FROM.items() if current in sources)


def next_status(current: DeviceStatus, move: Move, *, has_holder: bool) -> DeviceStatus:
    if current not in _ALLOWED_FROM.get(move, frozenset()):
        raise IllegalMove(current, move, allowed_moves(current))
    if move is Move.return_from_repair:
        return S.in_use if has_holder else S.in_stock
    return _TARGET[move]


def is_in_service(status: DeviceStatus) -> bool:
    return status in _IN_SERVICE

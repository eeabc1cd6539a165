"""Which lifecycle moves take a device from where it is to where an imported row says it is. Pure code.

Every step is checked against the one transition table (service/devices/lifecycle.py), so an import can do
nothing a person at the helpdesk could not: a retired device never comes back, a device in repair keeps its
holder until it returns. A holder is anything comparable: an employee id, or one the import is about to create.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable
from dataclasses import dataclass

from service.devices.lifecycle import RELEASES_HOLDER, DeviceStatus, IllegalMove, Move, next_status
from service.i18n import gettext
from service.imports.rows import LEFT_SERVICE, NEVER_IMPORTED

Holder = Hashable | None


@dataclass(frozen=True, slots=True)
class DeviceState:
    status: str
    holder: Holder = None


@dataclass(frozen=True, slots=True)
class PlannedMove:
    move: Move
    from_status: str
    to_status: str
    holder: Holder  # on the event: the new holder for an assign, else whoever held the device


class MoveRefused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


REGISTERED = DeviceState("in_stock", None)


def desired_state(
    current: DeviceState | None, requested: str | None, holder_given: bool, holder: Holder
) -> DeviceState:
    """Where the row puts the device. ``current`` is None for a device the import registers."""
    now = current or REGISTERED
    if requested in NEVER_IMPORTED and requested != now.status:
        raise MoveRefused(
            "status", f"an import never sets {requested}: that takes wipe certificates, a valuation or a disposal"
        )
    if now.status in NEVER_IMPORTED:
        return now  # past the wipe gate nothing moves; the caller refuses any other change
    target_holder = holder if holder_given else now.holder
    status = requested
    if status is None:
        if not holder_given or now.status in ("in_repair", *LEFT_SERVICE):
            status = now.status
        else:
            status = "in_use" if target_holder is not None else "in_stock"
    if status in LEFT_SERVICE:
        if holder_given and holder is not None:
            refusal = gettext("a {status} device has no holder; leave it blank").format(status=status)
            raise MoveRefused("holder", refusal)
        return DeviceState(status, None if status != now.status else now.holder)
    if status == "in_use" and target_holder is None:
        raise MoveRefused("holder", gettext("a device in use needs a holder; name one"))
    if status == "in_stock":
        target_holder = None  # the status asks for it back in stock: it is unassigned
    return DeviceState(status, target_holder)


@functools.cache
def _target(status: str, move: Move, has_holder: bool) -> str | IllegalMove:
    """The transition table's answer, looked up once per combination instead of once per row and move."""
    try:
        return next_status(DeviceStatus(status), move, has_holder=has_holder).value
    except IllegalMove as exc:
        return exc


def _step(moves: list[PlannedMove], state: DeviceState, move: Move, new_holder: Holder = None) -> DeviceState:
    target = _target(state.status, move, state.holder is not None)
    if isinstance(target, IllegalMove):
        raise MoveRefused("status", str(target)) from None
    if move is Move.assign:
        holder = new_holder
        moves.append(PlannedMove(move, state.status, target, new_holder))
    else:
        holder = None if move in RELEASES_HOLDER else state.holder
        moves.append(PlannedMove(move, state.status, target, state.holder))
    return DeviceState(target, holder)


def plan_moves(current: DeviceState, desired: DeviceState) -> list[PlannedMove]:
    """The moves from ``current`` to ``desired``, or MoveRefused saying why the table does not allow it."""
    if current == desired:
        return []
    if current.status in NEVER_IMPORTED:
        raise MoveRefused(
            "status",
            gettext("the device is {status}; an import never changes such a device").format(status=current.status),
        )
    if current.status in LEFT_SERVICE:
        if desired.status == current.status:
            return []  # its last holder stays on record; there is nothing to move
        raise MoveRefused(
            "status",
            gettext("the device is {status} and cannot become {desired}: it has left service").format(
                status=current.status, desired=desired.status
            ),
        )
    moves: list[PlannedMove] = []
    state = current
    if desired.status in LEFT_SERVICE:
        _step(moves, state, Move.retire if desired.status == "retired" else Move.report_lost)
        return moves
    if state.status == "in_repair":
        if desired.status == "in_repair":
            raise MoveRefused(
                "holder", gettext("a device in repair keeps its holder until it returns; import it as returned first")
            )
        state = _step(moves, state, Move.return_from_repair)
    if state.holder != desired.holder:
        if state.holder is not None:
            state = _step(moves, state, Move.unassign)
        if desired.holder is not None:
            state = _step(moves, state, Move.assign, desired.holder)
    if desired.status == "in_repair":
        state = _step(moves, state, Move.repair)
    if state != desired:  # pragma: no cover - the steps above reach every state desired_state returns
        raise MoveRefused(
            "status",
            gettext("no sequence of moves leads from {status} to {desired}").format(
                status=current.status, desired=desired.status
            ),
        )
    return moves

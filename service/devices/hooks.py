"""What the features built on devices do when a device is registered or moves, without devices importing them.

Devices is the lower layer: faults, wipes and valuation call ``move_device`` and ``get_device``. What they must
do in the same transaction when a device changes (the wipe gate refuses a move past retired, a new device gets
its model's storage media, a move opens or closes repairs and faults) they subscribe here, once, in
``service.bootstrap.wire_features``, which every entry point runs: create_app, the kringloop command, the tests'
conftest and the benchmarks. A device registered or moved before that fails with ``DeviceHooksMissing`` instead
of skipping the subscribers silently: a move that left its faults open would be a quiet data error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from service.context import Actor
from service.device_models.models import DeviceModel
from service.devices.lifecycle import DeviceStatus
from service.devices.models import Device, DeviceEvent

# Before a move of the device (by id) into ``target``, nothing changed yet: raise a DomainError to refuse it.
BeforeMove = Callable[[AsyncSession, int, DeviceStatus], Awaitable[None]]
# After a new device and its register event are flushed, before it goes to a holder.
Registered = Callable[[AsyncSession, Actor, Device, DeviceModel], Awaitable[None]]
# After a move: the device changed and its event is flushed.
Moved = Callable[[AsyncSession, Actor, Device, DeviceEvent], Awaitable[None]]


@dataclass(frozen=True)
class DeviceHooks:
    before_move: tuple[BeforeMove, ...] = ()
    registered: tuple[Registered, ...] = ()
    moved: tuple[Moved, ...] = ()


class DeviceHooksMissing(RuntimeError):
    """A device was registered or moved in a process that never wired the features' hooks."""


# One slot, replaced whole by install: wiring twice (an app and a command in one process) changes nothing.
_installed: list[DeviceHooks] = []


def install(hooks: DeviceHooks) -> None:
    _installed[:] = [hooks]


def installed() -> DeviceHooks:
    if not _installed:
        raise DeviceHooksMissing(
            "No feature is subscribed to device registrations and moves: call service.bootstrap.wire_features() "
            "at start-up, as create_app and the kringloop command do."
        )
    return _installed[0]


async def before_move(session: AsyncSession, device_id: int, target: DeviceStatus) -> None:
    for hook in installed().before_move:
        await hook(session, device_id, target)


async def registered(session: AsyncSession, actor: Actor, device: Device, model: DeviceModel) -> None:
    for hook in installed().registered:
        await hook(session, actor, device, model)


async def moved(session: AsyncSession, actor: Actor, device: Device, event: DeviceEvent) -> None:
    for hook in installed().moved:
        await hook(session, actor, device, event)

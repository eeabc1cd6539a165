"""The features built on devices follow its registrations and moves through hooks wired at start-up: every entry
point wires them, and a process that did not refuses to change a device instead of skipping them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from service.bootstrap import wire_features
from service.context import Actor
from service.db import session_scope
from service.devices import hooks
from service.devices.lifecycle import Move
from service.devices.service import get_device, move_device
from service.faults.service import follow_device_move
from service.wipes.gate import gate_move
from service.wipes.service import seed_media_from_model
from tests.conftest import make_settings
from tests.integration.conftest import Api, seed_device, seed_model

WIRED = hooks.DeviceHooks(before_move=(gate_move,), registered=(seed_media_from_model,), moved=(follow_device_move,))


@pytest.fixture
def unwired(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process in which nothing has wired the hooks yet (the tests' conftest wires them for everything else)."""
    monkeypatch.setattr(hooks, "_installed", [])


def test_wiring_subscribes_faults_and_wipes_once(unwired: None) -> None:
    with pytest.raises(hooks.DeviceHooksMissing, match="wire_features"):
        hooks.installed()
    wire_features()
    wire_features()  # again, as when an app starts inside a command: still one subscription each
    assert hooks.installed() == WIRED


def test_create_app_wires_the_hooks(unwired: None, tmp_path: Path) -> None:
    from service.app import create_app

    create_app(make_settings(f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
    assert hooks.installed() == WIRED


def test_every_command_wires_the_hooks(unwired: None) -> None:
    from service.cli import main

    # The group wires before the subcommand reads its arguments: a refused argument still comes after it.
    result = CliRunner().invoke(main, ["import", "devices", "/nonexistent/devices.csv"])
    assert result.exit_code == 2, result.output
    assert hooks.installed() == WIRED


async def test_an_unwired_process_refuses_to_move_a_device(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    monkeypatch.setattr(hooks, "_installed", [])
    with pytest.raises(hooks.DeviceHooksMissing):
        async with session_scope(api.app.state.sessionmaker) as session:
            await move_device(session, Actor("helpdesk"), device["id"], Move.retire, reason="Broken screen")
    async with session_scope(api.app.state.sessionmaker) as session:
        assert (await get_device(session, device["id"])).status == "in_stock"


async def test_a_device_service_called_directly_runs_the_subscribers(api: Api) -> None:
    """As a job or the CLI calls it: the media come from the model, and the wipe gate refuses a move past retired."""
    from service.errors import Conflict
    from service.wipes import repository as wipes

    model = await seed_model(api, storage_media_count=2, storage_media_type="ssd")
    device = await seed_device(api, model["id"])
    async with session_scope(api.app.state.sessionmaker) as session:
        assert [m.media_type for m in await wipes.all_media(session, device["id"])] == ["ssd", "ssd"]
        await move_device(session, Actor("helpdesk"), device["id"], Move.retire, reason="Broken screen")
    with pytest.raises(Conflict, match="wipe"):
        async with session_scope(api.app.state.sessionmaker) as session:
            await move_device(session, Actor("helpdesk"), device["id"], Move.wipe)

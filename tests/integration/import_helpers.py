"""Shared by the device import and export tests: a fleet to move, run an import, read what it wrote."""

from __future__ import annotations

import io
import json
from typing import Any

import sqlalchemy as sa

from service.context import Actor
from service.imports.service import ImportOptions, ImportSummary, RowOutcome, run_import
from service.settings import Settings
from tests.integration.conftest import Api, seed_device, seed_employee, seed_model

HEADER = "asset_tag,serial_number,manufacturer,model,category,purchase_date,purchase_price"
TABLES = (
    "devices", "device_events", "audit_records", "compensation_obligations", "employees", "device_models",
    "storage_media", "repairs", "faults",
)  # fmt: skip


def csv_text(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()


async def run(
    api: Api, settings: Settings, data: bytes, actor: Actor | None = None, **options: Any
) -> tuple[ImportSummary, list[RowOutcome]]:
    outcomes: list[RowOutcome] = []
    summary = await run_import(
        api.app.state.sessionmaker, settings, actor or Actor.cli("test"), io.BytesIO(data), ImportOptions(**options),
        on_row=outcomes.append,
    )  # fmt: skip
    return summary, outcomes


def by_row(outcomes: list[RowOutcome]) -> dict[int, RowOutcome]:
    return {o.row: o for o in outcomes}


def errors_of(outcome: RowOutcome) -> dict[str, str]:
    return {e.field: e.message for e in outcome.errors}


def json_column(value: Any) -> dict[str, Any]:
    """A JSON column as read through a plain connection (a dict on PostgreSQL, text on SQLite)."""
    return json.loads(value) if isinstance(value, str) else value


async def rows(api: Api, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with api.app.state.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(sa.text(sql), params)]


async def snapshot(api: Api) -> dict[str, Any]:
    """Every table an import writes, counted, plus the devices themselves and the audit chain's head."""
    counts = {t: (await rows(api, f"SELECT count(*) AS n FROM {t}"))[0]["n"] for t in TABLES}
    return {
        "counts": counts,
        "devices": await rows(api, "SELECT * FROM devices ORDER BY id"),
        "head": await rows(api, "SELECT seq, hash FROM audit_chain_head"),
    }


async def device(api: Api, asset_tag: str) -> dict[str, Any]:
    found = await rows(api, "SELECT * FROM devices WHERE asset_tag = :t", t=asset_tag)
    assert found, f"no device {asset_tag}"
    return found[0]


async def seed_fleet(api: Api) -> dict[str, Any]:
    """One device in each state an import can express, with the awkward values real registers have: an assigned
    laptop, a stock phone with formula-like text, one known by its asset tag alone, a device in repair with its
    holder, a retired one without an asset tag and a lost one."""
    laptop = await seed_model(api)
    phone = await seed_model(api, manufacturer="Fairphone", name="Fairphone 5", category="phone")
    sanne = await seed_employee(api)
    joost = await seed_employee(api, "Joost Müller", email="Joost.Muller@Example.nl")
    used = await seed_device(
        api, laptop["id"], holder_id=sanne["id"], purchase_price="1249.5", supplier="Bechtle; Utrecht",
        order_ref="PO-77", warranty_end="2027-03-01", location='Utrecht, "De Kroon" 3rd floor', condition_grade="B",
        notes='Dock "USB-C"\nkeyboard: US-International, ß and é',
    )  # fmt: skip
    stock = await seed_device(
        api, phone["id"], asset_tag='=HYPERLINK("http://x")', serial_number="-SN-2", purchase_date="2022-12-31",
        purchase_price="0.99", notes="'quoted already", location="@desk",
    )  # fmt: skip
    tag_only = await seed_device(api, phone["id"], asset_tag="KL-TAG-ONLY", serial_number=None, purchase_price="519.00")
    repair = await seed_device(api, laptop["id"], asset_tag="KL-3", serial_number="SN-3", holder_id=joost["id"])
    moved = await api.post(
        "helpdesk", f"/api/v1/devices/{repair['id']}/repair", {"supplier": "Dell", "expected_cost": "80.00"}
    )
    assert moved.status_code == 200, moved.text
    gone: dict[str, Any] = {}
    for name, serial, move in (("retired", "SN-4", "retire"), ("lost", "SN-5", "lost")):
        tag = None if name == "retired" else f"KL-{serial}"
        gone[name] = await seed_device(api, phone["id"], asset_tag=tag, serial_number=serial, holder_id=sanne["id"])
        moved = await api.post("helpdesk", f"/api/v1/devices/{gone[name]['id']}/{move}", {"reason": "gone"})
        assert moved.status_code == 200, moved.text
    return {
        "used": used,
        "stock": stock,
        "tag_only": tag_only,
        "repair": repair,
        **gone,
        "sanne": sanne,
        "joost": joost,
    }

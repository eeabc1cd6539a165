"""Shared by the device import tests: run an import, read what it wrote."""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa

from service.context import Actor
from service.imports.service import ImportOptions, ImportSummary, RowOutcome, run_import
from service.settings import Settings
from tests.integration.conftest import Api

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

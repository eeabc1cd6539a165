"""A device's purchase date or model corrected after it owed a one-for-one compensation: the obligation follows
while it is pending, and stays once the partner has it. Through the API and through a re-import."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service.settings import Settings
from tests.integration.conftest import Api, seed_device, seed_model
from tests.integration.import_helpers import HEADER, csv_text, json_column, rows, run


async def _obligations(api: Api) -> list[tuple[Any, ...]]:
    found = await rows(
        api, "SELECT device_id, category, weight_grams, purchase_date, status FROM compensation_obligations"
    )
    return [(o["device_id"], o["category"], o["weight_grams"], str(o["purchase_date"]), o["status"]) for o in found]


async def _settle_records(api: Api) -> list[dict[str, Any]]:
    found = await rows(
        api, "SELECT after FROM audit_records WHERE action = 'compensation_obligation.settle' ORDER BY seq"
    )
    return [json_column(r["after"]) for r in found]


async def test_a_pending_obligation_follows_corrections_of_its_device(api: Api) -> None:
    laptop = await seed_model(api)
    phone = await seed_model(api, manufacturer="Fairphone", name="5", category="phone", weight_grams=None)
    device = await seed_device(api, laptop["id"], purchase_date="2024-03-01")
    url = f"/api/v1/devices/{device['id']}"
    assert await _obligations(api) == [(device["id"], "laptop", 1590, "2024-03-01", "pending")]

    # Bought before the policy started after all: it owes nothing.
    response = await api.patch("helpdesk", url, {"version": 1, "purchase_date": "2022-06-01"})
    assert response.status_code == 200, response.text
    assert await _obligations(api) == []
    # Back to the right date, then the right model: owed again, as a phone.
    await api.patch("helpdesk", url, {"version": 2, "purchase_date": "2024-03-01"})
    await api.patch("helpdesk", url, {"version": 3, "model_id": phone["id"]})
    assert await _obligations(api) == [(device["id"], "phone", 170, "2024-03-01", "pending")]
    settled = await _settle_records(api)
    assert [sorted(r) for r in settled] == [["removed"], ["created"], ["updated"]]
    assert settled[0]["removed"][0]["weight_grams"] == 1590  # the audit keeps what was removed
    assert (settled[2]["updated"][0]["before"]["category"], settled[2]["updated"][0]["after"]) == (
        "laptop", {"category": "phone", "purchase_date": "2024-03-01", "weight_grams": 170}
    )  # fmt: skip
    # A correction that does not touch date or model leaves obligations (and their audit) alone.
    await api.patch("helpdesk", url, {"version": 4, "location": "Delft"})
    assert len(await _settle_records(api)) == 3


async def test_an_obligation_the_partner_has_stays(api: Api) -> None:
    laptop = await seed_model(api)
    device = await seed_device(api, laptop["id"], purchase_date="2024-03-01")
    async with api.app.state.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE compensation_obligations SET status = 'batched'"))
    response = await api.patch(
        "helpdesk", f"/api/v1/devices/{device['id']}", {"version": 1, "purchase_date": "2022-06-01"}
    )
    assert response.status_code == 200
    assert await _obligations(api) == [(device["id"], "laptop", 1590, "2024-03-01", "batched")]
    assert await _settle_records(api) == []


async def test_a_reimport_with_a_corrected_date_settles_the_obligation(api: Api, settings: Settings) -> None:
    line = "KL-1,SN1,Dell,Latitude 5440,laptop,{},1249.00"
    summary, _ = await run(api, settings, csv_text(line.format("2024-03-01"), header=HEADER))
    assert summary.created == 1 and len(await _obligations(api)) == 1
    summary, _ = await run(api, settings, csv_text(line.format("2022-06-01"), header=HEADER))
    assert summary.updated == 1 and await _obligations(api) == []
    (device,) = await rows(api, "SELECT id FROM devices")
    (record,) = await rows(
        api, "SELECT after FROM audit_records WHERE action = 'device.import' ORDER BY seq DESC LIMIT 1"
    )
    (removed,) = json_column(record["after"])["obligations_removed"]
    assert (removed["device_id"], removed["category"]) == (device["id"], "laptop")


async def test_correcting_a_model_settles_its_devices_obligations(api: Api) -> None:
    model = await seed_model(api, name="Surface", category="tablet", weight_grams=800)
    first = await seed_device(api, model["id"], asset_tag="T-1", serial_number="T1", purchase_date="2024-03-01")
    await seed_device(api, model["id"], asset_tag="T-2", serial_number="T2", purchase_date="2022-03-01")
    assert await _obligations(api) == [(first["id"], "tablet", 800, "2024-03-01", "pending")]
    url = f"/api/v1/device-models/{model['id']}"
    response = await api.patch("admin", url, {"version": 1, "weight_grams": 900})
    assert response.status_code == 200, response.text
    assert await _obligations(api) == [(first["id"], "tablet", 900, "2024-03-01", "pending")]
    await api.patch("admin", url, {"version": 2, "category": "monitor"})  # monitors owe none
    assert await _obligations(api) == []
    assert [sorted(r) for r in await _settle_records(api)] == [["updated"], ["removed"]]

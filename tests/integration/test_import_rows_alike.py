"""One import, the same rows on both databases: PostgreSQL makes a chunk's rows ahead and COPYs them
(service/imports/prepare.py), SQLite writes them with INSERT ... SELECT (writer.py). Both must give what one device
at a time would: the same rows, ids in the same order, and an audit record that lists exactly what was written.
The expectation below is one literal, so a difference on either database fails it."""

from __future__ import annotations

from typing import Any

from service.audit.service import verify_chain
from service.db import session_scope
from service.settings import Settings
from tests.integration.conftest import Api, seed_employee, seed_model
from tests.integration.import_helpers import HEADER, csv_text, json_column, rows, run

# Chunks of two: the second row's new employee is used again in the next chunk, the new model across chunks.
FILE = csv_text(
    "KL-1,SN1,Dell,Latitude 5440,laptop,2024-03-01,1000,in_use,new.person@example.nl,New Person",
    "KL-2,SN2,Dell,P2422H,monitor,2024-03-01,200,in_stock,,",
    "KL-3,SN3,Fairphone,Fairphone 5,phone,2024-05-01,600,in_repair,new.person@example.nl,New Person",
    "KL-4,SN4,Dell,Latitude 5440,laptop,2022-12-31,900,retired,,",
    "KL-5,SN5,Fairphone,Fairphone 5,phone,2024-06-01,600,in_use,sanne.de.jong@example.nl,",
    header=f"{HEADER},status,holder_email,holder_name",
)


def _ranks(values: list[int]) -> dict[int, int]:
    """Ids as their place among the table's ids (1, 2, ...): the databases' sequences may start elsewhere."""
    return {value: n for n, value in enumerate(sorted(values), start=1)}


async def _written(api: Api) -> dict[str, Any]:
    devices = await rows(api, "SELECT id, asset_tag, status, holder_id, model_id FROM devices ORDER BY id")
    employees = await rows(api, "SELECT id, email FROM employees ORDER BY id")
    models = await rows(api, "SELECT id, name, storage_media_count, weight_grams FROM device_models ORDER BY id")
    events = await rows(api, "SELECT id, device_id, move, from_status, to_status, holder_id FROM device_events")
    media = await rows(api, "SELECT id, device_id, media_type, source FROM storage_media")
    owed = await rows(api, "SELECT id, device_id, category, weight_grams, purchase_date FROM "
                           "compensation_obligations")  # fmt: skip
    repairs = await rows(api, "SELECT id, device_id, sent_event_id, reason FROM repairs")
    e, m = _ranks([r["id"] for r in employees]), _ranks([r["id"] for r in models])
    ev, me, ob = _ranks([r["id"] for r in events]), _ranks([r["id"] for r in media]), _ranks([r["id"] for r in owed])
    rp = _ranks([r["id"] for r in repairs])
    tag = {r["id"]: r["asset_tag"] for r in devices}
    written = {
        "devices": [(r["asset_tag"], r["status"], e.get(r["holder_id"]), m[r["model_id"]]) for r in devices],
        "employees": [r["email"] for r in employees],
        "models": [(r["name"], r["storage_media_count"], r["weight_grams"]) for r in models],
        "events": sorted(
            (ev[r["id"]], tag[r["device_id"]], r["move"], r["from_status"], r["to_status"], e.get(r["holder_id"]))
            for r in events
        ),
        "media": sorted((me[r["id"]], tag[r["device_id"]], r["media_type"], r["source"]) for r in media),
        "obligations": sorted(
            (ob[r["id"]], tag[r["device_id"]], r["category"], r["weight_grams"], str(r["purchase_date"]))
            for r in owed
        ),
        "repairs": sorted((rp[r["id"]], tag[r["device_id"]], ev[r["sent_event_id"]], r["reason"]) for r in repairs),
    }
    # What the chunks' audit records say they wrote, in the same ranks.
    records = await rows(api, "SELECT after FROM audit_records WHERE action = 'device.import' ORDER BY seq")
    said: dict[str, list[Any]] = {}
    for record in records:
        after = json_column(record["after"])
        columns = after.get("created", {}).get("columns", [])
        for line in after.get("created", {}).get("values", []):
            said.setdefault("created", []).append((line[columns.index("row")], tag[line[columns.index("id")]]))
        for medium, device in after.get("storage_media_seeded", []):
            said.setdefault("media", []).append((me[medium], tag[device]))
        for obligation, device in after.get("obligations_created", []):
            said.setdefault("obligations", []).append((ob[obligation], tag[device]))
        said.setdefault("repairs", []).extend(rp[r] for r in after.get("repairs_created", []))
        said.setdefault("employees", []).extend(x["email"] for x in after.get("employees_created", []))
        said.setdefault("models", []).extend(x["name"] for x in after.get("device_models_created", []))
        said.setdefault("moves", []).extend((tag[x["id"]], x["moves"]) for x in after.get("moves_of_created", []))
    written["audit"] = said
    return written


async def test_an_import_writes_the_same_rows_and_record_on_both_databases(api: Api, settings: Settings) -> None:
    await seed_model(api)  # Dell Latitude 5440, 1590 g, one SSD: known to the import
    await seed_employee(api)  # sanne.de.jong@example.nl
    summary, outcomes = await run(api, settings, FILE, chunk_size=2)
    assert (summary.created, summary.errors) == (5, 0), outcomes
    assert await _written(api) == {
        "devices": [("KL-1", "in_use", 2, 1), ("KL-2", "in_stock", None, 2), ("KL-3", "in_repair", 2, 3),
                    ("KL-4", "retired", None, 1), ("KL-5", "in_use", 1, 3)],
        "employees": ["sanne.de.jong@example.nl", "new.person@example.nl"],
        "models": [("Latitude 5440", 1, 1590), ("P2422H", 0, None), ("Fairphone 5", 1, None)],
        "events": [
            (1, "KL-1", "register", None, "in_stock", None), (2, "KL-2", "register", None, "in_stock", None),
            (3, "KL-1", "assign", "in_stock", "in_use", 2),
            (4, "KL-3", "register", None, "in_stock", None), (5, "KL-4", "register", None, "in_stock", None),
            (6, "KL-3", "assign", "in_stock", "in_use", 2), (7, "KL-4", "retire", "in_stock", "retired", None),
            (8, "KL-3", "repair", "in_use", "in_repair", 2),
            (9, "KL-5", "register", None, "in_stock", None), (10, "KL-5", "assign", "in_stock", "in_use", 1),
        ],
        "media": [(1, "KL-1", "ssd", "model"), (2, "KL-3", "phone_memory", "model"), (3, "KL-4", "ssd", "model"),
                  (4, "KL-5", "phone_memory", "model")],
        # The known model's own weight; the new phone model has none, so the phone default (170 g). KL-4 was
        # bought before the one-for-one start, the monitor is not a compensated category.
        "obligations": [(1, "KL-1", "laptop", 1590, "2024-03-01"), (2, "KL-3", "phone", 170, "2024-05-01"),
                        (3, "KL-5", "phone", 170, "2024-06-01")],
        "repairs": [(1, "KL-3", 8, "imported")],
        "audit": {
            "created": [(2, "KL-1"), (3, "KL-2"), (4, "KL-3"), (5, "KL-4"), (6, "KL-5")],
            "media": [(1, "KL-1"), (2, "KL-3"), (3, "KL-4"), (4, "KL-5")],
            "obligations": [(1, "KL-1"), (2, "KL-3"), (3, "KL-5")],
            "repairs": [1],
            "employees": ["new.person@example.nl"],
            "models": ["P2422H", "Fairphone 5"],
            "moves": [("KL-1", ["assign"]), ("KL-3", ["assign", "repair"]), ("KL-4", ["retire"]),
                      ("KL-5", ["assign"])],
        },
    }  # fmt: skip
    async with session_scope(api.app.state.sessionmaker) as session:
        assert (await verify_chain(session)).ok

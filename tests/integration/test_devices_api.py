"""Registering devices and moving them through their life, over the HTTP API, on both databases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.integration.conftest import Api, count, device_body, seed_device, seed_employee, seed_model


async def test_register_device_returns_api_field_names(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"], purchase_price="1249.5")
    for field in ("id", "asset_tag", "serial_number", "manufacturer", "model_id", "category", "purchase_date",
                  "purchase_price", "holder_id", "location", "condition_grade", "status", "replaces_id", "version"):
        assert field in device
    assert device["purchase_price"] == "1249.50"
    assert (device["status"], device["manufacturer"], device["category"], device["version"]) == (
        "in_stock", "Dell", "laptop", 1)
    got = await api.get("auditor", f"/api/v1/devices/{device['id']}")
    assert got.status_code == 200 and got.json() == device
    events = (await api.get("helpdesk", f"/api/v1/devices/{device['id']}/events")).json()["items"]
    assert [(e["move"], e["to_status"], e["actor"]) for e in events] == [("register", "in_stock", "helpdesk")]


async def test_register_with_holder_assigns_at_once(api: Api) -> None:
    model, employee = await seed_model(api), await seed_employee(api)
    device = await seed_device(api, model["id"], holder_id=employee["id"])
    assert device["status"] == "in_use" and device["holder_name"] == employee["name"]


BAD_BODIES = [
    ({"colour": "red"}, "colour"),
    ({"purchase_price": 1249.0}, "purchase_price"),
    ({"purchase_price": "-5.00"}, "purchase_price"),
    ({"purchase_price": "1,249.00"}, "purchase_price"),
    ({"purchase_price": "12.345"}, "purchase_price"),
    ({"purchase_price": "5000000.00"}, "purchase_price"),
    ({"purchase_date": (date.today() + timedelta(days=3)).isoformat()}, "purchase_date"),
    ({"purchase_date": "yesterday"}, "purchase_date"),
    ({"model_id": 99999}, "model_id"),
    ({"model_id": "one"}, "model_id"),
    ({"holder_id": 99999}, "holder_id"),
    ({"asset_tag": None, "serial_number": None}, "asset_tag"),
    ({"condition_grade": "E"}, "condition_grade"),
    ({"warranty_end": "2020-01-01"}, "warranty_end"),
]


@pytest.mark.parametrize("change,field", BAD_BODIES, ids=[f for _, f in BAD_BODIES])
async def test_bad_input_is_a_problem_naming_the_field_and_writes_nothing(
    api: Api, change: dict[str, object], field: str
) -> None:
    model = await seed_model(api)
    before = (await count(api.app, "devices"), await count(api.app, "audit_records"))
    response = await api.post("helpdesk", "/api/v1/devices", {**device_body(model["id"]), **change})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] and problem["detail"]
    assert field in [e["field"] for e in problem["errors"]], problem
    assert (await count(api.app, "devices"), await count(api.app, "audit_records")) == before


async def test_duplicates_are_conflicts(api: Api) -> None:
    dell = await seed_model(api)
    hp = await seed_model(api, manufacturer="HP", name="EliteBook 840")
    await seed_device(api, dell["id"])
    same_tag = await api.post("helpdesk", "/api/v1/devices", device_body(dell["id"], serial_number="OTHER"))
    assert same_tag.status_code == 409 and same_tag.json()["errors"][0]["field"] == "asset_tag"
    same_serial = await api.post("helpdesk", "/api/v1/devices", device_body(dell["id"], asset_tag="KL-2"))
    assert same_serial.status_code == 409 and same_serial.json()["errors"][0]["field"] == "serial_number"
    # Serials are unique per manufacturer, not globally.
    other_maker = await api.post("helpdesk", "/api/v1/devices", device_body(hp["id"], asset_tag="KL-3"))
    assert other_maker.status_code == 201


async def test_oversized_body_is_refused(api: Api) -> None:
    model = await seed_model(api)
    body = device_body(model["id"], notes="x" * (2 * 1024 * 1024))
    response = await api.post("helpdesk", "/api/v1/devices", body)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await count(api.app, "devices") == 0


async def test_lifecycle_moves_and_events(api: Api) -> None:
    model, alice = await seed_model(api), await seed_employee(api, "Alice Visser")
    device_id = (await seed_device(api, model["id"]))["id"]
    url = f"/api/v1/devices/{device_id}"

    moved = await api.post("helpdesk", f"{url}/assign", {"employee_id": alice["id"]})
    assert moved.status_code == 200 and moved.json()["status"] == "in_use"
    assert moved.json()["holder_id"] == alice["id"]
    # In repair the device keeps its holder, and comes back to them.
    repair = await api.post("helpdesk", f"{url}/repair", {"supplier": "FixIt", "expected_cost": "120.00"})
    assert repair.json()["status"] == "in_repair" and repair.json()["holder_id"] == alice["id"]
    back = await api.post("helpdesk", f"{url}/return", {"cost": "99.95", "outcome": "repaired"})
    assert back.json()["status"] == "in_use"
    unassigned = await api.post("helpdesk", f"{url}/unassign", {})
    assert unassigned.json()["status"] == "in_stock" and unassigned.json()["holder_id"] is None
    await api.post("helpdesk", f"{url}/repair", {"supplier": "FixIt"})
    back = await api.post("helpdesk", f"{url}/return", {"outcome": "no_fault_found"})
    assert back.json()["status"] == "in_stock"
    await api.post("helpdesk", f"{url}/assign", {"employee_id": alice["id"]})
    retired = await api.post("helpdesk", f"{url}/retire", {"reason": "Mainboard failure"})
    assert retired.json()["status"] == "retired" and retired.json()["holder_id"] is None

    events = (await api.get("helpdesk", f"{url}/events")).json()["items"]
    assert [e["move"] for e in events] == [
        "register", "assign", "repair", "return", "unassign", "repair", "return", "assign", "retire"]
    assert events[2]["details"] == {"supplier": "FixIt", "expected_cost_cents": 12000}
    assert events[3]["details"]["cost_cents"] == 9995
    assert events[-1]["reason"] == "Mainboard failure" and events[-1]["holder_id"] == alice["id"]


async def test_illegal_move_is_409_naming_state_and_allowed_moves(api: Api) -> None:
    model = await seed_model(api)
    device_id = (await seed_device(api, model["id"]))["id"]
    await api.post("helpdesk", f"/api/v1/devices/{device_id}/lost", {"reason": "Left on a train"})
    audit_before = await count(api.app, "audit_records")
    response = await api.post("helpdesk", f"/api/v1/devices/{device_id}/repair", {"supplier": "FixIt"})
    assert response.status_code == 409
    problem = response.json()
    assert problem["current_status"] == "lost" and problem["allowed"] == []
    assert "lost" in problem["detail"]
    assert await count(api.app, "audit_records") == audit_before, "refused moves write no audit record"
    retire_unassigned = await seed_device(api, model["id"], asset_tag="KL-9", serial_number="SN-9")
    audit_before = await count(api.app, "audit_records")
    response = await api.post("helpdesk", f"/api/v1/devices/{retire_unassigned['id']}/unassign", {})
    assert response.status_code == 409 and "assign" in response.json()["allowed"]
    assert await count(api.app, "audit_records") == audit_before, "refused moves write no audit record"


async def test_assign_to_inactive_or_unknown_employee_is_refused(api: Api) -> None:
    model, bob = await seed_model(api), await seed_employee(api, "Bob Smit")
    device_id = (await seed_device(api, model["id"]))["id"]
    await api.patch("helpdesk", f"/api/v1/employees/{bob['id']}", {"version": 1, "active": False})
    for employee_id in (bob["id"], 4242):
        response = await api.post("helpdesk", f"/api/v1/devices/{device_id}/assign", {"employee_id": employee_id})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "employee_id"
    assert (await api.get("helpdesk", f"/api/v1/devices/{device_id}")).json()["status"] == "in_stock"


async def test_patch_needs_the_current_version(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    url = f"/api/v1/devices/{device['id']}"
    ok = await api.patch("helpdesk", url, {"version": 1, "location": "Utrecht", "purchase_price": "999.99"})
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.json()["purchase_price"] == "999.99"
    stale = await api.patch("helpdesk", url, {"version": 1, "location": "Amsterdam"})
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert (await api.get("helpdesk", url)).json()["location"] == "Utrecht"
    missing = await api.patch("helpdesk", url, {"location": "Amsterdam"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "version"
    status_patch = await api.patch("helpdesk", url, {"version": 2, "status": "wiped"})
    assert status_patch.status_code == 422, "state only changes through the lifecycle moves"
    # A null for a field that cannot be empty is a 422 naming each such field, not a database error.
    emptied = await api.patch("helpdesk", url, {"version": 2, "location": None, "notes": None, "purchase_price": None})
    assert emptied.status_code == 422, emptied.text
    assert sorted(e["field"] for e in emptied.json()["errors"]) == ["location", "notes", "purchase_price"]
    assert (await api.get("helpdesk", url)).json()["version"] == 2


async def test_list_filters_search_and_cursor_pagination(api: Api) -> None:
    model, carol = await seed_model(api), await seed_employee(api, "Carol Mulder")
    for n in range(1, 8):
        holder = {"holder_id": carol["id"]} if n % 2 else {}
        await seed_device(api, model["id"], asset_tag=f"KL-{n:03d}", serial_number=f"SN-{n}", **holder)
    page1 = (await api.get("helpdesk", "/api/v1/devices?limit=3")).json()
    page2 = (await api.get("helpdesk", f"/api/v1/devices?limit=3&cursor={page1['next_cursor']}")).json()
    page3 = (await api.get("helpdesk", f"/api/v1/devices?limit=3&cursor={page2['next_cursor']}")).json()
    tags = [d["asset_tag"] for d in page1["items"] + page2["items"] + page3["items"]]
    assert tags == [f"KL-{n:03d}" for n in range(1, 8)] and page3["next_cursor"] is None
    in_use = (await api.get("helpdesk", "/api/v1/devices?status=in_use")).json()["items"]
    assert len(in_use) == 4
    by_holder = (await api.get("helpdesk", f"/api/v1/devices?holder_id={carol['id']}")).json()["items"]
    assert len(by_holder) == 4
    found = (await api.get("helpdesk", "/api/v1/devices?q=kl-005")).json()["items"]
    assert [d["asset_tag"] for d in found] == ["KL-005"]
    by_name = (await api.get("helpdesk", "/api/v1/devices?q=mulder")).json()["items"]
    assert len(by_name) == 4


@pytest.mark.parametrize("query,field", [("cursor=not-a-cursor", "cursor"), ("limit=0", "limit"),
                                         ("limit=1001", "limit"), ("status=broken", "status")])
async def test_bad_list_parameters(api: Api, query: str, field: str) -> None:
    response = await api.get("helpdesk", f"/api/v1/devices?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field], response.text


async def test_replaces_id_links_a_successor(api: Api) -> None:
    model = await seed_model(api)
    old = await seed_device(api, model["id"])
    in_service = await api.post("helpdesk", "/api/v1/devices",
                                device_body(model["id"], asset_tag="KL-2", serial_number="SN-2", replaces_id=old["id"]))
    assert in_service.status_code == 409
    await api.post("helpdesk", f"/api/v1/devices/{old['id']}/retire", {"reason": "Screen broken"})
    new = await seed_device(api, model["id"], asset_tag="KL-2", serial_number="SN-2", replaces_id=old["id"])
    assert new["replaces_id"] == old["id"]
    again = await api.post("helpdesk", "/api/v1/devices",
                           device_body(model["id"], asset_tag="KL-3", serial_number="SN-3", replaces_id=old["id"]))
    assert again.status_code == 409


async def test_idempotency_key_replays_the_first_response(api: Api) -> None:
    model = await seed_model(api)
    key = {"Idempotency-Key": "create-kl-1"}
    first = await api.post("helpdesk", "/api/v1/devices", device_body(model["id"]), headers=key)
    second = await api.post("helpdesk", "/api/v1/devices", device_body(model["id"]), headers=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and second.headers.get("idempotent-replayed") == "true"
    assert await count(api.app, "devices") == 1
    different = await api.post("helpdesk", "/api/v1/devices", device_body(model["id"], asset_tag="KL-X"), headers=key)
    assert different.status_code == 422 and different.json()["errors"][0]["field"] == "Idempotency-Key"
    # Scoped per user: another user's same key is a new request (and here a duplicate tag).
    other = await api.post("helpdesk2", "/api/v1/devices", device_body(model["id"]), headers=key)
    assert other.status_code == 409

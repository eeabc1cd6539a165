"""Faults, the replacement policy's decisions, repairs and replacement over the HTTP API, on both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from service.faults.policy import working_value
from service.money import format_cents
from service.valuation.policy import ValuationPolicy
from tests.integration.conftest import Api, count, seed_device, seed_employee, seed_model


def _months_ago(months: int) -> date:
    today = date.today()
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


async def _fault(api: Api, device_id: int, category: str = "battery", **extra: object) -> dict:
    body = {"category": category, "description": "Battery swells, lifts the keyboard", "severity": "high", **extra}
    response = await api.post("helpdesk", f"/api/v1/devices/{device_id}/faults", body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_from_fault_to_repair_to_replacement(api: Api) -> None:
    model, sanne = await seed_model(api), await seed_employee(api)
    bought = _months_ago(6)
    device = await seed_device(api, model["id"], holder_id=sanne["id"], purchase_date=bought.isoformat())
    did = device["id"]

    battery = await _fault(api, did)
    assert (battery["status"], battery["reported_by"], battery["decision"], battery["policy"]) == (
        "open",
        "helpdesk",
        None,
        None,
    )

    # Repairable for 120.00: well within half of the market value of a 6-month-old grade A laptop (1249.00 new).
    value = working_value(124900, bought, date.today(), "laptop", "A", ValuationPolicy(), 1)
    diagnosed = await api.post(
        "helpdesk",
        f"/api/v1/faults/{battery['id']}/diagnosis",
        {"repairable": True, "repair_cost": "120.00", "notes": "new battery"},
    )
    assert diagnosed.status_code == 200, diagnosed.text
    fault = diagnosed.json()
    assert fault["decision"] == fault["policy"]["decision"] == "repair"
    assert fault["policy"]["working_value"] == format_cents(value.cents)
    assert fault["policy"]["policy_version"].startswith("replacement/2")
    assert fault["policy"]["valuation_policy_version"] == 1
    assert any("within 50 %" in r for r in fault["policy"]["reasons"]), fault["policy"]["reasons"]
    assert (
        fault["policy"]["reasons"][-1] == f"Value as a working unit: EUR {format_cents(value.cents)} ({value.basis})."
    )
    assert "market value: EUR 1249.00 new, 6 months old, laptop retention" in value.basis
    # The decision names valuation policy v1, so the defaults were saved as v1 (an admin edit makes v2, not v1).
    assert (await api.get("finance", "/api/v1/valuation-policy")).json()["saved"] is True
    assert fault["diagnosis"] == {
        **fault["diagnosis"],
        "repairable": True,
        "repair_cost": "120.00",
        "diagnosed_by": "helpdesk",
    }

    # Off to the repairer and back: the repair carries the open fault and closes it as repaired.
    sent = await api.post(
        "helpdesk", f"/api/v1/devices/{did}/repair", {"supplier": "Repair Café Zakelijk", "expected_cost": "120.00"}
    )
    assert sent.status_code == 200 and sent.json()["status"] == "in_repair"
    history = (await api.get("auditor", f"/api/v1/devices/{did}/repairs")).json()
    assert [(r["supplier"], r["fault_ids"], r["returned_at"]) for r in history["items"]] == [
        ("Repair Café Zakelijk", [battery["id"]], None)
    ]
    back = await api.post("helpdesk", f"/api/v1/devices/{did}/return", {"cost": "115.50", "outcome": "repaired"})
    assert back.status_code == 200 and back.json()["status"] == "in_use"
    closed = (await api.get("helpdesk", f"/api/v1/faults/{battery['id']}")).json()
    assert (closed["status"], closed["resolution"], closed["repair_id"]) == (
        "closed",
        "repaired",
        history["items"][0]["id"],
    )
    history = (await api.get("finance", f"/api/v1/devices/{did}/repairs")).json()
    assert (history["repairs"], history["total_cost"], history["items"][0]["outcome"]) == (1, "115.50", "repaired")

    # The mainboard dies: not repairable, so the policy says replace.
    board = await _fault(api, did, "mainboard", description="Does not power on", severity="high")
    decided = (
        await api.post(
            "helpdesk", f"/api/v1/faults/{board['id']}/diagnosis", {"repairable": False, "notes": "board shorted"}
        )
    ).json()
    assert decided["decision"] == "replace" and "not repairable" in decided["policy"]["reasons"][0]

    # Overruling needs a written reason; it is audited with it; choosing the policy's answer withdraws it.
    short = await api.post("helpdesk", f"/api/v1/faults/{board['id']}/decision", {"decision": "repair", "reason": "no"})
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "reason"
    over = await api.post(
        "helpdesk2",
        f"/api/v1/faults/{board['id']}/decision",
        {"decision": "repair", "reason": "Spare board from a retired unit in stock"},
    )
    assert over.status_code == 200, over.text
    assert over.json()["decision"] == "repair" and over.json()["policy"]["decision"] == "replace"
    assert over.json()["overrule"]["overruled_by"] == "helpdesk2"
    audit = (
        await api.get("auditor", "/api/v1/audit", params={"entity_type": "fault", "entity_id": str(board["id"])})
    ).json()["items"]
    overrules = [a for a in audit if a["action"] == "fault.overrule"]
    assert overrules and overrules[0]["after"]["reason"] == "Spare board from a retired unit in stock"
    same = await api.post(
        "helpdesk",
        f"/api/v1/faults/{board['id']}/decision",
        {"decision": "repair", "reason": "Still the spare board idea"},
    )
    assert same.status_code == 409
    undo = await api.post(
        "helpdesk",
        f"/api/v1/faults/{board['id']}/decision",
        {"decision": "replace", "reason": "The spare board was not compatible"},
    )
    assert undo.json()["decision"] == "replace" and undo.json()["overrule"] is None

    # Retiring the device closes its open faults; the successor goes to the same person in one step.
    retired = await api.post("helpdesk", f"/api/v1/devices/{did}/retire", {"reason": "Mainboard failure"})
    assert retired.status_code == 200 and retired.json()["holder_id"] is None
    board_now = (await api.get("helpdesk", f"/api/v1/faults/{board['id']}")).json()
    assert (board_now["status"], board_now["resolution"]) == ("closed", "device_retired")
    refused = await api.post(
        "helpdesk", f"/api/v1/devices/{did}/faults", {"category": "screen", "description": "Cracked"}
    )
    assert refused.status_code == 409
    # The valuation sees the fault the device left with (the battery was repaired, so it does not count).
    estimate = await api.post("helpdesk", f"/api/v1/devices/{did}/valuation", {"method": "market"})
    assert estimate.status_code == 201, estimate.text
    labels = [line["label"] for line in estimate.json()["breakdown"]]
    assert "Fault: mainboard" in labels and not any("battery" in label for label in labels), labels

    successor = await seed_device(
        api,
        model["id"],
        asset_tag="KL-2",
        serial_number="SN-2",
        replaces_id=did,
        purchase_date=date.today().isoformat(),
    )
    assert (successor["replaces_id"], successor["status"], successor["holder_id"]) == (did, "in_use", sanne["id"])

    lifetime = (await api.get("auditor", "/api/v1/fleet-lifetime")).json()
    assert lifetime["baseline_months"] == 36
    [row] = lifetime["items"]
    assert (row["device_id"], row["successor_id"], row["age_months"], row["repair_cost"]) == (
        did,
        successor["id"],
        6,
        "115.50",
    )
    [laptops] = lifetime["by_category"]
    assert (laptops["category"], laptops["retired"], laptops["replaced"], laptops["average_age_months"]) == (
        "laptop",
        1,
        1,
        "6.0",
    )
    assert laptops["months_beyond_baseline"] == "-30.0"

    # Both laptops owe one compensation each; the chain of audit records is intact.
    assert await count(api.app, "compensation_obligations") == 2
    assert (await api.get("auditor", "/api/v1/audit/verify")).json()["ok"] is True


async def test_an_expensive_repair_of_an_old_device_means_replace(api: Api) -> None:
    model = await seed_model(api)
    bought = _months_ago(24)
    device = await seed_device(api, model["id"], purchase_date=bought.isoformat(), purchase_price="1200.00")
    # 1200.00 x 0.965^24 (0.425) x grade A 1.00: about 510.00 for a 2-year-old laptop.
    value = working_value(120000, bought, date.today(), "laptop", "A", ValuationPolicy(), 1).cents
    fault = await _fault(api, device["id"], "screen")
    limit = Decimal(value) / 2
    within = (
        await api.post(
            "helpdesk",
            f"/api/v1/faults/{fault['id']}/diagnosis",
            {"repairable": True, "repair_cost": format_cents(int(limit))},
        )
    ).json()
    assert within["decision"] == "repair", within["policy"]["reasons"]
    # A new diagnosis replaces the old one; one cent more than half the value tips it to replace.
    over = (
        await api.post(
            "helpdesk",
            f"/api/v1/faults/{fault['id']}/diagnosis",
            {"repairable": True, "repair_cost": format_cents(int(limit) + 1)},
        )
    ).json()
    assert over["decision"] == "replace" and "more than 50 %" in over["policy"]["reasons"][0]
    assert over["version"] == within["version"] + 1


async def test_a_new_valuation_policy_prices_the_next_diagnosis_and_earlier_decisions_keep_theirs(api: Api) -> None:
    model = await seed_model(api)
    bought = _months_ago(12)
    device = await seed_device(api, model["id"], purchase_date=bought.isoformat(), condition_grade="B")
    body = {"repairable": True, "repair_cost": "300.00", "notes": "new panel"}
    first = await _fault(api, device["id"], "screen")
    before = (await api.post("helpdesk", f"/api/v1/faults/{first['id']}/diagnosis", body)).json()
    v1 = working_value(124900, bought, date.today(), "laptop", "B", ValuationPolicy(), 1)
    # 1249.00 x 0.965^12 (0.652) x 0.85: about 692.00, so 300.00 is within half of it.
    assert (before["decision"], before["policy"]["working_value"]) == ("repair", format_cents(v1.cents))
    assert before["policy"]["valuation_policy_version"] == 1

    # Admin makes laptops lose value faster and grade B count for less: a new valuation policy version.
    current = (await api.get("admin", "/api/v1/valuation-policy")).json()["policy"]
    harsher = dict(current, monthly_decay={**current["monthly_decay"], "laptop": "0.060"},
                   grade_factor={**current["grade_factor"], "B": "0.70"})  # fmt: skip
    saved = await api.put("admin", "/api/v1/valuation-policy", {"policy": harsher, "note": "Laptop prices fell"})
    assert saved.status_code == 200 and saved.json()["version"] == 2

    # The next diagnosis is priced by v2: 1249.00 x 0.94^12 (0.476) x 0.70, about 416.00; 300.00 is now too much.
    second = await _fault(api, device["id"], "keyboard")
    after = (await api.post("helpdesk", f"/api/v1/faults/{second['id']}/diagnosis", body)).json()
    v2 = working_value(124900, bought, date.today(), "laptop", "B", ValuationPolicy.model_validate(harsher), 2)
    assert v2.cents < v1.cents
    assert (after["decision"], after["policy"]["working_value"]) == ("replace", format_cents(v2.cents))
    assert after["policy"]["valuation_policy_version"] == 2
    assert after["policy"]["reasons"][-1].endswith("grade B \N{MULTIPLICATION SIGN}0.70, valuation policy v2).")

    # The earlier fault keeps the figures it was decided on.
    kept = (await api.get("helpdesk", f"/api/v1/faults/{first['id']}")).json()
    assert kept["policy"] == before["policy"]
    assert kept["policy"]["reasons"][-1].endswith("grade B \N{MULTIPLICATION SIGN}0.85, valuation policy v1).")


async def test_retiring_a_device_at_the_repairer_closes_the_repair(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    fault = await _fault(api, device["id"])
    await api.post("helpdesk", f"/api/v1/devices/{device['id']}/repair", {"supplier": "Fixers"})
    await api.post("helpdesk", f"/api/v1/devices/{device['id']}/retire", {"reason": "Beyond economic repair"})
    repairs = (await api.get("helpdesk", f"/api/v1/devices/{device['id']}/repairs")).json()
    assert repairs["items"][0]["outcome"] == "not_repaired" and repairs["items"][0]["returned_at"]
    assert (await api.get("helpdesk", f"/api/v1/faults/{fault['id']}")).json()["resolution"] == "device_retired"


async def test_closing_by_hand_and_the_fleet_queue(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    first, second = await _fault(api, device["id"]), await _fault(api, device["id"], "keyboard")
    closed = await api.post(
        "helpdesk",
        f"/api/v1/faults/{first['id']}/close",
        {"resolution": "no_fault_found", "note": "Could not reproduce"},
    )
    assert closed.status_code == 200 and closed.json()["resolution"] == "no_fault_found"
    again = await api.post("helpdesk", f"/api/v1/faults/{first['id']}/close")
    assert again.status_code == 409
    queue = (await api.get("finance", "/api/v1/faults", params={"status": "open"})).json()["items"]
    assert [f["id"] for f in queue] == [second["id"]]
    undiagnosed = (await api.get("finance", "/api/v1/faults", params={"decision": "undiagnosed"})).json()["items"]
    assert [f["id"] for f in undiagnosed] == [first["id"], second["id"]]
    for name, value in (("decision", "bogus"), ("status", "bogus")):  # a misspelt filter is not an empty queue
        misspelt = await api.get("finance", "/api/v1/faults", params={name: value})
        assert misspelt.status_code == 422 and misspelt.json()["errors"][0]["field"] == name
    page = (await api.get("helpdesk", f"/api/v1/devices/{device['id']}/faults", params={"limit": 1})).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = (
        await api.get(
            "helpdesk", f"/api/v1/devices/{device['id']}/faults", params={"limit": 1, "cursor": page["next_cursor"]}
        )
    ).json()
    assert [f["id"] for f in rest["items"]] == [second["id"]]


BAD = [
    ("faults", {"category": "toaster", "description": "Smoke"}, 422, "category"),
    ("faults", {"category": "battery", "description": "x"}, 422, "description"),
    ("faults", {"category": "battery", "description": "Dead", "colour": "red"}, 422, "colour"),
    ("diagnosis", {"repairable": True}, 422, "repair_cost"),
    ("diagnosis", {"repairable": True, "repair_cost": 12.5}, 422, "repair_cost"),
    ("diagnosis", {"repairable": True, "repair_cost": "-1.00"}, 422, "repair_cost"),
    ("diagnosis", {"repairable": True, "repair_cost": "9000000.00"}, 422, "repair_cost"),
    ("decision", {"decision": "replace", "reason": "The repairer has no parts"}, 409, None),
    ("decision", {"decision": "scrap", "reason": "The repairer has no parts"}, 422, "decision"),
    ("close", {"resolution": "device_retired"}, 422, "resolution"),
]


@pytest.mark.parametrize("route,body,status,field", BAD, ids=[f"{r}-{s}-{f}" for r, _, s, f in BAD])
async def test_bad_requests_are_problems_and_change_nothing(
    api: Api, route: str, body: dict, status: int, field: str | None
) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    fault = await _fault(api, device["id"])
    before = (await count(api.app, "faults"), await count(api.app, "audit_records"))
    url = f"/api/v1/devices/{device['id']}/faults" if route == "faults" else f"/api/v1/faults/{fault['id']}/{route}"
    response = await api.post("helpdesk", url, body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    if field:
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert (await count(api.app, "faults"), await count(api.app, "audit_records")) == before


async def test_who_may_do_what(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    fault = await _fault(api, device["id"])
    body = {"category": "screen", "description": "Dead pixels"}
    for who in ("finance", "auditor", "charity"):
        assert (await api.post(who, f"/api/v1/devices/{device['id']}/faults", body)).status_code == 403
        assert (await api.post(who, f"/api/v1/faults/{fault['id']}/close")).status_code == 403
    for who in ("admin", "finance", "auditor"):
        assert (await api.get(who, f"/api/v1/faults/{fault['id']}")).status_code == 200
    assert (await api.get("charity", f"/api/v1/devices/{device['id']}/faults")).status_code == 403
    assert (await api.get("helpdesk", "/api/v1/faults/99999")).status_code == 404
    assert (await api.get("helpdesk", "/api/v1/devices/99999/faults")).status_code == 404


async def test_report_is_idempotent_with_a_key(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    body = {"category": "battery", "description": "Drains in an hour"}
    headers = {"Idempotency-Key": "fault-1"}
    first = await api.post("helpdesk", f"/api/v1/devices/{device['id']}/faults", body, headers=headers)
    again = await api.post("helpdesk", f"/api/v1/devices/{device['id']}/faults", body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert again.headers.get("idempotent-replayed") == "true"
    assert await count(api.app, "faults") == 1

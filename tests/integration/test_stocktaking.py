"""Stock-taking audits end to end over the API: scans (repeated, unknown, misplaced), move here, a list upload,
the close's report, loss reports through the lifecycle, the CSV, and a closed audit that no longer changes."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Litestar

from tests.integration.conftest import Api, count, seed_device, seed_employee, seed_model

AUDITS = "/api/v1/stock-audits"


async def _fleet(api: Api) -> dict[str, dict[str, Any]]:
    """Five devices registered at "Depot Noord", one at "Utrecht", one retired at the depot, one disposed-of
    style lost one at the depot (not expected)."""
    model = await seed_model(api)
    holder = await seed_employee(api)
    devices = {}
    for tag, location in (("KL-1", "Depot Noord"), ("KL-2", "depot noord "), ("KL-3", "Depot Noord"),
                          ("KL-4", "Depot Noord"), ("KL-5", "Utrecht"), ("KL-6", "Depot Noord"),
                          ("KL-7", "Depot Noord")):  # fmt: skip
        devices[tag] = await seed_device(api, model["id"], asset_tag=tag, serial_number=f"SN-{tag}", location=location)
    assign = await api.post("helpdesk", f"/api/v1/devices/{devices['KL-3']['id']}/assign",
                            {"employee_id": holder["id"]})  # fmt: skip
    assert assign.status_code == 200, assign.text
    retire = await api.post("helpdesk", f"/api/v1/devices/{devices['KL-6']['id']}/retire", {"reason": "Screen broken"})
    assert retire.status_code == 200, retire.text
    lost = await api.post("helpdesk", f"/api/v1/devices/{devices['KL-7']['id']}/lost", {"reason": "Stolen from car"})
    assert lost.status_code == 200, lost.text
    return devices


async def _scan(api: Api, audit_id: int, term: str, who: str = "helpdesk") -> Any:
    return await api.post(who, f"{AUDITS}/{audit_id}/scans", {"term": term})


async def test_audit_flow(api: Api, app: Litestar) -> None:
    devices = await _fleet(api)
    started = await api.post("helpdesk", AUDITS, {"location": "  Depot Noord "})
    assert started.status_code == 201, started.text
    audit = started.json()
    assert (audit["scope_kind"], audit["scope_value"], audit["status"]) == ("location", "Depot Noord", "open")
    # KL-1..4 and the retired KL-6 are expected; lost KL-7 and Utrecht's KL-5 are not.
    assert (audit["expected"], audit["found"], audit["missing"]) == (5, 0, None)
    second = await api.post("helpdesk", AUDITS, {"location": "depot noord"})
    assert second.status_code == 409
    assert second.json()["audit_id"] == audit["id"]
    aid = audit["id"]

    first = await _scan(api, aid, "KL-1")
    assert first.status_code == 201
    assert first.json() | {"scanned_at": None} == first.json() | {
        "term": "KL-1", "result": "found", "repeated": False, "device_id": devices["KL-1"]["id"],
        "registered_location": "Depot Noord", "scanned_by": "helpdesk", "scanned_at": None,
    }  # fmt: skip
    # The same device again, by its serial in another case: said so, recorded once, nothing written.
    records = await count(app, "audit_records")
    repeated = await _scan(api, aid, "sn-kl-1", who="helpdesk2")
    assert repeated.status_code == 200
    assert (repeated.json()["id"], repeated.json()["repeated"], repeated.json()["scanned_by"]) == (
        first.json()["id"], True, "helpdesk")  # fmt: skip
    assert await count(app, "audit_records") == records
    assert (await _scan(api, aid, "KL-2")).json()["result"] == "found"  # registered as "depot noord "
    unknown = await _scan(api, aid, "NOPE-9")
    assert (unknown.status_code, unknown.json()["result"], unknown.json()["device_id"]) == (201, "unknown", None)
    assert (await _scan(api, aid, "nope-9")).json()["repeated"] is True
    misplaced = await _scan(api, aid, "KL-5")
    assert (misplaced.json()["result"], misplaced.json()["registered_location"]) == ("misplaced", "Utrecht")
    blank = await _scan(api, aid, "   ")
    assert blank.status_code == 422

    # Move here: the device's location changes through the registry (a device.update audit record).
    moved = await api.post("helpdesk", f"{AUDITS}/{aid}/scans/{misplaced.json()['id']}/move-here")
    assert moved.status_code == 200, moved.text
    assert (moved.json()["result"], moved.json()["moved_by"]) == ("moved", "helpdesk")
    device = (await api.get("helpdesk", f"/api/v1/devices/{devices['KL-5']['id']}")).json()
    assert device["location"] == "Depot Noord"
    twice = await api.post("helpdesk", f"{AUDITS}/{aid}/scans/{misplaced.json()['id']}/move-here")
    assert twice.status_code == 409
    not_misplaced = await api.post("helpdesk", f"{AUDITS}/{aid}/scans/{first.json()['id']}/move-here")
    assert not_misplaced.status_code == 409

    # A list upload: a header, a repeat, a new find, an unknown tag; CSV with semicolons.
    upload = await api.client.post(
        f"{AUDITS}/{aid}/upload",
        content="asset_tag;note\r\nKL-1;shelf 2\r\nKL-4;shelf 3\r\n\r\nGHOST-1;?\r\n",
        headers=api.headers("helpdesk", **{"content-type": "text/csv"}),
    )
    assert upload.status_code == 200, upload.text
    assert upload.json() == {"lines": 3, "found": 1, "misplaced": 0, "unknown": 1, "repeated": 1}

    live = (await api.get("auditor", f"{AUDITS}/{aid}")).json()
    assert {k: live[k] for k in ("expected", "found", "missing", "misplaced", "moved", "unknown")} == {
        "expected": 6, "found": 4, "missing": None, "misplaced": 0, "moved": 1, "unknown": 2}  # fmt: skip
    page = await api.get("helpdesk", f"{AUDITS}/{aid}/scans", params={"limit": 2})
    assert [s["term"] for s in page.json()["items"]] == ["KL-1", "KL-2"]
    rest = await api.get("helpdesk", f"{AUDITS}/{aid}/scans", params={"cursor": page.json()["next_cursor"]})
    assert [s["term"] for s in rest.json()["items"]] == ["NOPE-9", "KL-5", "KL-4", "GHOST-1"]
    assert rest.json()["next_cursor"] is None

    # Mark lost before the close: refused, missing devices are not known yet.
    early = await api.post("helpdesk", f"{AUDITS}/{aid}/lost", {"device_ids": [devices["KL-3"]["id"]]})
    assert early.status_code == 409

    closed = await api.post("helpdesk", f"{AUDITS}/{aid}/close")
    assert closed.status_code == 200, closed.text
    report = closed.json()
    assert {k: report[k] for k in ("status", "expected", "found", "missing", "closed_by")} == {
        "status": "closed", "expected": 6, "found": 4, "missing": 2, "closed_by": "helpdesk"}  # fmt: skip

    # Read-only now: scans, uploads, moves and a second close are 409s and change nothing.
    scans = await count(app, "stock_audit_scans")
    assert (await _scan(api, aid, "KL-3")).status_code == 409
    late_upload = await api.client.post(f"{AUDITS}/{aid}/upload", content="KL-3\n",
                                        headers=api.headers("helpdesk", **{"content-type": "text/plain"}))  # fmt: skip
    assert late_upload.status_code == 409
    assert (await api.post("helpdesk", f"{AUDITS}/{aid}/close")).status_code == 409
    assert await count(app, "stock_audit_scans") == scans

    missing = (await api.get("helpdesk", f"{AUDITS}/{aid}/missing")).json()["items"]
    assert [(m["asset_tag"], m["status"], m["cannot_report_lost"]) for m in missing] == [
        ("KL-3", "in_use", None),
        ("KL-6", "retired", "A device that is retired cannot be reported lost (moves allowed now: wipe)."),
    ]
    # The retired one refuses the lot: nothing reported lost.
    both = [devices["KL-3"]["id"], devices["KL-6"]["id"]]
    refused = await api.post("helpdesk", f"{AUDITS}/{aid}/lost", {"device_ids": both})
    assert refused.status_code == 409
    assert refused.json()["errors"] == [{"field": "device_ids", "device_id": str(devices["KL-6"]["id"]),
                                         "message": missing[1]["cannot_report_lost"]}]  # fmt: skip
    assert (await api.get("helpdesk", f"/api/v1/devices/{devices['KL-3']['id']}")).json()["status"] == "in_use"
    stranger = await api.post("helpdesk", f"{AUDITS}/{aid}/lost", {"device_ids": [devices["KL-1"]["id"]]})
    assert stranger.status_code == 422

    lost = await api.post("helpdesk", f"{AUDITS}/{aid}/lost", {"device_ids": [devices["KL-3"]["id"]]})
    assert lost.status_code == 200, lost.text
    assert lost.json() == {"device_ids": [devices["KL-3"]["id"]]}
    device = (await api.get("helpdesk", f"/api/v1/devices/{devices['KL-3']['id']}")).json()
    assert (device["status"], device["holder_id"]) == ("lost", None)
    events = (await api.get("helpdesk", f"/api/v1/devices/{devices['KL-3']['id']}/events")).json()["items"]
    assert (events[-1]["move"], events[-1]["reason"], events[-1]["details"]) == (
        "lost", f"Missing at stock-taking audit #{aid} of Depot Noord", {"stock_audit_id": aid})  # fmt: skip
    again = await api.post("helpdesk", f"{AUDITS}/{aid}/lost", {"device_ids": [devices["KL-3"]["id"]]})
    assert again.status_code == 409
    assert again.json()["errors"][0]["message"] == "already reported lost"

    audit_log = (await api.get("auditor", "/api/v1/audit", params={"limit": 1000})).json()["items"]
    actions = [r["action"] for r in audit_log if r["entity_type"] == "stock_audit"]
    assert actions == ["stock_audit.start", "stock_audit.scan", "stock_audit.scan", "stock_audit.scan",
                       "stock_audit.scan", "stock_audit.move_here", "stock_audit.upload", "stock_audit.close",
                       "stock_audit.mark_lost"]  # fmt: skip

    download = await api.get("auditor", f"{AUDITS}/{aid}/report.csv")
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [(r["result"], r["asset_tag"], r["scanned_as"]) for r in rows] == [
        ("found", "KL-1", "KL-1"), ("found", "KL-2", "KL-2"), ("unknown", "", "NOPE-9"), ("moved", "KL-5", "KL-5"),
        ("found", "KL-4", "KL-4"), ("unknown", "", "GHOST-1"), ("missing", "KL-3", ""), ("missing", "KL-6", ""),
    ]  # fmt: skip
    assert rows[3]["registered_location"] == "Utrecht"
    assert (rows[6]["status"], rows[6]["reported_lost_by"]) == ("lost", "helpdesk")


async def test_roles_and_bad_input(api: Api) -> None:
    await _fleet(api)
    for who in ("finance", "auditor"):
        assert (await api.post(who, AUDITS, {"location": "Depot Noord"})).status_code == 403
    assert (await api.get("charity", AUDITS)).status_code == 403
    empty = await api.post("helpdesk", AUDITS, {"location": ""})
    assert empty.status_code == 422
    company = await api.post("helpdesk", AUDITS, {"scope_kind": "company", "company_id": 99})
    assert company.status_code == 422 and "company_id" in company.text
    unknown_kind = await api.post("helpdesk", AUDITS, {"location": "Acme", "scope_kind": "building"})
    assert unknown_kind.status_code == 422
    assert (await api.get("helpdesk", f"{AUDITS}/999")).status_code == 404
    aid = (await api.post("admin", AUDITS, {"location": "Utrecht"})).json()["id"]
    nothing = await api.client.post(f"{AUDITS}/{aid}/upload", content="\n\n",
                                    headers=api.headers("helpdesk", **{"content-type": "text/plain"}))  # fmt: skip
    assert nothing.status_code == 422
    assert nothing.json()["errors"][0]["field"] == "list"
    json_upload = await api.post("helpdesk", f"{AUDITS}/{aid}/upload", {"terms": ["KL-1"]})
    assert json_upload.status_code == 422
    # Nothing scanned at all: every expected device is missing at the close.
    closed = (await api.post("helpdesk", f"{AUDITS}/{aid}/close")).json()
    assert (closed["expected"], closed["found"], closed["missing"]) == (1, 0, 1)
    listing = (await api.get("helpdesk", AUDITS, params={"status": "closed"})).json()
    assert [a["id"] for a in listing["items"]] == [aid]


async def test_a_double_fired_scan_is_recorded_once(api: Api, app: Litestar) -> None:
    import asyncio

    model = await seed_model(api)
    await seed_device(api, model["id"], asset_tag="KL-1", serial_number="SN-1", location="Depot")
    aid = (await api.post("helpdesk", AUDITS, {"location": "Depot"})).json()["id"]
    responses = await asyncio.gather(*(_scan(api, aid, term) for term in ("KL-1", "SN-1", "kl-1", "KL-1")))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await count(app, "stock_audit_scans") == 1


async def test_a_company_audit_counts_its_own_devices_everywhere_and_flags_another_companys(api: Api) -> None:
    devices = await _fleet(api)
    zorg = (await api.post("admin", "/api/v1/companies/", {"name": "Zorg Noord"})).json()
    model = (await api.get("helpdesk", "/api/v1/device-models/")).json()["items"][0]
    theirs = await seed_device(api, model["id"], asset_tag="ZN-1", serial_number="SN-ZN-1", location="Depot Noord",
                               company_id=zorg["id"])  # fmt: skip
    # A location audit of the default company does not expect Zorg Noord's device on the same shelf.
    depot = (await api.post("helpdesk", AUDITS, {"location": "Depot Noord", "company_id": 1})).json()
    assert depot["company_id"] == 1 and depot["expected"] == 5  # KL-1 to KL-4 and the retired KL-6
    scanned = (await _scan(api, depot["id"], "ZN-1")).json()
    assert scanned["result"] == "misplaced"
    moved = await api.post("helpdesk", f"{AUDITS}/{depot['id']}/scans/{scanned['id']}/move-here")
    assert moved.status_code == 409 and "another company" in moved.json()["detail"]

    whole = await api.post("helpdesk", AUDITS, {"scope_kind": "company", "company_id": zorg["id"]})
    assert whole.status_code == 201, whole.text
    audit = whole.json()
    assert (audit["scope_kind"], audit["scope_value"], audit["expected"]) == ("company", "Zorg Noord", 1)
    assert (await _scan(api, audit["id"], "ZN-1")).json()["result"] == "found"
    assert (await _scan(api, audit["id"], "KL-5")).json()["result"] == "misplaced"  # the default company's
    again = await api.post("helpdesk", AUDITS, {"scope_kind": "company", "company_id": zorg["id"]})
    assert again.status_code == 409
    closed = (await api.post("helpdesk", f"{AUDITS}/{audit['id']}/close")).json()
    assert (closed["expected"], closed["found"], closed["missing"]) == (1, 1, 0)
    assert theirs["company_id"] == zorg["id"] and devices["KL-5"]["company_id"] == 1

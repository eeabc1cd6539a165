"""Storage media, wipe certificates, report imports, four eyes and the register, over HTTP, on both databases."""

from __future__ import annotations

import csv
import hashlib
import io

import sqlalchemy as sa

from tests.integration.conftest import Api, count, seed_device
from tests.integration.wipe_helpers import (
    DESKTOP_HDD,
    DESKTOP_SERIAL,
    DESKTOP_SSD,
    LAPTOP_SERIAL,
    LAPTOP_SSD,
    NWIPE_HDD,
    fixture,
    import_reports,
    manual,
    media,
    model,
    part,
    record,
    retired,
    set_serial,
    status_of,
    upload,
)


async def audit_actions(api: Api, action: str) -> list[dict[str, object]]:
    async with api.app.state.engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT entity_id, after FROM audit_records WHERE action = :a ORDER BY seq"), {"a": action}
        )
        return [{"entity_id": r[0], "after": r[1]} for r in rows]


async def test_a_new_device_starts_with_its_models_media(api: Api) -> None:
    desktop = await model(api, "Workstation 2", "desktop", 2, "hdd")
    device = await seed_device(api, desktop["id"])
    listed = await media(api, device["id"])
    assert [(m["media_type"], m["serial"], m["source"], m["wipe_status"]) for m in listed] == [
        ("hdd", None, "model", "needs_certificate")
    ] * 2
    assert listed[0]["accepted_methods"] == ["clear", "purge", "destroy"]
    assert (await audit_actions(api, "storage_media.seed"))[0]["entity_id"] == str(device["id"])
    monitor = await retired(api, 2, kind="monitor", retire=False)
    assert await media(api, monitor["id"]) == []


async def test_helpdesk_adds_corrects_and_removes_media_with_an_audit_trail(api: Api) -> None:
    device = await retired(api, 1, retire=False)
    url = f"/api/v1/devices/{device['id']}/media"
    added = await api.post("helpdesk", url, {"media_type": "sd_card", "serial": "SD-77", "capacity_bytes": 64 * 10**9})
    assert added.status_code == 201, added.text
    medium = added.json()
    assert (medium["media_type"], medium["source"], medium["accepted_methods"]) == (
        "sd_card",
        "manual",
        ["purge", "destroy"],
    )
    duplicate = await api.post("helpdesk", url, {"media_type": "ssd", "serial": "sd-77"})
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "serial"
    assert (await api.post("finance", url, {"media_type": "ssd"})).status_code == 403
    assert (await api.post("helpdesk", url, {"media_type": "floppy"})).status_code == 422
    assert (await api.post("helpdesk", url, {"media_type": "ssd", "colour": "red"})).status_code == 422

    patched = await api.patch("helpdesk", f"{url}/{medium['id']}", {"version": 1, "media_type": "emmc"})
    assert patched.status_code == 200 and patched.json()["media_type"] == "emmc" and patched.json()["version"] == 2
    stale = await api.patch("helpdesk", f"{url}/{medium['id']}", {"version": 1, "serial": "X"})
    assert stale.status_code == 409

    no_reason = await api.client.delete(f"{url}/{medium['id']}", params={"version": 2}, headers=api.headers("helpdesk"))
    assert no_reason.status_code in (400, 422)
    removed = await api.client.delete(
        f"{url}/{medium['id']}", params={"version": 2, "reason": "Card was never in this unit"},
        headers=api.headers("helpdesk"),
    )  # fmt: skip
    assert removed.status_code == 204, removed.text
    assert [m["media_type"] for m in await media(api, device["id"])] == ["ssd"]
    [deleted] = await audit_actions(api, "storage_medium.delete")
    assert deleted["entity_id"] == str(medium["id"]) and "never in this unit" in str(deleted["after"])
    assert (await api.get("auditor", url)).status_code == 200
    assert (await api.get("charity", url)).status_code == 403


async def test_a_medium_with_certificates_stays_listed(api: Api) -> None:
    device = await retired(api, 1)
    [medium] = await media(api, device["id"])
    cert = await record(api, device["id"], medium["id"])
    url = f"/api/v1/devices/{device['id']}/media/{medium['id']}"
    removal = await api.client.delete(url, params={"version": 1, "reason": "mistake"}, headers=api.headers("helpdesk"))
    assert removal.status_code == 409 and "stays listed" in removal.json()["detail"]
    assert (await api.patch("helpdesk", url, {"version": 1, "serial": "NEW"})).status_code == 409
    # Once its only certificate is rejected, the medium may be corrected, but it is still never removed.
    assert (await api.post("helpdesk2", f"/api/v1/wipe-certificates/{cert['id']}/reject",
                           {"reason": "Wrong disk serial on the receipt"})).status_code == 200  # fmt: skip
    assert (await api.patch("helpdesk", url, {"version": 1, "serial": "NEW"})).status_code == 200
    removal = await api.client.delete(url, params={"version": 2, "reason": "mistake"}, headers=api.headers("helpdesk"))
    assert removal.status_code == 409
    assert await count(api.app, "storage_media") == 1


async def test_certificate_by_hand_as_json_and_as_multipart_with_its_pdf(api: Api) -> None:
    device = await retired(api, 1)
    [medium] = await media(api, device["id"])
    cert = await record(api, device["id"], medium["id"])
    assert (cert["status"], cert["method"], cert["source"], cert["document"], cert["policy_accepts"]) == (
        "recorded",
        "purge",
        "manual",
        None,
        True,
    )
    assert cert["recorded_by"] == "helpdesk" and cert["media_type"] == "ssd"
    second = await api.post("helpdesk", f"/api/v1/devices/{device['id']}/wipe-certificates", manual(medium["id"]))
    assert second.status_code == 409 and "waiting for review" in second.json()["detail"]
    assert (await api.post("helpdesk2", f"/api/v1/wipe-certificates/{cert['id']}/reject",
                           {"reason": "Receipt is for another unit"})).status_code == 200  # fmt: skip

    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    fields = {k: str(v) for k, v in manual(medium["id"], method="destroy", technique="shred to 2 mm").items()}
    response = await api.client.post(
        f"/api/v1/devices/{device['id']}/wipe-certificates",
        data=fields,
        files={"report": ("Shredder receipt.pdf", pdf, "application/pdf")},
        headers=api.headers("helpdesk"),
    )
    assert response.status_code == 201, response.text
    with_pdf = response.json()["certificates"][0]
    document = with_pdf["document"]
    assert (document["filename"], document["content_type"], document["size_bytes"]) == (
        "Shredder receipt.pdf",
        "application/pdf",
        len(pdf),
    )
    assert document["sha256"] == hashlib.sha256(pdf).hexdigest()
    download = await api.get("auditor", document["url"])
    assert download.status_code == 200 and download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-sha256"] == document["sha256"]
    assert "attachment" in download.headers["content-disposition"]
    no_file = await api.get("auditor", f"/api/v1/wipe-certificates/{cert['id']}/document")
    assert no_file.status_code == 404 and "by hand" in no_file.json()["detail"]


async def test_bad_certificates_are_refused_and_write_nothing(api: Api) -> None:
    device = await retired(api, 1)
    [medium] = await media(api, device["id"])
    url = f"/api/v1/devices/{device['id']}/wipe-certificates"
    before = (await count(api.app, "wipe_certificates"), await count(api.app, "audit_records"))
    cases = [
        (manual(medium["id"], method="clear", technique="overwrite"), 422, "method"),
        (manual(medium["id"], performed_at="2099-01-01T00:00:00+00:00"), 422, "performed_at"),
        (manual(medium["id"], performed_at="2026-11-20T10:00:00"), 422, "performed_at"),  # no time zone
        (manual(medium["id"], performed_at="2001-01-01T10:00:00+00:00"), 422, "performed_at"),  # before purchase
        (manual(999), 422, "medium_id"),
        (manual(medium["id"], method="scrub"), 422, "method"),
        ({**manual(medium["id"]), "signature": "x"}, 422, "signature"),
    ]
    for body, status, field in cases:
        response = await api.post("helpdesk", url, body)
        assert response.status_code == status, (body, response.text)
        assert field in {e["field"] for e in response.json()["errors"]}, response.json()
    clear = await api.post("helpdesk", url, manual(medium["id"], method="clear", technique="overwrite"))
    assert "over-provisioned" in clear.json()["detail"]
    bad_file = await api.client.post(
        url, data={k: str(v) for k, v in manual(medium["id"]).items()},
        files={"report": ("r.xml", fixture("billion_laughs.xml"), "application/xml")}, headers=api.headers("helpdesk"),
    )  # fmt: skip
    assert bad_file.status_code == 422 and "DTD or entities" in bad_file.json()["detail"]
    assert (await api.post("finance", url, manual(medium["id"]))).status_code == 403
    text = await api.client.post(
        url, content=b"medium_id=1", headers=api.headers("helpdesk", **{"content-type": "text/plain"})
    )
    assert text.status_code == 415
    broken = await api.client.post(
        url, content=b'{"medium_id": 1,', headers=api.headers("helpdesk", **{"content-type": "application/json"})
    )
    assert broken.status_code == 422 and broken.json()["detail"] == "The body is not valid JSON."
    assert (await count(api.app, "wipe_certificates"), await count(api.app, "audit_records")) == before


async def test_certificates_are_for_retired_devices_only(api: Api) -> None:
    device = await retired(api, 1, retire=False)
    [medium] = await media(api, device["id"])
    response = await api.post("helpdesk", f"/api/v1/devices/{device['id']}/wipe-certificates", manual(medium["id"]))
    assert response.status_code == 409 and "retire it first" in response.json()["detail"]


async def test_four_eyes_verification(api: Api) -> None:
    device = await retired(api, 1)
    [medium] = await media(api, device["id"])
    cert = await record(api, device["id"], medium["id"])
    base = f"/api/v1/wipe-certificates/{cert['id']}"
    own = await api.post("helpdesk", f"{base}/verify")
    assert own.status_code == 403 and "four eyes" in own.json()["detail"]
    assert (await api.post("helpdesk", f"{base}/reject", {"reason": "my own mistake"})).status_code == 403
    for role in ("finance", "auditor", "charity"):
        assert (await api.post(role, f"{base}/verify")).status_code == 403
    assert (await api.post("helpdesk2", f"{base}/reject", {"reason": "no"})).status_code == 422
    assert (await api.post("helpdesk2", f"{base}/verify", {"version": 7})).status_code == 409
    assert await status_of(api, device["id"]) == "retired"
    verified = await api.post("admin", f"{base}/verify", {"version": 1})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["certificate"]["status"] == "verified" and body["certificate"]["reviewed_by"] == "admin"
    assert (body["device_status"], body["device_wiped"]) == ("wiped", True)
    again = await api.post("helpdesk2", f"{base}/verify")
    assert again.status_code == 409 and "already verified by admin" in again.json()["detail"]
    events = (await api.get("auditor", f"/api/v1/devices/{device['id']}/events")).json()["items"]
    assert (events[-1]["move"], events[-1]["actor"], events[-1]["details"]["certificate_ids"]) == (
        "wipe",
        "admin",
        [cert["id"]],
    )
    assert [a["entity_id"] for a in await audit_actions(api, "wipe_certificate.verify")] == [str(cert["id"])]


async def test_import_matches_by_medium_serial_or_device_serial_with_a_result_per_file(api: Api) -> None:
    laptop = await retired(api, 1, serial=LAPTOP_SERIAL)  # its SSD's serial is not known yet
    desktop = await retired(api, 2, kind="desktop")
    [hdd] = await media(api, desktop["id"])
    await set_serial(api, desktop["id"], hdd, NWIPE_HDD)
    response = await import_reports(
        api, "helpdesk",
        part("blancco_laptop_ssd_purge.xml"),
        part("nwipe_hdd_success.json"),
        part("nwipe_failure.json"),
        part("unknown.xml", fixture("blancco_laptop_ssd_purge.xml").replace(LAPTOP_SERIAL.encode(), b"OTHER-PC")
             .replace(LAPTOP_SSD.encode(), b"NOPE-1")),
        part("evil.xml", fixture("xxe_external_entity.xml")),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["recorded"], result["refused"]) == (2, 3)
    by_name = {f["filename"]: f for f in result["files"]}
    assert by_name["blancco_laptop_ssd_purge.xml"]["device_id"] == laptop["id"]
    assert by_name["nwipe_hdd_success.json"]["device_id"] == desktop["id"]
    assert "'failure'" in by_name["nwipe_failure.json"]["reason"]
    assert (
        "no device or storage medium has serial NOPE-1 nor computer serial OTHER-PC" in by_name["unknown.xml"]["reason"]
    )
    assert "DTD" in by_name["evil.xml"]["reason"]
    assert all(f["certificate_ids"] == [] for f in result["files"] if f["outcome"] == "refused")
    [ssd] = await media(api, laptop["id"])
    assert (ssd["serial"], ssd["capacity_bytes"], ssd["wipe_status"]) == (LAPTOP_SSD, 512110190592, "awaiting_review")
    certs = (await api.get("auditor", f"/api/v1/devices/{desktop['id']}/wipe-certificates")).json()["items"]
    assert [(c["method"], c["tool"], c["source"], c["media_serial"]) for c in certs] == [
        ("clear", "nwipe", "nwipe", NWIPE_HDD)
    ]
    assert await count(api.app, "wipe_documents") == 2


async def test_an_import_with_nothing_recorded_is_a_problem_and_writes_nothing(api: Api) -> None:
    device = await retired(api, 1, kind="laptop")
    [medium] = await media(api, device["id"])
    before = [
        await count(api.app, t) for t in ("wipe_certificates", "wipe_documents", "storage_media", "audit_records")
    ]
    # nwipe only overwrites: Clear, which the policy does not accept for this SSD.
    await set_serial(api, device["id"], medium, NWIPE_HDD)
    before[-1] += 1
    response = await import_reports(api, "helpdesk", part("nwipe_hdd_success.json"), part("blancco_failed.xml"))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    reasons = {e["field"]: e["message"] for e in problem["errors"]}
    assert "accepts only purge or destroy" in reasons["nwipe_hdd_success.json"]
    assert "'Failed'" in reasons["blancco_failed.xml"]
    assert len(problem["files"]) == 2
    after = [await count(api.app, t) for t in ("wipe_certificates", "wipe_documents", "storage_media", "audit_records")]
    assert after == before
    wrong = await api.client.post(
        "/api/v1/wipe-certificates/import", json={"files": []}, headers=api.headers("helpdesk")
    )
    assert wrong.status_code == 415


async def test_on_the_device_page_a_report_adds_the_medium_it_describes(api: Api) -> None:
    device = await retired(api, 1, serial=LAPTOP_SERIAL)
    [seeded] = await media(api, device["id"])
    removed = await api.client.delete(
        f"/api/v1/devices/{device['id']}/media/{seeded['id']}",
        params={"version": 1, "reason": "Listed twice by the model"}, headers=api.headers("helpdesk"),
    )  # fmt: skip
    assert removed.status_code == 204
    elsewhere = await import_reports(api, "helpdesk", part("blancco_laptop_ssd_purge.xml"))
    assert elsewhere.status_code == 422 and "upload the report on its page" in elsewhere.text
    response = await upload(
        api, "helpdesk", device["id"], part("blancco_laptop_ssd_purge.xml"), destination="recycling_facility"
    )
    assert response.status_code == 201, response.text
    body = response.json()
    [added] = await media(api, device["id"])
    assert body["media_added"] == [added["id"]]
    assert (added["serial"], added["media_type"], added["source"], added["description"]) == (
        LAPTOP_SSD,
        "ssd",
        "report",
        "Samsung PM9B1 NVMe 512GB",
    )
    [cert] = body["certificates"]
    assert (cert["destination"], cert["method"], cert["performed_by"]) == (
        "recycling_facility",
        "purge",
        "Jesse Visser",
    )
    again = await upload(api, "helpdesk", device["id"], part("blancco_laptop_ssd_purge.xml"))
    assert again.status_code == 422 and "waiting for review" in again.json()["detail"]


async def test_a_device_page_upload_must_match_that_device(api: Api) -> None:
    laptop = await retired(api, 1, serial=LAPTOP_SERIAL)
    other = await retired(api, 2)
    [ssd] = await media(api, laptop["id"])
    await set_serial(api, laptop["id"], ssd, LAPTOP_SSD)
    response = await upload(api, "helpdesk", other["id"], part("blancco_laptop_ssd_purge.xml"))
    assert response.status_code == 422 and "listed on device" in response.json()["detail"]
    assert await count(api.app, "wipe_certificates") == 0


async def test_a_two_disk_report_wipes_the_device_when_both_are_verified(api: Api) -> None:
    desktop = await retired(api, 1, kind="desktop", serial=DESKTOP_SERIAL)
    added = await api.post(
        "helpdesk", f"/api/v1/devices/{desktop['id']}/media", {"media_type": "ssd", "serial": DESKTOP_SSD}
    )
    assert added.status_code == 201
    response = await import_reports(api, "helpdesk", part("blancco_desktop_two_disks.xml"))
    assert response.status_code == 200, response.text
    ids = response.json()["files"][0]["certificate_ids"]
    assert len(ids) == 2
    listed = {m["serial"]: m for m in await media(api, desktop["id"])}
    assert set(listed) == {DESKTOP_HDD, DESKTOP_SSD}
    first = await api.post("helpdesk2", f"/api/v1/wipe-certificates/{ids[0]}/verify")
    assert first.json()["device_wiped"] is False and await status_of(api, desktop["id"]) == "retired"
    gate = (await api.get("helpdesk", f"/api/v1/devices/{desktop['id']}/wipe-gate")).json()
    assert gate["passed"] is False and len(gate["blockers"]) == 1
    second = await api.post("helpdesk2", f"/api/v1/wipe-certificates/{ids[1]}/verify")
    assert second.json()["device_wiped"] is True and await status_of(api, desktop["id"]) == "wiped"
    events = (await api.get("auditor", f"/api/v1/devices/{desktop['id']}/events")).json()["items"]
    assert sorted(events[-1]["details"]["certificate_ids"]) == sorted(ids)
    frozen = await api.post("helpdesk", f"/api/v1/devices/{desktop['id']}/media", {"media_type": "sd_card"})
    assert frozen.status_code == 409 and "no longer change" in frozen.json()["detail"]


async def test_the_register_pages_and_exports_csv_for_auditors(api: Api) -> None:
    ids = []
    for n in range(1, 4):
        device = await retired(api, n)
        [medium] = await media(api, device["id"])
        ids.append(
            (await record(api, device["id"], medium["id"], performed_by='=HYPERLINK("x")' if n == 2 else "Jesse"))["id"]
        )
    await api.post("helpdesk2", f"/api/v1/wipe-certificates/{ids[0]}/verify")
    first = (await api.get("auditor", "/api/v1/wipe-certificates?limit=2")).json()
    assert [c["id"] for c in first["items"]] == ids[:2] and first["next_cursor"]
    rest = (await api.get("auditor", f"/api/v1/wipe-certificates?limit=2&cursor={first['next_cursor']}")).json()
    assert [c["id"] for c in rest["items"]] == ids[2:] and rest["next_cursor"] is None
    verified = (await api.get("finance", "/api/v1/wipe-certificates?status=verified")).json()["items"]
    assert [c["id"] for c in verified] == ids[:1]
    assert (await api.get("auditor", "/api/v1/wipe-certificates?status=lost")).status_code == 422
    assert (await api.get("charity", "/api/v1/wipe-certificates")).status_code == 403
    export = await api.get("auditor", "/api/v1/wipe-certificates?format=csv")
    assert export.status_code == 200 and export.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in export.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [int(r["certificate_id"]) for r in rows] == ids
    assert (
        rows[0]["status"] == "verified" and rows[0]["reviewed_by"] == "helpdesk2" and rows[0]["policy_accepts"] == "yes"
    )
    assert rows[1]["performed_by"].startswith("'="), "a formula must arrive as text"
    only = list(
        csv.DictReader(
            io.StringIO((await api.get("auditor", "/api/v1/wipe-certificates?format=csv&status=recorded")).text)
        )
    )
    assert [int(r["certificate_id"]) for r in only] == ids[1:]
    second_device = int(rows[1]["device_id"])
    one = await api.get("auditor", f"/api/v1/wipe-certificates?format=csv&device_id={second_device}")
    assert [int(r["certificate_id"]) for r in csv.DictReader(io.StringIO(one.text))] == [ids[1]]
    misspelt = await api.get("auditor", "/api/v1/wipe-certificates?format=csv&status=lost")
    assert misspelt.status_code == 422 and misspelt.json()["errors"][0]["field"] == "status"


async def test_no_media_attestation(api: Api) -> None:
    monitor = await retired(api, 1, kind="monitor")
    url = f"/api/v1/devices/{monitor['id']}/no-media-attestation"
    assert (await api.post("helpdesk", url, {"statement": "x"})).status_code == 422
    response = await api.post("helpdesk", url, {"statement": "A monitor has no storage media."})
    assert response.status_code == 201, response.text
    assert (response.json()["device_status"], response.json()["attested_by"]) == ("wiped", "helpdesk")
    events = (await api.get("auditor", f"/api/v1/devices/{monitor['id']}/events")).json()["items"]
    assert events[-1]["details"] == {"attestation_id": response.json()["id"]}
    assert (await api.post("helpdesk", url, {"statement": "Again"})).status_code == 409
    laptop = await retired(api, 2)
    refused = await api.post("helpdesk", f"/api/v1/devices/{laptop['id']}/no-media-attestation", {"statement": "None"})
    assert refused.status_code == 409 and "1 storage medium(s) listed" in refused.json()["detail"]
    [ssd] = await media(api, laptop["id"])
    await api.client.delete(f"/api/v1/devices/{laptop['id']}/media/{ssd['id']}",
                            params={"version": 1, "reason": "gone"}, headers=api.headers("helpdesk"))  # fmt: skip
    model_says = await api.post(
        "helpdesk", f"/api/v1/devices/{laptop['id']}/no-media-attestation", {"statement": "None"}
    )
    assert model_says.status_code == 409 and "usually carries 1" in model_says.json()["detail"]
    in_use = await retired(api, 3, kind="monitor", retire=False)
    early = await api.post("helpdesk", f"/api/v1/devices/{in_use['id']}/no-media-attestation", {"statement": "No disk"})
    assert early.status_code == 409 and await status_of(api, in_use["id"]) == "in_stock"
    assert await count(api.app, "no_media_attestations") == 1  # only the monitor's


async def test_idempotent_certificate_and_import_requests(api: Api) -> None:
    device = await retired(api, 1, serial=LAPTOP_SERIAL)
    key = {"Idempotency-Key": "wipe-upload-1"}
    first = await api.client.post(
        f"/api/v1/devices/{device['id']}/wipe-certificates", files={"report": part("blancco_laptop_ssd_purge.xml")},
        headers=api.headers("helpdesk", **key),
    )  # fmt: skip
    replay = await api.client.post(
        f"/api/v1/devices/{device['id']}/wipe-certificates", files={"report": part("blancco_laptop_ssd_purge.xml")},
        headers=api.headers("helpdesk", **key),
    )  # fmt: skip
    assert first.status_code == replay.status_code == 201
    assert replay.headers.get("idempotent-replayed") == "true" and replay.json() == first.json()
    assert await count(api.app, "wipe_certificates") == 1

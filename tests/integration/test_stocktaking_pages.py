"""The stock-taking pages without a browser: plain form posts (no JavaScript) and htmx fragments."""

from __future__ import annotations

import re

from tests.integration.conftest import Api, seed_device, seed_model, ui_login


async def test_scan_page_without_javascript_and_with_htmx(api: Api) -> None:
    model = await seed_model(api)
    here = await seed_device(api, model["id"], asset_tag="KL-1", serial_number="SN-1", location="Magazijn")
    away = await seed_device(api, model["id"], asset_tag="KL-2", serial_number="SN-2", location="Kantoor")
    token = await ui_login(api, "helpdesk")
    empty = await api.client.get("/stock-audits")
    assert "No stock-taking audits yet." in empty.text
    assert '<option value="Kantoor">' in empty.text and '<option value="Magazijn">' in empty.text

    refused = await api.client.post("/stock-audits", data={"_csrf_token": token, "location": " "})
    assert refused.status_code == 422
    assert "Name the location to count." in refused.text
    started = await api.client.post("/stock-audits", data={"_csrf_token": token, "location": "Magazijn"})
    assert started.status_code == 303
    url = started.headers["location"]
    aid = int(url.rsplit("/", 1)[1])
    page = await api.client.get(url)
    assert re.search(r'<input id="term" name="term"[^>]*autofocus', page.text)
    assert "Nothing scanned yet." in page.text
    twice = await api.client.post("/stock-audits", data={"_csrf_token": token, "location": "magazijn"})
    assert twice.status_code == 409
    assert f'href="/stock-audits/{aid}"' in twice.text

    # A plain form post: redirected back to the page, which says what the scan found.
    posted = await api.client.post(f"{url}/scans", data={"_csrf_token": token, "term": "KL-1"})
    assert posted.status_code == 303
    back = await api.client.get(posted.headers["location"])
    assert "KL-1 found: Dell Latitude 5440." in back.text
    assert re.search(r'id="figure-found">1<', back.text)
    again = await api.client.post(f"{url}/scans", data={"_csrf_token": token, "term": "kl-1"})
    assert "repeated=1" in again.headers["location"]
    assert (
        "KL-1 was already scanned by helpdesk; it is counted once."
        in (await api.client.get(again.headers["location"])).text
    )

    # htmx: only the results come back, with the misplaced device's move-here button.
    hx = {"HX-Request": "true"}
    fragment = await api.client.post(f"{url}/scans", data={"_csrf_token": token, "term": "SN-2"}, headers=hx)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "KL-2 is registered at Kantoor, not here." in fragment.text
    scan_id = re.search(r"/scans/(\d+)/move-here", fragment.text).group(1)  # type: ignore[union-attr]
    blank = await api.client.post(f"{url}/scans", data={"_csrf_token": token, "term": ""}, headers=hx)
    assert blank.status_code == 422
    assert "Not recorded. Scan or type an asset tag or serial number." in blank.text
    moved = await api.client.post(f"{url}/scans/{scan_id}/move-here", data={"_csrf_token": token}, headers=hx)
    assert "KL-2 moved here." in moved.text
    assert (await api.get("helpdesk", f"/api/v1/devices/{away['id']}")).json()["location"] == "Magazijn"

    upload = await api.client.post(
        f"{url}/upload", data={"_csrf_token": token}, files={"list": ("tags.txt", b"KL-1\nGHOST\n", "text/plain")}
    )
    assert upload.status_code == 303
    assert "List of 2 lines: 0 found, 0 registered elsewhere, 1 unknown, 1 scanned before." in (
        await api.client.get(upload.headers["location"])).text  # fmt: skip

    closed = await api.client.post(f"{url}/close", data={"_csrf_token": token})
    report = await api.client.get(closed.headers["location"])
    assert "Audit closed: 2 of 2 expected devices found, 0 missing." in report.text
    assert "Nothing is missing: every expected device was scanned." in report.text
    late = await api.client.post(f"{url}/scans", data={"_csrf_token": token, "term": "KL-1"})
    assert late.status_code == 409
    assert f"Audit #{aid} is closed and can no longer change" in late.text
    csv = await api.client.get(f"{url}/report.csv")
    assert csv.text.splitlines()[1:] == [
        f"found,KL-1,SN-1,Dell,Latitude 5440,in_stock,Magazijn,KL-1,helpdesk,{_at(csv.text, 1)},,",
        f"moved,KL-2,SN-2,Dell,Latitude 5440,in_stock,Kantoor,SN-2,helpdesk,{_at(csv.text, 2)},helpdesk,",
        f"unknown,,,,,,,GHOST,helpdesk,{_at(csv.text, 3)},,",
    ]
    assert here["id"] != away["id"]


def _at(text: str, line: int) -> str:
    return text.splitlines()[line].split(",")[9]


async def test_missing_devices_reported_lost_from_the_report(api: Api) -> None:
    model = await seed_model(api)
    kept = await seed_device(api, model["id"], asset_tag="KL-1", serial_number="SN-1", location="Magazijn")
    gone = await seed_device(api, model["id"], asset_tag="KL-2", serial_number="SN-2", location="Magazijn")
    retired = await seed_device(api, model["id"], asset_tag="KL-3", serial_number="SN-3", location="Magazijn")
    assert (
        await api.post("helpdesk", f"/api/v1/devices/{retired['id']}/retire", {"reason": "broken"})
    ).status_code == 200
    token = await ui_login(api, "helpdesk")
    url = (await api.client.post("/stock-audits", data={"_csrf_token": token, "location": "Magazijn"})).headers[
        "location"
    ]
    await api.client.post(f"{url}/scans", data={"_csrf_token": token, "term": "KL-1"})
    report = await api.client.get(
        (await api.client.post(f"{url}/close", data={"_csrf_token": token})).headers["location"]
    )
    assert "1 of 3 expected devices found, 2 missing." in report.text
    assert "A device that is retired cannot be reported lost (moves allowed now: wipe)." in report.text
    assert "Report all 1 that can be lost" in report.text
    lost = await api.client.post(f"{url}/lost", data={"_csrf_token": token, "device_id": [str(gone["id"])]})
    assert lost.status_code == 303
    after = await api.client.get(lost.headers["location"])
    assert "1 missing device(s) reported lost." in after.text
    assert "Reported lost by helpdesk" in after.text
    assert (await api.get("helpdesk", f"/api/v1/devices/{gone['id']}")).json()["status"] == "lost"
    refused = await api.client.post(f"{url}/lost", data={"_csrf_token": token, "device_id": [str(retired["id"])]})
    assert refused.status_code == 409
    assert "Nothing was reported lost." in refused.text
    assert (await api.get("helpdesk", f"/api/v1/devices/{kept['id']}")).json()["status"] == "in_stock"
    # The auditor reads the report but is offered no actions.
    await api.client.post("/logout", data={"_csrf_token": token})
    await ui_login(api, "auditor")
    read_only = await api.client.get(url)
    assert read_only.status_code == 200
    assert "Report lost" not in read_only.text

"""Asset label PDFs: the QR code printed on each label, decoded from the rendered page, opens the device."""

from __future__ import annotations

import re
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp

from service.settings import Settings
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api, seed_device, seed_model, ui_login

BASE = "https://assets.example.nl"


@pytest.fixture
def settings(database: Database) -> Settings:
    return make_settings(database.url, base_url=BASE, label_max_per_request=30)


def _pages(pdf: bytes) -> list[tuple[list[str], str, tuple[float, float]]]:
    """Per page: the QR codes decoded from the page rendered at 300 dpi, its text, and its size in mm."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    for page in document:
        image = page.render(scale=300 / 72).to_pil()
        codes = sorted(r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode))
        text = page.get_textpage().get_text_range()
        width, height = page.get_size()
        pages.append((codes, text, (round(width / 72 * 25.4, 1), round(height / 72 * 25.4, 1))))
    return pages


async def _devices(api: Api, n: int) -> list[dict[str, Any]]:
    model = await seed_model(api, manufacturer="Lenovo", name="ThinkPad T14")
    return [await seed_device(api, model["id"], asset_tag=f"KL-{i:03d}", serial_number=f"PF{i:05d}") for i in range(n)]


async def test_one_device_label_on_each_stock(api: Api) -> None:
    [device] = await _devices(api, 1)
    url = f"/api/v1/devices/{device['id']}/label"
    roll = await api.get("helpdesk", url, params={"sheet": "roll-62"})
    assert roll.status_code == 200
    assert roll.headers["content-type"] == "application/pdf"
    [(codes, text, size)] = _pages(roll.content)
    assert codes == [f"{BASE}/devices/{device['id']}"]
    assert size == (62.0, 29.0)
    assert text.split("\r\n") == ["KL-000", "Lenovo ThinkPad T14", "S/N PF00000"]

    sheet = await api.get("admin", url)  # the API's default stock: an A4 sheet
    [(codes, text, size)] = _pages(sheet.content)
    assert codes == [f"{BASE}/devices/{device['id']}"]
    assert size == (210.0, 297.0)
    assert "KL-000" in text


async def test_batch_fills_a4_sheets_of_24_in_the_order_given(api: Api) -> None:
    devices = await _devices(api, 26)
    ids = [d["id"] for d in reversed(devices)]
    response = await api.post("helpdesk", "/api/v1/labels", {"sheet": "a4-3x8", "device_ids": ids})
    assert response.status_code == 200, response.text
    pages = _pages(response.content)
    assert len(pages) == 2
    assert pages[0][0] == sorted(f"{BASE}/devices/{i}" for i in ids[:24])
    assert pages[1][0] == sorted(f"{BASE}/devices/{i}" for i in ids[24:])
    # Row by row from the top left: the first label printed is the last device registered.
    assert pages[0][1].split("\r\n")[0] == "KL-025"
    assert re.findall(r"KL-\d+", pages[1][1]) == ["KL-001", "KL-000"]


async def test_batch_by_the_device_lists_filter(api: Api) -> None:
    await _devices(api, 3)
    response = await api.post("helpdesk", "/api/v1/labels", {"sheet": "roll-62", "filter": {"q": "kl-00"}})
    assert response.status_code == 200, response.text
    pages = _pages(response.content)
    assert [p[0] for p in pages] == [[f"{BASE}/devices/{i}"] for i in (1, 2, 3)]


@pytest.mark.parametrize(
    ("body", "field", "detail"),
    [
        ({"device_ids": []}, "device_ids", "choose at least one device"),
        ({"device_ids": [1, 999, 998]}, "device_ids", "no device has id 999, 998"),
        ({"device_ids": list(range(1, 32))}, "device_ids", "at most 30 labels fit in one request"),
        ({"filter": {"q": "nothing-like-this"}}, "device_ids", "no devices match these filters"),
        ({"filter": {}}, "device_ids", "at most 30 labels fit in one request"),
    ],
)
async def test_bad_selections_are_problems(api: Api, body: dict[str, Any], field: str, detail: str) -> None:
    await _devices(api, 31)
    response = await api.post("helpdesk", "/api/v1/labels", {"sheet": "a4-3x8", **body})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"][0]["field"] == field
    assert problem["detail"].startswith(detail)


async def test_shape_errors_roles_and_unknown_device(api: Api) -> None:
    [device] = await _devices(api, 1)
    both = await api.post("helpdesk", "/api/v1/labels", {"device_ids": [1], "filter": {}})
    assert both.status_code == 422
    assert "give device_ids or filter" in both.json()["detail"]
    sheet = await api.get("helpdesk", f"/api/v1/devices/{device['id']}/label", params={"sheet": "a5"})
    assert sheet.status_code == 422
    missing = await api.get("helpdesk", "/api/v1/devices/999/label")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No device has id 999."
    for who in ("finance", "auditor", "charity"):
        assert (await api.get(who, f"/api/v1/devices/{device['id']}/label")).status_code == 403


async def test_pages_print_labels_and_sign_in_returns_to_the_scanned_url(api: Api) -> None:
    [device] = await _devices(api, 1)
    # Scanning the QR code while signed out: the device page sends the person to sign in, and back.
    signed_out = await api.client.get(f"/devices/{device['id']}?from=label")
    assert signed_out.status_code == 302
    assert signed_out.headers["location"] == f"/login?next=/devices/{device['id']}%3Ffrom%3Dlabel"
    token = await ui_login(api, "helpdesk")
    page = await api.client.get("/login", params={"next": f"/devices/{device['id']}"})
    back = await api.client.post(
        "/login",
        data={
            "username": "helpdesk",
            "password": "correct horse battery",
            "next": f"/devices/{device['id']}",
            "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1),
        },  # type: ignore[union-attr]
    )
    assert back.headers["location"] == f"/devices/{device['id']}"

    detail = await api.client.get(f"/devices/{device['id']}")
    assert f'action="/devices/{device["id"]}/label"' in detail.text
    assert "Print label" in detail.text
    label = await api.client.get(f"/devices/{device['id']}/label", params={"sheet": "roll-62"})
    assert label.headers["content-type"] == "application/pdf"
    assert _pages(label.content)[0][0] == [f"{BASE}/devices/{device['id']}"]

    listing = await api.client.get("/devices", params={"q": "KL-000"})
    assert "Labels for these devices" in listing.text
    batch = await api.client.post(
        "/labels", data={"_csrf_token": token, "q": "KL-000", "status": "", "sheet": "a4-3x8"}
    )
    assert batch.status_code == 200
    assert _pages(batch.content)[0][0] == [f"{BASE}/devices/{device['id']}"]
    chosen = await api.client.post("/labels", data={"_csrf_token": token, "device_id": ["999"], "sheet": "a4-3x8"})
    assert chosen.status_code == 422
    assert "no device has id 999" in chosen.text


async def test_labels_for_the_list_keep_its_company_and_cost_centre_filters(api: Api) -> None:
    zorg = (await api.post("admin", "/api/v1/companies/", json={"name": "Kringloop Zorg B.V."})).json()
    model = await seed_model(api)
    ict = await seed_device(api, model["id"], asset_tag="KL-1", serial_number="S1", cost_centre="ICT",
                            company_id=zorg["id"])  # fmt: skip
    await seed_device(api, model["id"], asset_tag="KL-2", serial_number="S2", cost_centre="ICT")
    await seed_device(api, model["id"], asset_tag="KL-3", serial_number="S3", company_id=zorg["id"])
    token = await ui_login(api, "helpdesk")
    listing = (await api.client.get("/devices", params={"company_id": zorg["id"], "cost_centre": "ICT"})).text
    assert f'name="company_id" value="{zorg["id"]}"' in listing and 'name="cost_centre" value="ICT"' in listing
    batch = await api.client.post("/labels", data={
        "_csrf_token": token, "q": "", "status": "", "company_id": str(zorg["id"]), "cost_centre": "ICT",
        "sheet": "roll-62",
    })  # fmt: skip
    assert batch.status_code == 200
    assert [p[0] for p in _pages(batch.content)] == [[f"{BASE}/devices/{ict['id']}"]]

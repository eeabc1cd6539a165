"""Shared steps for the wipe tests: retired devices, report uploads, certificates typed by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.integration.conftest import Api, seed_device, seed_model

FIXTURES = Path(__file__).parent.parent / "fixtures" / "wipes"
LAPTOP_SERIAL = "DL5440-7H2K9Q3"  # the computer in blancco_laptop_ssd_purge.xml
LAPTOP_SSD = "S6PTNM0T612345"  # its SSD
NWIPE_HDD = "WD-WXE1A65KLM9P"  # the disk in nwipe_hdd_success.json
DESKTOP_SERIAL, DESKTOP_HDD, DESKTOP_SSD = "CZC0417XJ2", "ZN1A2B3C", "50026B7782A1C3D4"
TYPES = {".xml": "application/xml", ".json": "application/json", ".pdf": "application/pdf"}


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def part(name: str, data: bytes | None = None, content_type: str | None = None) -> tuple[str, bytes, str]:
    return name, fixture(name) if data is None else data, content_type or TYPES[Path(name).suffix]


async def model(api: Api, name: str, category: str, count: int, media_type: str | None) -> dict[str, Any]:
    found = (await api.get("helpdesk", f"/api/v1/device-models?q={name}")).json()["items"]
    if found:
        return found[0]
    return await seed_model(api, name=name, category=category, storage_media_count=count, storage_media_type=media_type)


async def retired(
    api: Api,
    n: int,
    *,
    kind: str = "laptop",
    serial: str | None = None,
    retire: bool = True,
) -> dict[str, Any]:
    """A device of the kind asked for, registered (with its model's media) and retired."""
    kinds = {
        "laptop": ("Latitude 5440", "laptop", 1, "ssd"),
        "desktop": ("ProDesk 400 G7", "desktop", 1, "hdd"),
        "monitor": ("P2422H", "monitor", 0, None),
        "phone": ("Fairphone 5", "phone", 1, "phone_memory"),
    }
    name, category, count, media_type = kinds[kind]
    m = await model(api, name, category, count, media_type)
    device = await seed_device(api, m["id"], asset_tag=f"W-{n}", serial_number=serial or f"WSN-{n}")
    if retire:
        response = await api.post("helpdesk", f"/api/v1/devices/{device['id']}/retire", {"reason": "Mainboard failure"})
        assert response.status_code == 200, response.text
    return device


async def media(api: Api, device_id: int) -> list[dict[str, Any]]:
    response = await api.get("helpdesk", f"/api/v1/devices/{device_id}/media")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def set_serial(api: Api, device_id: int, medium: dict[str, Any], serial: str) -> dict[str, Any]:
    response = await api.patch(
        "helpdesk",
        f"/api/v1/devices/{device_id}/media/{medium['id']}",
        {"version": medium["version"], "serial": serial},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def upload(api: Api, who: str, device_id: int, file: tuple[str, bytes, str], **fields: str) -> Any:
    return await api.client.post(
        f"/api/v1/devices/{device_id}/wipe-certificates",
        files={"report": file},
        data=fields or None,
        headers=api.headers(who),
    )


async def import_reports(api: Api, who: str, *files: tuple[str, bytes, str], **fields: str) -> Any:
    return await api.client.post(
        "/api/v1/wipe-certificates/import",
        files=[("files", f) for f in files],
        data=fields or None,
        headers=api.headers(who),
    )


def manual(medium_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "medium_id": medium_id,
        "method": "purge",
        "technique": "crypto erase",
        "tool": "Blancco Drive Eraser",
        "tool_version": "7.12.1",
        "verification_method": "full",
        "verification_result": "Successful, all blocks read back as zeros",
        "performed_by": "Jesse Visser",
        "performed_at": "2026-11-20T10:00:00+01:00",
        "destination": "external_reuse",
        **overrides,
    }


async def record(api: Api, device_id: int, medium_id: int, who: str = "helpdesk", **overrides: Any) -> dict[str, Any]:
    response = await api.post(who, f"/api/v1/devices/{device_id}/wipe-certificates", manual(medium_id, **overrides))
    assert response.status_code == 201, response.text
    return response.json()["certificates"][0]


async def status_of(api: Api, device_id: int) -> str:
    return str((await api.get("auditor", f"/api/v1/devices/{device_id}")).json()["status"])

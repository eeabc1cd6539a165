"""Employees and device models: create, read, change with versions, and their validation."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Api, seed_device, seed_employee, seed_model


async def test_employee_crud_and_email_uniqueness(api: Api) -> None:
    sanne = await seed_employee(api, "Sanne de Jong", "Sanne@Example.nl")
    assert sanne["email"] == "sanne@example.nl" and sanne["active"] is True and sanne["version"] == 1
    duplicate = await api.post("helpdesk", "/api/v1/employees", {"name": "Other", "email": "SANNE@example.nl"})
    assert duplicate.status_code == 409 and duplicate.json()["errors"][0]["field"] == "email"
    changed = await api.patch("helpdesk", f"/api/v1/employees/{sanne['id']}", {"version": 1, "name": "Sanne Bakker"})
    assert changed.status_code == 200 and changed.json()["version"] == 2
    found = (await api.get("finance", "/api/v1/employees?q=bakker")).json()["items"]
    assert [e["id"] for e in found] == [sanne["id"]]
    assert (await api.get("finance", "/api/v1/employees/999")).status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"name": "", "email": "a@example.nl"}, "name"),
    ({"name": "A", "email": "not-an-email"}, "email"),
    ({"name": "A", "email": "a@example.nl", "salary": 1}, "salary"),
])
async def test_employee_validation(api: Api, body: dict[str, object], field: str) -> None:
    response = await api.post("helpdesk", "/api/v1/employees", body)
    assert response.status_code == 422 and field in [e["field"] for e in response.json()["errors"]]


async def test_device_model_crud(api: Api) -> None:
    model = await seed_model(api)
    assert model["storage_media_type"] == "ssd" and model["category"] == "laptop"
    duplicate = await api.post("helpdesk", "/api/v1/device-models",
                               {"manufacturer": "dell", "name": "latitude 5440", "category": "laptop",
                                "storage_media_type": "ssd"})
    assert duplicate.status_code == 409
    monitor = await seed_model(api, manufacturer="Dell", name="P2422H", category="monitor", storage_media_count=0,
                               storage_media_type=None)
    assert monitor["storage_media_count"] == 0
    no_type = await api.post("helpdesk", "/api/v1/device-models",
                             {"manufacturer": "HP", "name": "X", "category": "laptop", "storage_media_count": 1})
    assert no_type.status_code == 422 and no_type.json()["errors"][0]["field"] == "storage_media_type"
    laptops = (await api.get("auditor", "/api/v1/device-models?category=laptop")).json()["items"]
    assert [m["id"] for m in laptops] == [model["id"]]
    renamed = await api.patch("helpdesk", f"/api/v1/device-models/{model['id']}",
                              {"version": 1, "name": "Latitude 5450"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Latitude 5450"


async def test_model_manufacturer_is_fixed_once_devices_use_it(api: Api) -> None:
    model = await seed_model(api)
    await seed_device(api, model["id"])
    response = await api.patch("helpdesk", f"/api/v1/device-models/{model['id']}",
                               {"version": 1, "manufacturer": "Lenovo"})
    assert response.status_code == 409


async def test_bad_category_is_refused(api: Api) -> None:
    response = await api.post("helpdesk", "/api/v1/device-models",
                              {"manufacturer": "X", "name": "Y", "category": "toaster", "storage_media_count": 0})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "category"


async def test_a_patch_never_empties_what_cannot_be_empty(api: Api) -> None:
    employee = (await api.post("helpdesk", "/api/v1/employees", {"name": "Bo Smit", "email": "bo@example.org"})).json()
    url = f"/api/v1/employees/{employee['id']}"
    for field in ("name", "email", "department", "active"):
        refused = await api.patch("helpdesk", url, {"version": 1, field: None})
        assert refused.status_code == 422 and refused.json()["errors"] == [
            {"field": field, "message": "cannot be emptied"}
        ], refused.text
    assert (await api.get("helpdesk", url)).json() == employee

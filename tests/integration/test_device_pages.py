"""The device page's lifecycle forms, on both databases: each move through the page, a form error and an
illegal move re-render the page with the message and change nothing."""

from __future__ import annotations

import pytest

from tests.integration.conftest import Api, seed_device, seed_employee, seed_model, ui_login

pytestmark = pytest.mark.usefixtures("api")


async def _status(api: Api, device_id: int) -> tuple[str, int]:
    got = (await api.get("helpdesk", f"/api/v1/devices/{device_id}")).json()
    return got["status"], got["version"]


async def test_every_move_through_the_page(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    holder = await seed_employee(api)
    csrf = await ui_login(api, "helpdesk")
    did = device["id"]
    steps = [
        ("assign", {"employee_id": str(holder["id"])}, "in_use"),
        ("repair", {"supplier": "Fixers", "expected_cost": "80,00", "reason": "Hinge"}, "in_repair"),
        ("return", {"cost": "75.50", "outcome": "repaired"}, "in_use"),
        ("unassign", {"reason": "Left the company"}, "in_stock"),
        ("lost", {"reason": "Left on a train"}, "lost"),
    ]
    for move, form, expected in steps:
        answer = await api.client.post(f"/devices/{did}/{move}", data={"_csrf_token": csrf, **form})
        assert answer.status_code == 303, (move, answer.text[:300])
        assert answer.headers["location"] == f"/devices/{did}?done={move}"
        assert (await _status(api, did))[0] == expected, move
    other = await seed_device(api, model["id"], asset_tag="KL-2", serial_number="SN-2")
    retired = await api.client.post(f"/devices/{other['id']}/retire", data={"_csrf_token": csrf, "reason": "Broken"})
    assert retired.status_code == 303 and (await _status(api, other["id"]))[0] == "retired"


async def test_a_refused_form_shows_why_and_changes_nothing(api: Api) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    csrf = await ui_login(api, "helpdesk")
    before = await _status(api, device["id"])

    too_short = await api.client.post(f"/devices/{device['id']}/retire", data={"_csrf_token": csrf, "reason": "x"})
    assert too_short.status_code == 422 and too_short.headers["content-type"].startswith("text/html")
    assert 'aria-invalid="true"' in too_short.text and "at least 3 characters" in too_short.text

    illegal = await api.client.post(f"/devices/{device['id']}/return", data={"_csrf_token": csrf})
    assert illegal.status_code == 409 and "cannot return" in illegal.text
    assert await _status(api, device["id"]) == before

    finance_csrf = await ui_login(api, "finance")
    refused = await api.client.post(
        f"/devices/{device['id']}/lost", data={"_csrf_token": finance_csrf, "reason": "x y z"}
    )
    assert refused.status_code == 403
    assert await _status(api, device["id"]) == before

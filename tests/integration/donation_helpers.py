"""Shared steps for the donation tests: valued devices in the pool, shares, a submitted or approved donation."""

from __future__ import annotations

from typing import Any

from service.jobs.service import manual_slot, run_job
from tests.integration.conftest import Api
from tests.integration.test_valuation_pool import wiped_device

CHARITY, SECOND = 1, 2  # the api fixture's two charities: "charity" belongs to the first, "charity2" to the second


async def credit(api: Api, n: int, amount: str) -> dict[str, Any]:
    """A device valued at exactly ``amount`` and credited to the pool."""
    device = await wiped_device(api, n)
    v = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json()
    over = await api.post("finance", f"/api/v1/valuations/{v['id']}/override", {"amount": amount, "reason": "Quote"})
    assert over.status_code == 200, over.text
    accepted = await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    return {**device, "valuation_id": v["id"]}


async def set_shares(api: Api, first: str, second: str, **charity: Any) -> None:
    body = {"shares": [{"charity_id": CHARITY, "share": first}, {"charity_id": SECOND, "share": second}]}
    response = await api.put("admin", "/api/v1/charities/shares", body)
    assert response.status_code == 200, response.text
    for charity_id in (CHARITY, SECOND):
        if charity:
            current = (await api.get("admin", f"/api/v1/charities/{charity_id}")).json()
            patched = await api.patch(
                "admin", f"/api/v1/charities/{charity_id}", {"version": current["version"], **charity}
            )
            assert patched.status_code == 200, patched.text


async def run(api: Api) -> list[dict[str, Any]]:
    response = await api.post("finance", "/api/v1/donations/run")
    assert response.status_code == 200, response.text
    return response.json()["donations"]


async def approved(api: Api, donation_id: int, approvers: tuple[str, ...] = ("finance2",)) -> dict[str, Any]:
    submitted = await api.post("finance", f"/api/v1/donations/{donation_id}/submit")
    assert submitted.status_code == 200, submitted.text
    body: dict[str, Any] = {}
    for who in approvers:
        response = await api.post(who, f"/api/v1/donations/{donation_id}/approve")
        assert response.status_code == 200, response.text
        body = response.json()
    assert body["status"] == "approved", body
    return body


async def run_delivery_job(api: Api) -> dict[str, Any]:
    state = api.app.state
    result = await run_job(
        state.sessionmaker,
        state.jobs["statement-delivery"],
        slot=manual_slot(),
        triggered_by="test",
        ports=state.ports,
        settings=state.settings,
    )
    assert result is not None and result.outcome == "succeeded", result and result.message
    return result.counts

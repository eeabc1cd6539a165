"""The demo organisation is two companies, on both databases: devices, employees and pool credits in each, cost
centres on devices, the care company's own shares, and a helpdesk login that sees its own company only."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from service.app import create_app
from service.demo import DEMO_LOGINS, DEMO_PASSWORD, SCOPED_LOGINS, ZORG, load_demo
from service.settings import Settings


async def test_the_demo_has_two_companies_and_a_login_scoped_to_one(settings: Settings) -> None:
    demo = settings.model_copy(update={"demo_mode": True})
    await load_demo(demo)
    assert SCOPED_LOGINS["helpdesk-zorg"] == ZORG.name
    assert ("helpdesk-zorg", "helpdesk") in [(u, r.value) for u, r in DEMO_LOGINS]
    app = create_app(demo)
    try:
        async with app.state.engine.connect() as conn:
            companies = dict((await conn.execute(sa.text("SELECT name, id FROM companies"))).all())
            zorg = companies[ZORG.name]
            devices = dict((await conn.execute(sa.text("SELECT company_id, count(*) FROM devices GROUP BY 1"))).all())
            employees = dict(
                (await conn.execute(sa.text("SELECT company_id, count(*) FROM employees GROUP BY 1"))).all()
            )
            credits = dict((await conn.execute(sa.text(
                "SELECT company_id, count(*) FROM pool_entries WHERE kind = 'credit' GROUP BY 1"
            ))).all())  # fmt: skip
            # A credit lands in its device's company's pool, whoever's demo step wrote it.
            misplaced = (await conn.execute(sa.text(
                "SELECT count(*) FROM pool_entries p JOIN devices d ON d.id = p.device_id "
                "WHERE p.company_id <> d.company_id"
            ))).scalar_one()  # fmt: skip
            # Every holder works for the company that owns the device.
            strangers = (await conn.execute(sa.text(
                "SELECT count(*) FROM devices d JOIN employees e ON e.id = d.holder_id "
                "WHERE e.company_id <> d.company_id"
            ))).scalar_one()  # fmt: skip
            found = await conn.execute(sa.text("SELECT DISTINCT cost_centre FROM devices"))
            centres = {r[0] for r in found.all()}
            own_shares = (await conn.execute(
                sa.text("SELECT count(*) FROM company_shares WHERE company_id = :id"), {"id": zorg}
            )).scalar_one()  # fmt: skip
        assert len(companies) == 2
        assert min(devices.values()) >= 40 and sum(devices.values()) > 300  # the 300 and their replacements
        assert min(employees.values()) >= 15
        assert set(credits) == {1, zorg}
        assert (misplaced, strangers) == (0, 0)
        assert {"ICT", "Finance", "Zorg-Noord", ""} <= centres
        assert own_shares == 2

        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            signed_in = await client.post(
                "/api/v1/auth/token", json={"username": "helpdesk-zorg", "password": DEMO_PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
            listed = (await client.get("/api/v1/devices/?limit=200", headers=headers)).json()["items"]
            assert listed and {d["company_id"] for d in listed} == {zorg} and len(listed) == devices[zorg]
            seen = (await client.get("/api/v1/companies/", headers=headers)).json()["items"]
            assert [c["name"] for c in seen] == [ZORG.name]
            other = next(iter(await _ids_of(app, 1)))
            assert (await client.get(f"/api/v1/devices/{other}", headers=headers)).status_code == 404
    finally:
        await app.state.engine.dispose()


async def _ids_of(app: object, company_id: int) -> list[int]:
    async with app.state.engine.connect() as conn:  # type: ignore[attr-defined]
        stmt = sa.text("SELECT id FROM devices WHERE company_id = :c ORDER BY id LIMIT 1")
        return [r[0] for r in (await conn.execute(stmt, {"c": company_id})).all()]

"""Health, OpenAPI, error documents, the audit trail, the UI session and CSRF."""

from __future__ import annotations

import re

import httpx
import sqlalchemy as sa
from litestar import get

from service.app import create_app
from service.settings import Settings
from tests.integration.conftest import PASSWORD, Api, count, seed_employee, seed_model


async def test_health_needs_no_login(api: Api) -> None:
    assert (await api.client.get("/health/live")).json() == {"status": "ok"}
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


async def test_openapi_lists_the_public_routes(api: Api) -> None:
    schema = (await api.client.get("/schema/openapi.json")).json()
    for path in ("/api/v1/devices", "/api/v1/devices/{device_id}", "/api/v1/devices/{device_id}/assign",
                 "/api/v1/auth/token", "/api/v1/users", "/api/v1/employees", "/api/v1/device-models"):
        assert path in schema["paths"], path


async def test_unknown_api_route_is_a_problem_document(api: Api) -> None:
    response = await api.get("helpdesk", "/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    missing = await api.get("helpdesk", "/api/v1/devices/424242")
    assert missing.status_code == 404 and "424242" in missing.json()["detail"]


async def test_unexpected_error_is_500_with_correlation_id_and_no_trace(api: Api) -> None:
    @get("/api/v1/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    api.app.register(boom)
    response = await api.get("admin", "/api/v1/boom", headers={"X-Request-ID": "req-12345678"})
    assert response.status_code == 500
    body = response.json()
    assert body["correlation_id"] == "req-12345678" == response.headers["x-request-id"]
    assert "secret internal detail" not in response.text and "Traceback" not in response.text


async def test_every_mutation_is_audited_and_the_chain_verifies(api: Api) -> None:
    employee = await seed_employee(api)
    await api.patch("helpdesk", f"/api/v1/employees/{employee['id']}", {"version": 1, "department": "Finance"})
    model = await seed_model(api)
    records = (await api.get("auditor", "/api/v1/audit?entity_type=employee")).json()["items"]
    assert [r["action"] for r in records] == ["employee.create", "employee.update"]
    assert records[1]["before"] == {"department": "IT", "version": 1}
    assert records[1]["after"] == {"department": "Finance", "version": 2}
    assert records[1]["actor"] == "helpdesk" and records[1]["prev_hash"] == records[0]["hash"]
    assert (await api.get("auditor", "/api/v1/audit/verify")).json()["ok"] is True

    # Tampering with a record in the database is found, and the first broken record is named.
    async with api.app.state.engine.begin() as conn:
        await conn.execute(sa.text("UPDATE audit_records SET actor = 'mallory' WHERE seq = 2"))
    verdict = (await api.get("auditor", "/api/v1/audit/verify")).json()
    assert verdict["ok"] is False and verdict["first_broken_seq"] == 2
    assert model["id"]


async def test_concurrent_writers_never_fork_the_chain(api: Api) -> None:
    import asyncio

    results = await asyncio.gather(*[
        api.post("helpdesk", "/api/v1/employees", {"name": f"Person {n}", "email": f"p{n}@example.nl"})
        for n in range(12)
    ])
    assert all(r.status_code == 201 for r in results), [r.text for r in results if r.status_code != 201]
    verdict = (await api.get("auditor", "/api/v1/audit/verify")).json()
    assert verdict == {"ok": True, "checked": 12, "head_seq": 12, "first_broken_seq": None, "reason": None}


async def test_ui_login_sets_a_session_cookie_and_csrf_is_enforced(api: Api) -> None:
    client = api.client
    page = await client.get("/login")
    assert page.status_code == 200 and 'for="username"' in page.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    no_csrf = await client.post("/login", data={"username": "helpdesk", "password": PASSWORD})
    assert no_csrf.status_code == 403
    wrong = await client.post("/login", data={"username": "helpdesk", "password": "nope",
                                              "_csrf_token": token.group(1)})
    assert wrong.status_code == 401 and "wrong password" in wrong.text
    ok = await client.post("/login", data={"username": "helpdesk", "password": PASSWORD, "_csrf_token": token.group(1),
                                           "next": "https://evil.example/"})
    assert ok.status_code in (302, 303) and ok.headers["location"] == "/"
    home = await client.get("/")
    assert home.status_code == 200 and "Fleet" in home.text
    # The session cookie is not a bearer token for the API.
    assert (await client.get("/api/v1/devices")).status_code == 401


async def test_pages_redirect_to_login_when_signed_out(api: Api) -> None:
    response = await api.client.get("/", follow_redirects=False)
    assert response.status_code in (302, 303, 307) and response.headers["location"].startswith("/login")


async def test_demo_banner_only_in_demo_mode(api: Api, settings: Settings) -> None:
    assert 'class="demo-banner"' not in (await api.client.get("/login")).text
    demo = create_app(settings.model_copy(update={"demo_mode": True}))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=demo), base_url="http://testserver") as client:
        assert 'class="demo-banner"' in (await client.get("/login")).text
    await demo.state.engine.dispose()


async def test_nothing_is_written_by_a_refused_request(api: Api) -> None:
    before = await count(api.app, "audit_records")
    await api.post("finance", "/api/v1/employees", {"name": "X", "email": "x@example.nl"})
    await api.post("helpdesk", "/api/v1/employees", {"name": "", "email": "not-an-email"})
    assert await count(api.app, "audit_records") == before
    assert await count(api.app, "employees") == 0

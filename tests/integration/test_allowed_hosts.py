"""KRINGLOOP_ALLOWED_HOSTS: requests for another host name are refused; health probes are not."""

from __future__ import annotations

from tests.conftest import Database, make_settings


async def test_allowed_hosts_refuse_other_host_names_but_not_health_probes(database: Database) -> None:
    import httpx

    from service.app import create_app

    app = create_app(make_settings(database.url, allowed_hosts="kringloop.example.org"))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kringloop.example.org") as client:
            assert (await client.get("/login")).status_code == 200
            assert (await client.get("/login", headers={"Host": "evil.example"})).status_code == 400
            assert (await client.get("/health/live", headers={"Host": "127.0.0.1:8000"})).status_code == 200
    finally:
        await app.state.engine.dispose()

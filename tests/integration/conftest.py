"""An app per test on a fresh database, with one signed-in client per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from litestar import Litestar

from service.accounts.models import User
from service.accounts.passwords import hash_password
from service.app import create_app
from service.charities.models import Charity
from service.db import session_scope
from service.settings import Settings

PASSWORD = "correct horse battery"
_HASH: list[str] = []


def password_hash() -> str:
    # Argon2 is slow by design; hash the shared test password once per run.
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


@dataclass
class Api:
    """A test client that knows a bearer token per role."""

    client: httpx.AsyncClient
    app: Litestar
    tokens: dict[str, str] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)

    def headers(self, who: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}", **extra}

    async def get(self, who: str, url: str, **kw: Any) -> Any:
        return await self.client.get(url, headers=self.headers(who, **kw.pop("headers", {})), **kw)

    async def post(self, who: str, url: str, json: Any = None, **kw: Any) -> Any:
        return await self.client.post(url, json=json, headers=self.headers(who, **kw.pop("headers", {})), **kw)

    async def put(self, who: str, url: str, json: Any = None, **kw: Any) -> Any:
        return await self.client.put(url, json=json, headers=self.headers(who, **kw.pop("headers", {})), **kw)

    async def patch(self, who: str, url: str, json: Any = None, **kw: Any) -> Any:
        return await self.client.patch(url, json=json, headers=self.headers(who, **kw.pop("headers", {})), **kw)

    async def delete(self, who: str, url: str, **kw: Any) -> Any:
        return await self.client.delete(url, headers=self.headers(who, **kw.pop("headers", {})), **kw)


USERS = [
    ("admin", "admin"), ("helpdesk", "helpdesk"), ("helpdesk2", "helpdesk"), ("finance", "finance"),
    ("auditor", "auditor"), ("charity", "charity"),
    ("finance2", "finance"), ("finance3", "finance"), ("charity2", "charity"),
]


@pytest.fixture
async def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def api(app: Litestar) -> AsyncIterator[Api]:
    # In the test's own event loop (litestar's AsyncTestClient runs the app in another loop, and
    # asyncpg connections cannot cross loops).
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        result = Api(client=client, app=app)
        async with session_scope(app.state.sessionmaker) as session:
            charity = Charity(name="Test Charity")
            second = Charity(name="Second Test Charity")  # charity2's: the other charity in cross-charity tests
            session.add_all([charity, second])
            await session.flush()
            for username, role in USERS:
                user = User(username=username, role=role, password_hash=password_hash(), full_name=username.title(),
                            charity_id=(second.id if username == "charity2" else charity.id)
                            if role == "charity" else None)
                session.add(user)
                await session.flush()
                assert user.id is not None
                result.user_ids[username] = user.id
                result.tokens[username] = app.state.api_tokens.issue(user.id, user.session_epoch)
        yield result
    await app.state.engine.dispose()


async def count(app: Litestar, table: str) -> int:
    import sqlalchemy as sa

    async with app.state.engine.connect() as conn:
        return int((await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def seed_model(api: Api, **overrides: Any) -> dict[str, Any]:
    body = {"manufacturer": "Dell", "name": "Latitude 5440", "category": "laptop", "weight_grams": 1590,
            "storage_media_count": 1, "storage_media_type": "ssd", **overrides}
    response = await api.post("helpdesk", "/api/v1/device-models", body)
    assert response.status_code == 201, response.text
    return response.json()


async def seed_employee(api: Api, name: str = "Sanne de Jong", email: str | None = None) -> dict[str, Any]:
    email = email or f"{name.lower().replace(' ', '.')}@example.nl"
    response = await api.post("helpdesk", "/api/v1/employees", {"name": name, "email": email, "department": "IT"})
    assert response.status_code == 201, response.text
    return response.json()


def device_body(model_id: int, **overrides: Any) -> dict[str, Any]:
    return {"asset_tag": "KL-1", "serial_number": "SN-1", "model_id": model_id, "purchase_date": "2024-03-01",
            "purchase_price": "1249.00", **overrides}


async def seed_device(api: Api, model_id: int, **overrides: Any) -> dict[str, Any]:
    response = await api.post("helpdesk", "/api/v1/devices", device_body(model_id, **overrides))
    assert response.status_code == 201, response.text
    return response.json()


async def ui_login(api: Api, username: str) -> str:
    """Signs the test client in through the login form; returns the CSRF token for later form posts."""
    import re

    page = await api.client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, "login page has no CSRF token"
    response = await api.client.post("/login", data={"username": username, "password": PASSWORD,
                                                     "_csrf_token": token.group(1)})
    assert response.status_code in (302, 303), response.text
    return token.group(1)

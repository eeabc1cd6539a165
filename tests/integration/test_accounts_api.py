"""Sign-in, tokens, throttling, roles and user administration."""

from __future__ import annotations

import pytest
from litestar import Litestar

from tests.integration.conftest import PASSWORD, Api, count


async def _token(api: Api, username: str, password: str) -> object:
    return await api.client.post("/api/v1/auth/token", json={"username": username, "password": password})


async def test_token_for_good_credentials_works_as_bearer(api: Api) -> None:
    response = await _token(api, "helpdesk", PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    devices = await api.client.get("/api/v1/devices", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert devices.status_code == 200


@pytest.mark.parametrize("username,password", [("helpdesk", "wrong password"), ("nobody", PASSWORD)])
async def test_bad_credentials_are_401_problem(api: Api, username: str, password: str) -> None:
    response = await _token(api, username, password)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "wrong password" in response.json()["detail"]


async def test_login_is_throttled_after_repeated_failures(api: Api) -> None:
    for _ in range(5):
        assert (await _token(api, "finance", "guess")).status_code == 401
    throttled = await _token(api, "finance", PASSWORD)
    assert throttled.status_code == 429, "even the right password waits once the account is throttled"
    assert (await _token(api, "helpdesk", PASSWORD)).status_code == 200, "other accounts are not affected"
    assert await count(api.app, "login_attempts") == 6


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic aGVscGRlc2s6ZGVtbw=="},
     {"Authorization": "Bearer "}],
)
async def test_missing_or_bad_token_is_401(api: Api, headers: dict[str, str]) -> None:
    response = await api.client.get("/api/v1/devices", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_token_signed_with_another_secret_is_refused(api: Api, app: Litestar) -> None:
    from service.accounts.tokens import TokenSigner

    forged = TokenSigner("another-secret-entirely", purpose="api-token", max_age_seconds=60).issue(1, 1)
    response = await api.client.get("/api/v1/devices", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


ROLE_CASES = [
    ("GET", "/api/v1/devices", {"admin": 200, "helpdesk": 200, "finance": 200, "auditor": 200, "charity": 403}),
    ("POST", "/api/v1/employees", {"admin": 201, "helpdesk": 201, "finance": 403, "auditor": 403, "charity": 403}),
    ("GET", "/api/v1/users", {"admin": 200, "helpdesk": 403, "finance": 403, "auditor": 403, "charity": 403}),
    ("GET", "/api/v1/audit", {"admin": 200, "helpdesk": 403, "finance": 403, "auditor": 200, "charity": 403}),
]


@pytest.mark.parametrize("method,url,expected", ROLE_CASES, ids=[c[1] + c[0] for c in ROLE_CASES])
async def test_role_table_is_enforced(api: Api, method: str, url: str, expected: dict[str, int]) -> None:
    for n, (who, status) in enumerate(expected.items()):
        if method == "GET":
            response = await api.get(who, url)
        else:
            response = await api.post(who, url, {"name": f"Person {n}", "email": f"p{n}@example.nl"})
        assert response.status_code == status, f"{who} {method} {url}: {response.status_code} {response.text}"
        if status == 403:
            assert response.headers["content-type"].startswith("application/problem+json")


async def test_admin_manages_users(api: Api) -> None:
    created = await api.post("admin", "/api/v1/users",
                             {"username": "newfinance", "password": "a long enough pass", "role": "finance"})
    assert created.status_code == 201, created.text
    user = created.json()
    assert "password" not in user and "password_hash" not in user
    assert (await _token(api, "newfinance", "a long enough pass")).status_code == 200
    duplicate = await api.post("admin", "/api/v1/users",
                               {"username": "newfinance", "password": "a long enough pass", "role": "finance"})
    assert duplicate.status_code == 409
    deactivated = await api.patch("admin", f"/api/v1/users/{user['id']}", {"version": 1, "active": False})
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    assert (await _token(api, "newfinance", "a long enough pass")).status_code == 401


async def test_deactivation_revokes_existing_tokens(api: Api) -> None:
    assert (await api.get("finance", "/api/v1/devices")).status_code == 200
    user_id = api.user_ids["finance"]
    await api.patch("admin", f"/api/v1/users/{user_id}", {"version": 1, "active": False})
    assert (await api.get("finance", "/api/v1/devices")).status_code == 401


@pytest.mark.parametrize(
    "body,field",
    [
        ({"username": "c1", "password": "a long enough pass", "role": "charity"}, "charity_id"),
        ({"username": "h1", "password": "a long enough pass", "role": "helpdesk", "charity_id": 1}, "charity_id"),
        ({"username": "c2", "password": "a long enough pass", "role": "charity", "charity_id": 999}, "charity_id"),
        ({"username": "h2", "password": "short", "role": "helpdesk"}, "password"),
        ({"username": "Bad Name!", "password": "a long enough pass", "role": "helpdesk"}, "username"),
        ({"username": "h3", "password": "a long enough pass", "role": "root"}, "role"),
    ],
)
async def test_user_validation(api: Api, body: dict[str, object], field: str) -> None:
    before = (await api.get("admin", "/api/v1/users")).json()
    response = await api.post("admin", "/api/v1/users", body)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert (await api.get("admin", "/api/v1/users")).json() == before  # nothing was created


async def test_admin_cannot_lock_themselves_out(api: Api) -> None:
    url = f"/api/v1/users/{api.user_ids['admin']}"
    before = (await api.get("admin", url)).json()
    response = await api.patch("admin", url, {"version": 1, "active": False})
    assert response.status_code == 409
    after = await api.get("admin", url)  # the admin's own token still works, and nothing changed
    assert after.status_code == 200 and after.json() == before and before["active"] is True

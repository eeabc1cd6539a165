"""The language a request is answered in: the person's profile, else the browser, else the organisation."""

from __future__ import annotations

from typing import Any

import pytest

from service.app import create_app
from service.settings import Settings
from tests.conftest import make_settings
from tests.integration.conftest import Api, ui_login

NBSP = "\u00a0"


async def test_a_problem_document_in_dutch_for_a_dutch_browser(api: Api) -> None:
    response = await api.get("admin", "/api/v1/users/999", headers={"Accept-Language": "nl-NL,nl;q=0.9,en;q=0.5"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["title"] == "Niet gevonden"
    assert body["detail"] == "Er is geen gebruiker met id 999."
    assert body["type"] == "/problems/not-found"  # machine fields stay English


async def test_english_for_an_english_browser_and_the_organisation_default_without_one(api: Api) -> None:
    english = await api.get("admin", "/api/v1/users/999", headers={"Accept-Language": "en-GB"})
    assert english.json()["title"] == "Not found"
    unspecified = await api.get("admin", "/api/v1/users/999")
    assert unspecified.json()["title"] == "Not found"  # the tests' organisation default is English


async def test_the_profile_setting_beats_the_browser(api: Api) -> None:
    me = await api.get("finance", "/api/v1/profile")
    assert me.status_code == 200
    assert me.json()["locale"] is None
    saved = await api.patch("finance", "/api/v1/profile", {"locale": "nl"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["locale"] == "nl"
    answered = await api.get("finance", "/api/v1/users", headers={"Accept-Language": "en-US,en"})
    assert answered.status_code == 403
    assert answered.json()["title"] == "Geen toegang"
    refused = await api.patch("finance", "/api/v1/profile", {"locale": "de"})
    assert refused.status_code == 422
    back = await api.patch("finance", "/api/v1/profile", {"locale": None})
    assert back.json()["locale"] is None
    answered = await api.get("finance", "/api/v1/users", headers={"Accept-Language": "en-US,en"})
    assert answered.json()["title"] == "Forbidden"


async def test_the_pages_follow_the_profile_and_say_which_language_they_are_in(api: Api) -> None:
    csrf = await ui_login(api, "helpdesk")
    page = await api.client.get("/devices", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.text
    assert ">Devices<" in page.text
    switched = await api.client.post(
        "/profile", data={"locale": "nl", "next": "/devices", "_csrf_token": csrf}, headers={"Accept-Language": "en"}
    )
    assert switched.status_code in (302, 303)
    assert switched.headers["location"] == "/devices"
    page = await api.client.get("/devices", headers={"Accept-Language": "en"})
    assert '<html lang="nl">' in page.text
    assert ">Apparaten<" in page.text
    profile = await api.client.get("/profile")
    assert 'value="nl" lang="nl" selected' in profile.text


async def test_a_sign_in_page_speaks_the_browsers_language(api: Api) -> None:
    page = await api.client.get("/login", headers={"Accept-Language": "nl"})
    assert '<html lang="nl">' in page.text
    page = await api.client.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.text


@pytest.fixture
def dutch_settings(settings: Settings) -> Settings:
    return make_settings(settings.database_url, lang="nl")


async def test_the_organisation_default_applies_when_nothing_else_chooses(dutch_settings: Settings) -> None:
    import httpx

    app = create_app(dutch_settings)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            response = await client.get("/api/v1/devices")
        body: dict[str, Any] = response.json()
        assert response.status_code == 401
        assert body["title"] == "Niet aangemeld"
        assert body["detail"].startswith("Meld je eerst aan")
    finally:
        await app.state.engine.dispose()
        from service.i18n import set_default_locale

        set_default_locale("en")

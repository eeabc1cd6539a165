"""The OpenAPI documents the problem documents and downloads the routes really answer (schemathesis checks the
answers themselves, tests/reliability/test_openapi_conformance.py)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar._openapi.plugin import OpenAPIPlugin

from service.app import create_app
from service.web.openapi import document_downloads
from tests.conftest import make_settings


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    app = create_app(make_settings("sqlite+aiosqlite:///unused.db"))
    document_downloads(app)  # what start-up does
    return app.plugins.get(OpenAPIPlugin).provide_openapi_schema()


def _codes(schema: dict[str, Any], path: str, method: str) -> list[str]:
    return sorted(schema["paths"][path][method]["responses"])


def test_each_route_lists_the_refusals_it_can_give(schema: dict[str, Any]) -> None:
    assert _codes(schema, "/api/v1/pool", "get") == ["200", "400", "401", "403", "422"]
    assert _codes(schema, "/api/v1/devices/{device_id}", "patch") == [
        "200", "400", "401", "403", "404", "409", "413", "422",
    ]  # fmt: skip
    assert _codes(schema, "/api/v1/auth/token", "post") == ["200", "400", "401", "404", "409", "413", "422", "429"]
    assert "415" in _codes(schema, "/api/v1/imports/devices", "post")
    assert "415" not in _codes(schema, "/api/v1/devices", "post")


def test_refusals_are_problem_documents(schema: dict[str, Any]) -> None:
    forbidden = schema["paths"]["/api/v1/pool"]["get"]["responses"]["403"]
    assert forbidden["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    problem = schema["components"]["schemas"]["Problem"]
    assert sorted(problem["required"]) == ["detail", "status", "title", "type"]


def test_downloads_say_their_media_types(schema: dict[str, Any]) -> None:
    def content(path: str) -> list[str]:
        return sorted(schema["paths"][path]["get"]["responses"]["200"]["content"])

    assert content("/api/v1/donations/{donation_id}/statement.pdf") == ["application/pdf"]
    assert content("/api/v1/donations/{donation_id}/statements/{statement_id}/statement.csv") == ["text/csv"]
    assert content("/api/v1/devices") == ["application/json", "text/csv"]
    assert content("/api/v1/pool") == ["application/json"]

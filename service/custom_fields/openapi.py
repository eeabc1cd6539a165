"""The OpenAPI schema describes the custom fields defined now: a ``cf.<key>`` query parameter (and ``.gte``/``.lte``
for numbers and dates) on the device list, and each key's type under a device's ``custom_fields``.

Fields are data, defined at run time, while Litestar builds the schema once and keeps it. So each request for the
schema first reads the definitions (a handful of rows) and writes them into the kept schema: every worker serves
the fields as they are, without a restart.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin  # the plugin that keeps the served schema (no public accessor)
from litestar.types import ASGIApp, Receive, Scope, Send

from service.custom_fields import repository
from service.custom_fields.rules import FILTER_PREFIX, RANGED, FieldDef, FieldType

DEVICE_LIST = "/api/v1/devices"
DEVICE_SCHEMAS = ("DeviceOut", "DeviceCreate", "DeviceUpdate")


def value_schema(field: FieldDef) -> dict[str, Any]:
    """How a field's value is written, in a query string and in JSON (service/custom_fields/rules.py)."""
    if field.type is FieldType.number:
        return {"type": "string", "pattern": r"^-?\d+(\.\d{1,4})?$", "description": "a decimal number, as text"}
    if field.type is FieldType.date:
        return {"type": "string", "format": "date"}
    if field.type is FieldType.boolean:
        return {"type": "boolean"}
    if field.type is FieldType.choice:
        return {"type": "string", "enum": list(field.choices)}
    return {"type": "string", "maxLength": 500}


def _parameters(fields: list[FieldDef]) -> list[dict[str, Any]]:
    out = []
    for f in fields:
        where = "" if f.category is None else f" ({f.category} devices)"
        out.append({"name": f"{FILTER_PREFIX}{f.key}", "in": "query", "required": False,
                    "description": f"{f.name}{where}: equal to", "schema": value_schema(f)})  # fmt: skip
        if f.type in RANGED:
            for operator, word in (("gte", "at least"), ("lte", "at most")):
                out.append({"name": f"{FILTER_PREFIX}{f.key}.{operator}", "in": "query", "required": False,
                            "description": f"{f.name}: {word}", "schema": value_schema(f)})  # fmt: skip
    return out


def describe(schema: dict[str, Any], fields: list[FieldDef]) -> None:
    """Writes the fields into a served schema (a dict), replacing what an earlier call wrote."""
    operation = schema.get("paths", {}).get(DEVICE_LIST, {}).get("get")
    if operation is not None:
        kept = [p for p in operation.get("parameters", []) if not p.get("name", "").startswith(FILTER_PREFIX)]
        operation["parameters"] = kept + _parameters(fields)
    components = schema.get("components", {}).get("schemas", {})
    for name in DEVICE_SCHEMAS:
        custom = components.get(name, {}).get("properties", {}).get("custom_fields")
        if not isinstance(custom, dict):
            continue
        # An optional field (DeviceUpdate's) is "anyOf: [object, null]": the object is the one to describe.
        objects = [s for s in custom.get("anyOf", [custom]) if s.get("type") == "object"] or [custom]
        for target in objects:
            target["properties"] = {f.key: {**value_schema(f), "title": f.name} for f in fields}


async def describe_current(app: Litestar) -> None:
    plugin = app.plugins.get(OpenAPIPlugin)
    async with app.state.sessionmaker() as session:
        fields = sorted((await repository.definitions(session)).values(), key=lambda f: f.key)
    describe(plugin.provide_openapi_schema(), fields)


def custom_fields_in_schema(app: ASGIApp) -> ASGIApp:
    """Before the schema (or a page that renders it) is served, the fields defined now are written into it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/schema"):
            await describe_current(scope["litestar_app"])
        await app(scope, receive, send)

    return middleware

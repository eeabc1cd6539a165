"""Custom fields through the API, on SQLite and PostgreSQL: definitions, values on every device write, list
filters, type changes refused with the count of values that would not fit, and an audit record for each."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api, count, seed_device, seed_model
from tests.integration.import_helpers import rows

URL = "/api/v1/custom-fields"


async def define(api: Api, **body: Any) -> dict[str, Any]:
    response = await api.post("admin", URL, body)
    assert response.status_code == 201, response.text
    return response.json()


async def standard_fields(api: Api) -> dict[str, dict[str, Any]]:
    return {
        "layout": await define(api, name="Keyboard layout", type="choice", choices=["US intl", "NL", "DE"],
                               category="laptop", help_text="as printed on the keys"),
        "ram": await define(api, name="RAM GB", type="number"),
        "lease": await define(api, name="Lease contract", type="text", unique=True),
        "leased": await define(api, name="Leased until", type="date"),
        "sim": await define(api, name="Has SIM", type="boolean"),
    }


async def test_an_admin_defines_fields_and_others_only_read_them(api: Api) -> None:
    field = await define(api, name="Keyboard layout", type="choice", choices=["US intl", "NL"], category="laptop")
    assert (field["key"], field["type"], field["choices"], field["values"], field["version"]) == (
        "keyboard_layout", "choice", ["US intl", "NL"], 0, 1
    )  # fmt: skip
    refused = await api.post("helpdesk", URL, {"name": "X", "type": "text"})
    assert refused.status_code == 403
    listed = await api.get("auditor", URL)
    assert [f["key"] for f in listed.json()["items"]] == ["keyboard_layout"]
    twice = await api.post("admin", URL, {"name": "keyboard LAYOUT", "type": "text"})
    assert twice.status_code == 409 and twice.json()["errors"][0]["field"] == "name"
    for bad, where in (
        ({"name": "Colour", "type": "choice", "choices": []}, "choices"),
        ({"name": "Colour", "type": "choice", "choices": ["red", "Red"]}, "choices"),
        ({"name": "Colour", "type": "text", "choices": ["red"]}, "choices"),
        ({"name": "Colour", "type": "text", "key": "9lives"}, "key"),
        ({"name": "Colour", "type": "colour"}, "type"),
    ):
        response = await api.post("admin", URL, bad)
        assert response.status_code == 422, (bad, response.text)
        assert where in {e["field"] for e in response.json().get("errors", [])} or where in response.json()["detail"]
    assert await count(api.app, "custom_fields") == 1
    audit = await rows(api, "SELECT action FROM audit_records WHERE entity_type = 'custom_field'")
    assert [a["action"] for a in audit] == ["custom_field.create"]


async def test_values_are_validated_on_create_and_update_and_shown(api: Api) -> None:
    await standard_fields(api)
    model = await seed_model(api)
    given = {"keyboard_layout": "nl", "ram_gb": "15,5", "lease_contract": "LC-1", "has_sim": False}
    device = await seed_device(api, model["id"], custom_fields=given)
    assert device["custom_fields"] == {"keyboard_layout": "NL", "ram_gb": "15.5", "lease_contract": "LC-1",
                                       "has_sim": False}  # fmt: skip
    bad = await api.post("helpdesk", "/api/v1/devices", {
        "asset_tag": "KL-2", "model_id": model["id"], "purchase_date": "2024-03-01", "purchase_price": "10.00",
        "custom_fields": {"keyboard_layout": "FR", "ram_gb": "1.23456", "leased_until": "soon", "nope": "x"},
    })  # fmt: skip
    assert bad.status_code == 422
    assert {e["field"]: e["message"] for e in bad.json()["errors"]} == {
        "custom_fields.keyboard_layout": '"FR" is not one of US intl, NL, DE',
        "custom_fields.ram_gb": '"1.23456" has more than four decimals',
        "custom_fields.leased_until": '"soon" is not a date (use YYYY-MM-DD)',
        "custom_fields.nope": "is not a custom field",
    }
    taken = await api.post("helpdesk", "/api/v1/devices", {
        "asset_tag": "KL-3", "model_id": model["id"], "purchase_date": "2024-03-01", "purchase_price": "10.00",
        "custom_fields": {"lease_contract": "lc-1"},
    })  # fmt: skip
    assert taken.status_code == 409 and taken.json()["errors"][0]["field"] == "custom_fields.lease_contract"
    assert await count(api.app, "devices") == 1  # neither refused request left a device behind
    url = f"/api/v1/devices/{device['id']}"
    patched = await api.patch("helpdesk", url, {"version": device["version"],
                                                "custom_fields": {"ram_gb": "32", "has_sim": None}})  # fmt: skip
    assert patched.status_code == 200, patched.text
    assert patched.json()["custom_fields"] == {"keyboard_layout": "NL", "ram_gb": "32", "lease_contract": "LC-1"}
    assert patched.json()["version"] == device["version"] + 1
    read = await api.get("auditor", url)
    assert read.json()["custom_fields"] == patched.json()["custom_fields"]
    audit = await rows(api, "SELECT action, before, after FROM audit_records WHERE action = 'device.update'")
    assert len(audit) == 1 and "ram_gb" in str(audit[0]["after"]) and "15.5" in str(audit[0]["before"])


async def test_a_field_for_one_category_and_a_required_one(api: Api) -> None:
    await define(api, name="Keyboard layout", type="choice", choices=["NL"], category="laptop", required=True)
    phone = await seed_model(api, manufacturer="Apple", name="iPhone 13", category="phone")
    body = {"asset_tag": "P-1", "model_id": phone["id"], "purchase_date": "2024-03-01", "purchase_price": "10.00"}
    assert (await api.post("helpdesk", "/api/v1/devices", body)).status_code == 201  # not a laptop: not required
    wrong = await api.post("helpdesk", "/api/v1/devices", {**body, "asset_tag": "P-2",
                                                           "custom_fields": {"keyboard_layout": "NL"}})  # fmt: skip
    only = "is for laptop devices only"
    assert wrong.json()["errors"] == [{"field": "custom_fields.keyboard_layout", "message": only}]
    laptop = await seed_model(api)
    missing = await api.post("helpdesk", "/api/v1/devices", {**body, "asset_tag": "L-1", "model_id": laptop["id"]})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "custom_fields.keyboard_layout", "message": "is required"}]


async def test_lists_filter_by_equality_and_range_and_refuse_bad_parameters(api: Api) -> None:
    await standard_fields(api)
    model = await seed_model(api)
    for n, ram in enumerate(["8", "16", "16", "32", None], start=1):
        custom = {"ram_gb": ram, "keyboard_layout": "NL" if n % 2 else "DE", "leased_until": f"2026-0{n}-01"}
        await seed_device(api, model["id"], asset_tag=f"KL-{n}", serial_number=f"SN-{n}", custom_fields=custom)

    async def tags(**params: str) -> list[str]:
        response = await api.get("helpdesk", "/api/v1/devices", params=params)
        assert response.status_code == 200, response.text
        return [d["asset_tag"] for d in response.json()["items"]]

    assert await tags(**{"cf.ram_gb": "16"}) == ["KL-2", "KL-3"]
    assert await tags(**{"cf.ram_gb.gte": "10", "cf.ram_gb.lte": "16"}) == ["KL-2", "KL-3"]
    assert await tags(**{"cf.ram_gb.gte": "16", "cf.keyboard_layout": "nl"}) == ["KL-3"]
    assert await tags(**{"cf.leased_until.lte": "2026-02-15"}) == ["KL-1", "KL-2"]
    assert await tags(**{"cf.ram_gb.gte": "16", "limit": "1"}) == ["KL-2"]  # pages as usual
    for params, message in (
        ({"cf.colour": "red"}, "no custom field has the key 'colour'"),
        ({"cf.ram_gb": "lots"}, '"lots" is not a number'),
        ({"cf.keyboard_layout.gte": "NL"}, "only number and date fields filter by a range"),
        ({"cf.ram_gb.between": "1"}, "use cf.ram_gb, cf.ram_gb.gte or cf.ram_gb.lte"),
    ):
        response = await api.get("helpdesk", "/api/v1/devices", params=params)
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [{"field": next(iter(params)), "message": message}]
    csv = await api.get("helpdesk", "/api/v1/devices", params={"format": "csv", "cf.ram_gb": "16"})
    lines = csv.text.strip().splitlines()
    assert len(lines) == 3 and "RAM GB" in lines[0] and lines[1].startswith("KL-2,")


async def test_lists_sort_by_a_custom_field_page_by_page_with_devices_without_one_last(api: Api) -> None:
    await standard_fields(api)
    model = await seed_model(api)
    for n, (ram, leased) in enumerate([("16", "2026-03-01"), ("8", None), (None, "2026-01-01"), ("16", "2027-01-01"),
                                       ("32", "2026-02-01")], start=1):  # fmt: skip
        custom = {"ram_gb": ram, "leased_until": leased, "lease_contract": f"l-{6 - n}"}
        await seed_device(api, model["id"], asset_tag=f"KL-{n}", serial_number=f"SN-{n}", custom_fields=custom)

    async def walk(sort: str, limit: int = 2, **params: str) -> list[str]:
        """Every page of the sorted list, following the cursors."""
        seen: list[str] = []
        cursor = None
        while True:
            query = {"sort": sort, "limit": str(limit), **params, **({"cursor": cursor} if cursor else {})}
            response = await api.get("helpdesk", "/api/v1/devices", params=query)
            assert response.status_code == 200, response.text
            page = response.json()
            seen += [d["asset_tag"] for d in page["items"]]
            if not (cursor := page["next_cursor"]):
                return seen

    # Equal values keep id order; a device without a value comes last, also in descending order.
    assert await walk("cf.ram_gb") == ["KL-2", "KL-1", "KL-4", "KL-5", "KL-3"]
    assert await walk("-cf.ram_gb") == ["KL-5", "KL-4", "KL-1", "KL-2", "KL-3"]
    assert await walk("cf.leased_until", limit=1) == ["KL-3", "KL-5", "KL-1", "KL-4", "KL-2"]
    assert await walk("cf.lease_contract", limit=3) == ["KL-5", "KL-4", "KL-3", "KL-2", "KL-1"]
    assert await walk("-cf.ram_gb", **{"cf.ram_gb.gte": "16"}) == ["KL-5", "KL-4", "KL-1"]  # filters still apply
    assert await walk("id") == ["KL-1", "KL-2", "KL-3", "KL-4", "KL-5"]
    for sort in ("cf.colour", "ram_gb", "model"):
        response = await api.get("helpdesk", "/api/v1/devices", params={"sort": sort})
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == "sort", response.text
    # A cursor someone edited (wrong types for the field, the id, the flag) is a 422, never a database error.
    from service.pagination import encode_position

    for position in ([0, "lots", 3], [0, 16, "3"], [7, 16, 3], [0, True, 3], [0, "2026-13-01", 3]):
        for sort in ("cf.ram_gb", "cf.leased_until"):
            response = await api.get("helpdesk", "/api/v1/devices",
                                     params={"sort": sort, "cursor": encode_position(position)})  # fmt: skip
            if response.status_code == 200:  # a well-formed position for this field's type
                continue
            assert response.status_code == 422 and response.json()["errors"][0]["field"] == "cursor", response.text
    tampered = {"sort": "cf.ram_gb", "cursor": encode_position([0, "x", 1])}
    assert (await api.get("helpdesk", "/api/v1/devices", params=tampered)).status_code == 422


async def test_a_type_change_is_refused_with_the_count_that_would_not_fit(api: Api) -> None:
    fields = await standard_fields(api)
    model = await seed_model(api)
    for n, lease in enumerate(["1200", "LC-7", "3,5", "x"], start=1):
        await seed_device(api, model["id"], asset_tag=f"KL-{n}", serial_number=f"SN-{n}",
                          custom_fields={"lease_contract": lease})  # fmt: skip
    url = f"{URL}/{fields['lease']['id']}"
    refused = await api.patch("admin", url, {"version": 1, "type": "number"})
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("2 of the 4 values kept for Lease contract would not fit a number field")
    assert (await api.get("admin", url)).json()["type"] == "text"  # nothing changed
    # Once the misfits are cleared the change goes through, and the values become numbers.
    for tag in ("KL-2", "KL-4"):
        device = (await api.get("helpdesk", "/api/v1/devices", params={"q": tag})).json()["items"][0]
        await api.patch("helpdesk", f"/api/v1/devices/{device['id']}",
                        {"version": device["version"], "custom_fields": {"lease_contract": None}})  # fmt: skip
    changed = await api.patch("admin", url, {"version": 1, "type": "number", "unique": False})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["type"], changed.json()["values"], changed.json()["version"]) == ("number", 2, 2)
    between = {"cf.lease_contract.gte": "3", "cf.lease_contract.lte": "4"}
    found = await api.get("helpdesk", "/api/v1/devices", params=between)
    assert [d["custom_fields"]["lease_contract"] for d in found.json()["items"]] == ["3.5"]
    # Making a field unique with a value two devices share is refused too.
    ram = f"{URL}/{fields['ram']['id']}"
    for n in (1, 2):
        device = (await api.get("helpdesk", "/api/v1/devices", params={"q": f"KL-{n}"})).json()["items"][0]
        await api.patch("helpdesk", f"/api/v1/devices/{device['id']}",
                        {"version": device["version"], "custom_fields": {"ram_gb": "8"}})  # fmt: skip
    assert (await api.patch("admin", ram, {"version": 1, "unique": True})).status_code == 409
    deleted = await api.client.delete(ram, headers=api.headers("admin"))
    assert deleted.status_code == 204
    assert await count(api.app, "device_field_values") == 2  # the two lease numbers are left
    audit = await rows(api, "SELECT action FROM audit_records WHERE entity_type = 'custom_field' ORDER BY seq")
    assert [a["action"] for a in audit][-2:] == ["custom_field.update", "custom_field.delete"]


async def test_imports_map_columns_onto_fields_by_name_and_round_trip(api: Api, settings: Any) -> None:
    from tests.integration.import_helpers import by_row, errors_of, run, snapshot

    await standard_fields(api)
    await define(api, name="Asset owner", type="text", required=True, category="phone")
    header = ("asset_tag,serial_number,manufacturer,model,category,purchase_date,purchase_price,ram gb,Lease Contract,"
              "Keyboard layout,Has SIM")  # fmt: skip
    data = "\n".join([
        header,
        "KL-1,SN1,Dell,Latitude 5440,laptop,2024-03-01,1249.00,16,LC-1,nl,yes",
        "KL-2,SN2,Dell,Latitude 5440,laptop,2024-03-01,1249.00,lots,LC-2,NL,",
        "KL-3,SN3,Dell,Latitude 5440,laptop,2024-03-01,1249.00,8,lc-1,,no",
        "KL-4,SN4,Apple,iPhone 13,phone,2024-03-01,899.00,4,LC-4,,",
        "KL-5,SN5,Dell,Latitude 5440,laptop,2024-03-01,1249.00,8,LC-1,,",
        "KL-6,SN6,Dell,Latitude 5440,laptop,2024-03-01,1249.00,,LC-6,FR,",
        "",
    ]).encode()  # fmt: skip
    summary, outcomes = await run(api, settings, data)
    result = by_row(outcomes)
    assert summary.ignored_columns == []
    assert {n for n, o in result.items() if o.outcome == "created"} == {2}
    assert errors_of(result[3]) == {"RAM GB": '"lots" is not a number'}
    assert errors_of(result[4]) == {"Lease contract": "row 2 has the same Lease contract; it is unique"}
    assert errors_of(result[5]) == {"Asset owner": "is required"}
    assert errors_of(result[6]) == {"Lease contract": "row 2 has the same Lease contract; it is unique"}
    assert errors_of(result[7]) == {"Keyboard layout": '"FR" is not one of US intl, NL, DE'}
    listed = await api.get("helpdesk", "/api/v1/devices", params={"cf.ram_gb": "16"})
    assert [d["custom_fields"] for d in listed.json()["items"]] == [
        {"ram_gb": "16", "lease_contract": "LC-1", "keyboard_layout": "NL", "has_sim": True}
    ]
    # A second file changes one value and clears another; the device's version moves and the chunk's audit says so.
    again = f"{header}\nKL-1,SN1,Dell,Latitude 5440,laptop,2024-03-01,1249.00,32,LC-1,,yes\n".encode()
    summary, outcomes = await run(api, settings, again)
    assert (summary.updated, summary.errors) == (1, 0), outcomes
    device = (await api.get("helpdesk", "/api/v1/devices", params={"q": "KL-1"})).json()["items"][0]
    assert device["custom_fields"] == {"ram_gb": "32", "lease_contract": "LC-1", "has_sim": True}
    assert device["version"] == 2
    audit = await rows(api, "SELECT after FROM audit_records WHERE action = 'device.import' ORDER BY seq DESC")
    assert "keyboard_layout" in str(audit[0]["after"]) and "custom_fields" in str(audit[0]["after"])
    # The export writes each field as a column named as the field, and importing it back changes nothing.
    exported = await api.get("helpdesk", "/api/v1/devices", params={"format": "csv"})
    columns = ",Asset owner,Has SIM,Keyboard layout,Lease contract,Leased until,RAM GB"
    assert exported.text.splitlines()[0].endswith(columns)
    values = "SELECT * FROM device_field_values ORDER BY device_id, field_id"
    before, kept = await snapshot(api), await rows(api, values)
    back, _ = await run(api, settings, exported.content)
    assert (back.unchanged, back.updated, back.created, back.errors) == (1, 0, 0, 0)
    assert (await snapshot(api), await rows(api, values)) == (before, kept)
    assert len(kept) == 3


async def test_the_pages_define_fill_in_and_filter(api: Api) -> None:
    import re

    from tests.integration.conftest import ui_login

    token = await ui_login(api, "admin")
    empty = await api.client.get("/admin/custom-fields")
    assert empty.status_code == 200 and "No custom fields yet" in empty.text
    refused = await api.client.post("/admin/custom-fields", data={"_csrf_token": token, "name": "Layout",
                                                                  "type": "choice", "choices": ""})  # fmt: skip
    assert refused.status_code == 422 and "a choice field needs at least one choice" in refused.text
    assert 'value="Layout"' in refused.text  # what was typed is kept
    added = await api.client.post("/admin/custom-fields", data={"_csrf_token": token, "name": "Keyboard layout",
                                                                "type": "choice", "choices": "US intl\nNL\n",
                                                                "category": "laptop"})  # fmt: skip
    assert added.status_code == 303
    listed = await api.client.get("/admin/custom-fields?done=added")
    assert "Field added." in listed.text and "<code>keyboard_layout</code>" in listed.text
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    await api.client.post("/logout", data={"_csrf_token": token})
    token = await ui_login(api, "helpdesk")
    page = await api.client.get(f"/devices/{device['id']}")
    assert '<label for="cf-keyboard_layout">Keyboard layout</label>' in page.text
    form = {"_csrf_token": token, "version": str(device["version"])}
    bad = await api.client.post(f"/devices/{device['id']}/custom-fields", data={**form, "cf.keyboard_layout": "FR"})
    assert bad.status_code == 422 and "is not one of US intl, NL" in bad.text
    saved = await api.client.post(f"/devices/{device['id']}/custom-fields", data={**form, "cf.keyboard_layout": "NL"})
    assert saved.status_code == 303
    url = f"/devices/{device['id']}/custom-fields"
    stale = await api.client.post(url, data={**form, "cf.keyboard_layout": "US intl"})
    assert stale.status_code == 409  # drawn before the save above: refused, not overwritten
    tampered = await api.client.post(url, data={**form, "version": "x", "cf.keyboard_layout": "NL"})
    assert tampered.status_code == 303  # an unreadable version is the current one, never a 500
    shown = await api.client.get(saved.headers["location"])
    assert re.search(r"<dt>Keyboard layout</dt><dd>NL</dd>", shown.text)
    other = await seed_device(api, model["id"], asset_tag="KL-2", serial_number="SN-2")
    found = await api.client.get("/devices", params={"cf_field": "keyboard_layout", "cf_value": "nl"})
    assert f'/devices/{device["id"]}"' in found.text and f'/devices/{other["id"]}"' not in found.text
    wrong = await api.client.get("/devices", params={"cf_field": "nope", "cf_value": "x"})
    assert wrong.status_code == 422
    # Sorted by a field: the device with the value first ascending, last descending (no value comes last).
    for sort, first in (("cf.keyboard_layout", device["id"]), ("-cf.keyboard_layout", device["id"])):
        listed = await api.client.get("/devices", params={"sort": sort})
        assert listed.status_code == 200 and f'value="{sort}" selected' in listed.text
        links = re.findall(r'href="/devices/(\d+)"', listed.text)
        assert links[0] == str(first) and links.index(str(first)) < links.index(str(other["id"]))
    registered = await api.client.post("/devices/new", data={
        "_csrf_token": token, "asset_tag": "KL-3", "model_id": str(model["id"]), "purchase_date": "2024-03-01",
        "purchase_price": "10,00", "condition_grade": "A", "cf.keyboard_layout": "US intl"})  # fmt: skip
    assert registered.status_code == 303, registered.text
    new = await api.client.get(registered.headers["location"])
    assert re.search(r"<dt>Keyboard layout</dt><dd>US intl</dd>", new.text)


async def test_the_openapi_schema_describes_the_fields_defined_now(api: Api) -> None:
    async def schema() -> dict[str, Any]:
        response = await api.client.get("/schema/openapi.json")
        assert response.status_code == 200
        return response.json()

    before = await schema()
    assert not [p for p in before["paths"]["/api/v1/devices"]["get"]["parameters"] if p["name"].startswith("cf.")]
    await standard_fields(api)
    after = await schema()
    parameters = {p["name"]: p for p in after["paths"]["/api/v1/devices"]["get"]["parameters"]}
    assert {"cf.ram_gb", "cf.ram_gb.gte", "cf.ram_gb.lte", "cf.keyboard_layout", "cf.has_sim"} <= set(parameters)
    assert "cf.keyboard_layout.gte" not in parameters  # a choice has no range
    assert parameters["cf.keyboard_layout"]["schema"]["enum"] == ["US intl", "NL", "DE"]
    assert parameters["cf.leased_until.lte"]["schema"] == {"type": "string", "format": "date"}
    out = after["components"]["schemas"]["DeviceOut"]["properties"]["custom_fields"]["properties"]
    assert out["has_sim"]["type"] == "boolean" and out["ram_gb"]["title"] == "RAM GB"
    # A rename shows at once, with no restart (the schema is rewritten from the definitions on every request).
    field = (await api.get("admin", URL)).json()["items"][0]
    renamed = await api.patch("admin", f"{URL}/{field['id']}", {"version": field["version"], "name": "Lay-out"})
    assert renamed.status_code == 200, renamed.text
    titles = {k: v["title"] for k, v in (await schema())["components"]["schemas"]["DeviceOut"]["properties"][
        "custom_fields"]["properties"].items()}  # fmt: skip
    assert "Lay-out" in titles.values()

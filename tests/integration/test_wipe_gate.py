"""The wipe gate on every path, on SQLite and PostgreSQL: API, UI, import, a direct service call, a direct UPDATE.

No device reaches wiped, valued or disposed unless every listed medium has a verified certificate whose method the
wipe policy accepts for its type (or, without media, a no-storage-media attestation). The database's triggers
refuse what the service refuses, and agree with policy.py for every media type and method.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from service.context import Actor
from service.db import session_scope
from service.devices.lifecycle import Move
from service.devices.service import move_device
from service.errors import Conflict
from service.wipes.policy import CURRENT_POLICY, MEDIA_TYPES, METHODS
from tests.integration.conftest import Api, count, ui_login
from tests.integration.wipe_helpers import (
    LAPTOP_SERIAL,
    NWIPE_HDD,
    import_reports,
    media,
    part,
    record,
    retired,
    set_serial,
    status_of,
    upload,
)


async def sql(api: Api, statement: str, **params: Any) -> None:
    async with api.app.state.engine.begin() as conn:
        await conn.execute(sa.text(statement), params)


async def refused_sql(api: Api, statement: str, **params: Any) -> str:
    with pytest.raises(IntegrityError) as caught:
        await sql(api, statement, **params)
    return str(caught.value.orig)


_CERT_COLUMNS = (
    "device_id, medium_id, media_type, method, technique, tool, tool_version, verification_method, "
    "verification_result, performed_by, performed_at, destination, notes, source, report_ref, policy_version, "
    "status, recorded_by, recorded_at, reviewed_by, reviewed_at, rejection_reason, version"
)


def verified_cert_sql(device_id: int, medium_id: int, media_type: str, method: str) -> str:
    """A verified certificate written straight into the table, past every service check."""
    return (
        f"INSERT INTO wipe_certificates ({_CERT_COLUMNS}) VALUES ({device_id}, {medium_id}, '{media_type}', "
        f"'{method}', 't', 'tool', '', 'full', 'ok', 'someone', CURRENT_TIMESTAMP, 'external_reuse', '', 'manual', "
        "'', 1, 'verified', 'a', CURRENT_TIMESTAMP, 'b', CURRENT_TIMESTAMP, '', 1)"
    )


# ----------------------------------------------------------------------------------------------------------- API


async def test_api_refuses_every_shortcut_past_the_gate(api: Api) -> None:
    laptop = await retired(api, 1)
    url = f"/api/v1/devices/{laptop['id']}"
    attest = await api.post("helpdesk", f"{url}/no-media-attestation", {"statement": "Nothing on it"})
    assert attest.status_code == 409
    patch = await api.patch("helpdesk", url, {"version": 2, "status": "wiped"})
    assert patch.status_code == 422
    # There is no wipe move to call: the device becomes wiped only by verification or attestation.
    assert (await api.post("admin", f"{url}/wipe", {})).status_code in (404, 405)
    dispose = await api.post("finance", f"{url}/dispose", {"disposition": "recycled", "counterparty": "Recycler BV"})
    assert dispose.status_code == 409 and dispose.json()["current_status"] == "retired", dispose.text
    gate = (await api.get("helpdesk", f"{url}/wipe-gate")).json()
    [first] = await media(api, laptop["id"])
    blocker = f"medium #{first['id']} (ssd) has no verified wipe certificate"
    assert gate == {"device_id": laptop["id"], "device_status": "retired", "passed": False, "policy_version": 1,
                    "blockers": [blocker]}  # fmt: skip
    # A recorded but unverified certificate is not enough; nor is a rejected one.
    [ssd] = await media(api, laptop["id"])
    cert = await record(api, laptop["id"], ssd["id"])
    rejected = await api.post(
        "helpdesk2", f"/api/v1/wipe-certificates/{cert['id']}/reject", {"reason": "Unreadable receipt"}
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected", rejected.text
    assert await status_of(api, laptop["id"]) == "retired"


async def test_verifying_one_of_two_media_keeps_the_device_retired(api: Api) -> None:
    laptop = await retired(api, 1)
    extra = await api.post(
        "helpdesk", f"/api/v1/devices/{laptop['id']}/media", {"media_type": "sd_card", "serial": "SD1"}
    )
    assert extra.status_code == 201
    first, second = await media(api, laptop["id"])
    a = await record(api, laptop["id"], first["id"])
    b = await record(api, laptop["id"], second["id"], method="destroy", technique="shredded")
    verified = await api.post("helpdesk2", f"/api/v1/wipe-certificates/{a['id']}/verify")
    assert verified.json()["device_wiped"] is False and await status_of(api, laptop["id"]) == "retired"
    verified = await api.post("helpdesk2", f"/api/v1/wipe-certificates/{b['id']}/verify")
    assert verified.json()["device_wiped"] is True and await status_of(api, laptop["id"]) == "wiped"


# ------------------------------------------------------------------------------------------------------------ UI


async def test_ui_refuses_attesting_a_device_with_media_and_wipes_only_on_verification(api: Api) -> None:
    laptop = await retired(api, 1, serial=LAPTOP_SERIAL)
    token = await ui_login(api, "helpdesk")
    page = await api.client.get(f"/devices/{laptop['id']}")
    assert page.status_code == 200 and "Storage media and wipe certificates" in page.text
    assert "Waiting for the wipe gate" in page.text and "has no verified wipe certificate" in page.text
    attest = await api.client.post(f"/devices/{laptop['id']}/wipes/attest",
                                   data={"statement": "No disk inside", "_csrf_token": token})  # fmt: skip
    assert attest.status_code == 409 and "storage medium(s) listed" in attest.text
    assert await status_of(api, laptop["id"]) == "retired"

    failed = await api.client.post(
        f"/devices/{laptop['id']}/wipes/report", data={"_csrf_token": token, "destination": "external_reuse"},
        files={"report": part("blancco_failed.xml")},
    )  # fmt: skip
    assert failed.status_code == 422 and "Nothing was changed" in failed.text and "frozen security state" in failed.text
    assert 'aria-invalid="true"' in failed.text
    assert await count(api.app, "wipe_certificates") == 0

    uploaded = await api.client.post(
        f"/devices/{laptop['id']}/wipes/report", data={"_csrf_token": token, "destination": "external_reuse"},
        files={"report": part("blancco_laptop_ssd_purge.xml")},
    )  # fmt: skip
    assert uploaded.status_code == 303, uploaded.text
    assert await status_of(api, laptop["id"]) == "retired"
    page = await api.client.get(f"/devices/{laptop['id']}")
    assert "You recorded it: another helpdesk or admin user verifies it." in page.text
    [cert_id] = re.findall(r'action="/wipe-certificates/(\d+)/verify"', page.text) or [None]
    assert cert_id is None, "the recorder is not offered the verify button"
    own = await api.client.post("/wipe-certificates/1/verify", data={"_csrf_token": token})
    assert own.status_code == 403 and "four eyes" in own.text
    assert await status_of(api, laptop["id"]) == "retired"

    token = await ui_login(api, "helpdesk2")
    page = await api.client.get(f"/devices/{laptop['id']}")
    [cert_id] = re.findall(r'action="/wipe-certificates/(\d+)/verify"', page.text)
    verified = await api.client.post(f"/wipe-certificates/{cert_id}/verify",
                                     data={"_csrf_token": token, "next": f"/devices/{laptop['id']}"})  # fmt: skip
    assert verified.status_code == 303 and verified.headers["location"].startswith(f"/devices/{laptop['id']}?")
    assert await status_of(api, laptop["id"]) == "wiped"
    page = await api.client.get(verified.headers["location"])
    assert "the device passed the wipe gate and is now wiped" in page.text and "Passed the wipe gate" in page.text
    certificate = await api.client.get(f"/wipe-certificates/{cert_id}")
    assert certificate.status_code == 200 and "S6PTNM0T612345" in certificate.text and "helpdesk2" in certificate.text


# -------------------------------------------------------------------------------------------------------- import


async def test_import_of_an_overwrite_for_flash_is_refused_and_a_purge_waits_for_verification(api: Api) -> None:
    laptop = await retired(api, 1, serial=LAPTOP_SERIAL)
    [ssd] = await media(api, laptop["id"])
    await set_serial(api, laptop["id"], ssd, NWIPE_HDD)  # the nwipe report's disk, listed here as an SSD
    clear = await import_reports(api, "helpdesk", part("nwipe_hdd_success.json"))
    assert clear.status_code == 422 and "accepts only purge or destroy" in clear.text
    second = await retired(api, 2, serial="DL5440-7H2K9Q3-B")
    report = part("blancco_laptop_ssd_purge.xml")[1].replace(LAPTOP_SERIAL.encode(), b"DL5440-7H2K9Q3-B")
    purge = await upload(api, "helpdesk", second["id"], part("blancco_laptop_ssd_purge.xml", report))
    assert purge.status_code == 201, purge.text
    assert await status_of(api, laptop["id"]) == "retired" and await status_of(api, second["id"]) == "retired"


# ----------------------------------------------------------------------------------------- a direct service call


async def test_a_direct_service_call_is_refused_with_the_reasons(api: Api) -> None:
    laptop = await retired(api, 1)
    monitor = await retired(api, 2, kind="monitor")
    actor = Actor("helpdesk")
    for device in (laptop, monitor):
        with pytest.raises(Conflict) as caught:
            async with session_scope(api.app.state.sessionmaker) as session:
                await move_device(session, actor, device["id"], Move.wipe)
        assert "has not passed the wipe gate" in caught.value.detail and caught.value.extra["blockers"]
        assert await status_of(api, device["id"]) == "retired"


# -------------------------------------------------------------------------------------------- a direct UPDATE


async def test_a_direct_update_or_insert_is_refused_by_the_database(api: Api) -> None:
    laptop = await retired(api, 1)
    monitor = await retired(api, 2, kind="monitor")
    for device in (laptop, monitor):
        for status in ("wiped", "valued", "disposed"):
            message = await refused_sql(api, f"UPDATE devices SET status = '{status}' WHERE id = {device['id']}")
            assert "wipe gate" in message
        assert await status_of(api, device["id"]) == "retired"
    columns = (
        "asset_tag, manufacturer, model_id, purchase_date, purchase_price_cents, supplier, order_ref, "
        "location, condition_grade, notes, status, status_changed_at, version, created_at, updated_at"
    )
    message = await refused_sql(
        api,
        f"INSERT INTO devices ({columns}) VALUES ('SNEAK', 'Dell', {laptop['model_id']}, '2024-01-01', 100, '', "
        "'', '', 'A', '', 'wiped', CURRENT_TIMESTAMP, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    )
    assert "wipe gate" in message
    # The attestation is what lets a device without media through, and nothing else does.
    await sql(api, "INSERT INTO no_media_attestations (device_id, statement, attested_by, attested_at) "
                   f"VALUES ({monitor['id']}, 'a monitor', 'helpdesk', CURRENT_TIMESTAMP)")  # fmt: skip
    await sql(api, f"UPDATE devices SET status = 'wiped' WHERE id = {monitor['id']}")
    assert await status_of(api, monitor["id"]) == "wiped"


async def test_the_triggers_agree_with_the_policy_for_every_media_type_and_method(api: Api) -> None:
    laptop = await retired(api, 1)
    [seeded] = await media(api, laptop["id"])
    await api.client.delete(f"/api/v1/devices/{laptop['id']}/media/{seeded['id']}",
                            params={"version": 1, "reason": "matrix"}, headers=api.headers("helpdesk"))  # fmt: skip
    outcomes: dict[tuple[str, str], bool] = {}
    async with api.app.state.engine.connect() as conn:
        outer = await conn.begin()
        for media_type in MEDIA_TYPES:
            for method in METHODS:
                inner = await conn.begin_nested()
                medium_id = (await conn.execute(sa.text(
                    "INSERT INTO storage_media (device_id, media_type, description, source, version, created_at, "
                    f"updated_at) VALUES ({laptop['id']}, '{media_type}', '', 'manual', 1, CURRENT_TIMESTAMP, "
                    "CURRENT_TIMESTAMP) RETURNING id"))).scalar_one()  # fmt: skip
                await conn.execute(sa.text(verified_cert_sql(laptop["id"], medium_id, media_type, method)))
                probe = await conn.begin_nested()
                try:
                    await conn.execute(sa.text(f"UPDATE devices SET status = 'wiped' WHERE id = {laptop['id']}"))
                    outcomes[(media_type, method)] = True
                except IntegrityError:
                    outcomes[(media_type, method)] = False
                await probe.rollback()
                await inner.rollback()
        await outer.rollback()
    expected = {(t, m): CURRENT_POLICY.accepts(t, m) for t in MEDIA_TYPES for m in METHODS}
    assert outcomes == expected
    assert await status_of(api, laptop["id"]) == "retired"


# ------------------------------------------------------------------------------------ the evidence stays put


async def test_evidence_and_the_media_of_a_wiped_device_never_change(api: Api) -> None:
    laptop = await retired(api, 1)
    [ssd] = await media(api, laptop["id"])
    cert = await record(api, laptop["id"], ssd["id"])
    message = await refused_sql(
        api, f"UPDATE wipe_certificates SET status = 'verified', reviewed_by = recorded_by, "
             f"reviewed_at = CURRENT_TIMESTAMP WHERE id = {cert['id']}",
    )  # fmt: skip
    assert "four_eyes" in message
    assert (await api.post("helpdesk2", f"/api/v1/wipe-certificates/{cert['id']}/verify")).status_code == 200
    assert await status_of(api, laptop["id"]) == "wiped"
    statements = [
        f"UPDATE wipe_certificates SET method = 'clear' WHERE id = {cert['id']}",
        f"DELETE FROM wipe_certificates WHERE id = {cert['id']}",
        f"UPDATE storage_media SET media_type = 'hdd' WHERE id = {ssd['id']}",
        f"INSERT INTO storage_media (device_id, media_type, description, source, version, created_at, updated_at) "
        f"VALUES ({laptop['id']}, 'sd_card', '', 'manual', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    ]
    for statement in statements:
        message = await refused_sql(api, statement)
        assert "never" in message, (statement, message)
    monitor = await retired(api, 2, kind="monitor")
    await api.post("helpdesk", f"/api/v1/devices/{monitor['id']}/no-media-attestation", {"statement": "A monitor"})
    assert "never change" in await refused_sql(api, "UPDATE no_media_attestations SET statement = 'edited'")
    assert "never change" in await refused_sql(api, "DELETE FROM no_media_attestations")
    assert await count(api.app, "wipe_certificates") == 1


async def test_later_states_inherit_the_gate(api: Api) -> None:
    laptop = await retired(api, 1)
    for status in ("valued", "disposed"):
        assert "wipe gate" in await refused_sql(
            api, f"UPDATE devices SET status = '{status}' WHERE id = {laptop['id']}"
        )
    with pytest.raises(Conflict):
        async with session_scope(api.app.state.sessionmaker) as session:
            await move_device(session, Actor("finance"), laptop["id"], Move.value)
    assert await status_of(api, laptop["id"]) == "retired"

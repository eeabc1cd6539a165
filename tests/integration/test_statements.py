"""Statements (frozen, hashed, corrected by supersession), their delivery to the charity's webhook, and the
charity portal's isolation: another charity's donation or statement is 404 on every route."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from integrations.charity.fake import REJECTION, FakeCharityServer
from service.i18n import format_day
from service.settings import Settings
from service.statements.render import canonical_json
from tests.conftest import Database, make_settings
from tests.integration.conftest import Api, count
from tests.integration.donation_helpers import CHARITY, SECOND, approved, credit, run, run_delivery_job, set_shares

pytestmark = pytest.mark.usefixtures("api")


@pytest.fixture
def settings(database: Database) -> Settings:
    return make_settings(
        database.url,
        charity_webhook_timeout_seconds=0.5,
        statement_delivery_max_attempts=3,
        donor_name="Voorbeeld B.V.",
        donor_address="Stationsplein 1, Utrecht",
        donor_kvk_number="12345678",
        donor_rsin="123456782",
    )


@pytest.fixture
def charity_server() -> Iterator[FakeCharityServer]:
    server = FakeCharityServer(slow_seconds=1.5).start()
    yield server
    server.stop()


def pdf_text(pdf: bytes) -> str:
    """The text drawn on the pages (reportlab writes each content stream Flate-compressed, then ASCII85)."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = stream.strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2])
        out.append(zlib.decompress(data).decode("latin-1"))
    return "\n".join(out)


async def _approved_donation(api: Api, webhook: str | None = None, secret: str | None = None) -> dict[str, Any]:
    await credit(api, 1, "60.00")
    await credit(api, 2, "45.50")
    patch: dict[str, Any] = {
        "rsin": "001234560",
        "anbi_status": "anbi",
        "anbi_checked_on": "2026-10-01",
        "cost_per_device": "25.00",
    }
    if webhook:
        patch |= {"webhook_url": webhook, "webhook_secret": secret}
    await set_shares(api, "100", "0", **patch)
    (draft,) = await run(api)
    return await approved(api, draft["id"])


async def test_statement_hashes_match_the_bytes_served(api: Api) -> None:
    donation = await _approved_donation(api)
    base = f"/api/v1/donations/{donation['id']}"
    (statement,) = (await api.get("finance", f"{base}/statements")).json()
    forms = {}
    for form in ("pdf", "csv", "json"):
        response = await api.get("charity", f"{base}/statement.{form}")
        assert response.status_code == 200
        digest = hashlib.sha256(response.content).hexdigest()
        assert digest == statement[f"{form}_sha256"] == response.headers["x-content-sha256"]
        assert response.headers["repr-digest"] == f"sha-256=:{base64.b64encode(bytes.fromhex(digest)).decode()}:"
        assert statement["number"] in response.headers["content-disposition"]
        forms[form] = response.content
    document = json.loads(forms["json"])
    assert canonical_json(document) == forms["json"]  # canonical: anyone can re-serialise and compare
    # The PDF prints the SHA-256 of the canonical JSON.
    assert f"SHA-256 of the canonical JSON statement: {statement['json_sha256']}" in pdf_text(forms["pdf"])
    assert forms["pdf"].startswith(b"%PDF")
    # The fields of reference/statements.md.
    assert document["@type"] == "DonateAction" and document["price"] == "105.50" and document["priceCurrency"] == "EUR"
    assert document["agent"] == {
        "@type": "Organization",
        "name": "Voorbeeld B.V.",
        "address": "Stationsplein 1, Utrecht",
        "kvkNumber": "12345678",
        "rsin": "123456782",
    }
    assert document["recipient"]["rsin"] == "001234560" and document["recipient"]["anbiCheckedOn"] == "2026-10-01"
    assert "No goods or services" in document["noCounterPerformance"]
    assert [(a["step"], a["by"]) for a in document["approvals"]] == [("submitted", "finance"), ("approved", "finance2")]
    assert document["peopleReached"]["estimate"] == 4  # 105.50 / 25.00
    # Dates a reader goes by are local (Europe/Amsterdam), also where the UTC timestamp falls on another day.
    local = ZoneInfo("Europe/Amsterdam")
    assert document["approvedOn"] == datetime.fromisoformat(document["startTime"]).astimezone(local).date().isoformat()
    assert all(a["on"] == datetime.fromisoformat(a["at"]).astimezone(local).date().isoformat()
               for a in document["approvals"])  # fmt: skip
    assert f"approved {format_day(date.fromisoformat(document['approvedOn']), 'en')}" in pdf_text(forms["pdf"])
    line = document["object"][0]
    assert line["assetTag"] == "MON-1" and line["serialNumber"] == "MSN-1" and line["grade"] == "B"
    assert line["valuation"]["method"] == "market" and line["valuation"]["policyVersion"] == 1
    assert line["valuation"]["overridden"] is True and line["price"] == "60.00"
    # Whole months from purchase to the statement's date: a month counts once its day of the month is reached.
    bought, issued = (date.fromisoformat(d) for d in (line["purchaseDate"], document["statement"]["issuedOn"]))
    whole_months = (issued.year - bought.year) * 12 + issued.month - bought.month - (issued.day < bought.day)
    assert bought < issued and line["ageMonths"] == whole_months > 0
    # The monitor passed the wipe gate on a no-storage-media attestation: that is its evidence on the line.
    assert [c["method"] for c in line["wipeCertificates"]] == ["no storage media (attested)"]
    assert line["faults"] == []
    csv_rows = forms["csv"].decode().splitlines()
    assert csv_rows[0].startswith("statement_number,line,asset_tag") and len(csv_rows) == 3
    assert csv_rows[0].endswith(",donor_name,donor_address,donor_kvk_number,donor_rsin,donor_company")
    # The donating company is named, also when it gives under the organisation's legal identity.
    assert document["donorCompany"] == {"id": 1, "name": "Default company"}
    assert csv_rows[1].endswith(",Default company") and "Default company" in pdf_text(forms["pdf"])
    assert csv_rows[1].endswith(',Voorbeeld B.V.,"Stationsplein 1, Utrecht",12345678,123456782,Default company')
    text = pdf_text(forms["pdf"])
    assert "Voorbeeld B.V." in text and "12345678" in text and "123456782" in text
    assert "MON-1" in text and "geen tegenprestatie" in text and "finance2" in text


async def test_a_correction_supersedes_and_the_old_statement_stays(api: Api) -> None:
    donation = await _approved_donation(api)
    base = f"/api/v1/donations/{donation['id']}"
    first = (await api.get("finance", f"{base}/statements")).json()[0]
    old_pdf = (await api.get("finance", first["links"]["pdf"])).content
    assert (await api.post("charity", f"{base}/statements", {"reason": "RSIN typo"})).status_code == 403
    corrected = await api.post(
        "finance", f"{base}/statements", {"reason": "The charity's RSIN was wrong"}, headers={"Idempotency-Key": "c1"}
    )
    assert corrected.status_code == 201 and corrected.json()["version"] == 2
    replay = await api.post(
        "finance", f"{base}/statements", {"reason": "The charity's RSIN was wrong"}, headers={"Idempotency-Key": "c1"}
    )
    assert replay.json()["id"] == corrected.json()["id"]
    history = (await api.get("finance", f"{base}/statements")).json()
    assert [(s["version"], s["kind"], s["current"]) for s in history] == [
        (2, "correction", True),
        (1, "original", False),
    ]
    assert history[0]["supersedes_id"] == first["id"]
    current = await api.get("finance", f"{base}/statement.json")
    assert json.loads(current.content)["statement"]["supersedes"] == first["number"]
    assert "corrects and replaces statement " + first["number"] in pdf_text(
        (await api.get("finance", f"{base}/statement.pdf")).content
    )
    again = await api.get("finance", first["links"]["pdf"])
    assert again.content == old_pdf and "immutable" in again.headers["cache-control"]


async def test_delivery_is_signed_and_accepted(api: Api, charity_server: FakeCharityServer) -> None:
    donation = await _approved_donation(api, charity_server.url("ok"), charity_server.secret)
    assert (await run_delivery_job(api))["accepted"] == 1
    (received,) = charity_server.received
    assert received.signature_ok and received.headers["webhook-id"].startswith("msg_")
    envelope = json.loads(received.body)
    assert envelope["type"] == "donation.statement.issued"
    assert envelope["data"]["statement"]["donation"]["id"] == donation["id"]
    statement = (await api.get("finance", f"/api/v1/donations/{donation['id']}/statements")).json()[0]
    assert envelope["data"]["statementSha256"] == statement["json_sha256"]
    detail = (await api.get("finance", f"/api/v1/donations/{donation['id']}")).json()
    (delivery,) = detail["deliveries"]
    assert delivery["status"] == "accepted" and [t["outcome"] for t in delivery["tries"]] == ["accepted"]
    assert (await run_delivery_job(api)) == {"sent": 0}  # nothing is sent twice
    assert (await api.get("charity", f"/api/v1/donations/{donation['id']}")).json()["deliveries"] is None


async def _make_due(api: Api) -> None:
    from service.statements.models import Delivery

    async with api.app.state.engine.begin() as conn:
        await conn.execute(sa.update(Delivery).values(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC)))


async def test_delivery_retries_a_5xx_then_succeeds(api: Api, charity_server: FakeCharityServer) -> None:
    donation = await _approved_donation(api, charity_server.url("flaky"), charity_server.secret)
    first = await run_delivery_job(api)
    assert first["retrying"] == 1
    detail = (await api.get("finance", f"/api/v1/donations/{donation['id']}")).json()
    assert detail["deliveries"][0]["status"] == "pending" and detail["deliveries"][0]["next_attempt_at"] is not None
    assert (await run_delivery_job(api)) == {"sent": 0}  # backing off: not due yet
    await _make_due(api)
    await run_delivery_job(api)
    await _make_due(api)
    assert (await run_delivery_job(api))["accepted"] == 1
    (delivery,) = (await api.get("finance", f"/api/v1/donations/{donation['id']}")).json()["deliveries"]
    assert [(t["outcome"], t["status_code"]) for t in delivery["tries"]] == [
        ("retry", 503),
        ("retry", 503),
        ("accepted", 200),
    ]
    assert len({r.headers["webhook-id"] for r in charity_server.received}) == 1  # one message id on every try


async def test_delivery_gives_up_after_timeouts(api: Api, charity_server: FakeCharityServer) -> None:
    donation = await _approved_donation(api, charity_server.url("slow"), charity_server.secret)
    for _ in range(3):
        await run_delivery_job(api)
        await _make_due(api)
    (delivery,) = (await api.get("finance", f"/api/v1/donations/{donation['id']}")).json()["deliveries"]
    assert delivery["status"] == "failed" and delivery["attempts"] == 3
    assert all(t["outcome"] == "retry" and "did not answer" in t["message"] for t in delivery["tries"])
    assert "Gave up after 3 tries" in delivery["last_message"]
    # Finance can send it again, e.g. once the charity fixed its endpoint.
    again = await api.post("finance", f"/api/v1/donations/{donation['id']}/redeliver")
    assert again.status_code == 200 and again.json()["deliveries"][0]["status"] == "pending"
    assert (await api.post("finance", f"/api/v1/donations/{donation['id']}/redeliver")).status_code == 409


async def test_delivery_rejected_shows_the_charitys_message(api: Api, charity_server: FakeCharityServer) -> None:
    donation = await _approved_donation(api, charity_server.url("reject"), charity_server.secret)
    assert (await run_delivery_job(api))["rejected"] == 1
    (delivery,) = (await api.get("finance", f"/api/v1/donations/{donation['id']}")).json()["deliveries"]
    assert delivery["status"] == "rejected" and delivery["last_message"] == REJECTION
    assert delivery["tries"][0]["status_code"] == 422
    await _make_due(api)
    assert (await run_delivery_job(api)) == {"sent": 0}  # a refusal is final


async def test_a_wrong_secret_is_refused_by_the_charity(api: Api, charity_server: FakeCharityServer) -> None:
    from integrations.charity.signing import new_secret

    donation = await _approved_donation(api, charity_server.url("ok"), new_secret())
    assert (await run_delivery_job(api))["rejected"] == 1
    assert not charity_server.received[0].signature_ok
    (delivery,) = (await api.get("finance", f"/api/v1/donations/{donation['id']}")).json()["deliveries"]
    assert "signature is invalid" in delivery["last_message"]


async def test_another_charitys_donation_is_not_found_on_every_route(api: Api) -> None:
    donation = await _approved_donation(api)
    statement = (await api.get("finance", f"/api/v1/donations/{donation['id']}/statements")).json()[0]
    await credit(api, 3, "10.00")
    await set_shares(api, "0", "100")
    (draft,) = await run(api)  # the second charity's, still a draft
    base = f"/api/v1/donations/{donation['id']}"
    reads = [
        base,
        f"{base}/lines",
        f"{base}/statements",
        f"{base}/statement.pdf",
        f"{base}/statement.csv",
        f"{base}/statement.json",
        *statement["links"].values(),
    ]
    writes = [
        (f"{base}/{step}", body)
        for step, body in (
            ("submit", None),
            ("approve", None),
            ("reject", {"reason": "not mine"}),
            ("cancel", {"reason": "not mine"}),
            ("mark-paid", {"reference": "x"}),
            ("acknowledge", None),
            ("redeliver", None),
            ("statements", {"reason": "not mine"}),
        )
    ]
    for url in reads:
        assert (await api.get("charity", url)).status_code == 200, url  # its own charity reads it ...
        response = await api.get("charity2", url)
        assert response.status_code == 404, url  # ... another charity finds nothing
        assert donation["charity_name"] not in response.text
    detail, audited = (await api.get("finance", base)).json(), await count(api.app, "audit_records")
    statements = (await api.get("finance", f"{base}/statements")).json()
    for url, body in writes:
        assert (await api.post("charity2", url, body)).status_code == 404, url
    # ... and changes nothing.
    assert (await api.get("finance", base)).json() == detail
    assert await count(api.app, "audit_records") == audited
    assert (await api.get("finance", f"{base}/statements")).json() == statements
    # Its own charity's draft is invisible to the charity too (from approved on), on every route.
    draft_base = f"/api/v1/donations/{draft['id']}"
    for url in (draft_base, f"{draft_base}/lines", f"{draft_base}/statements", f"{draft_base}/statement.pdf"):
        assert (await api.get("charity2", url)).status_code == 404, url
    assert (await api.post("charity2", f"{draft_base}/acknowledge")).status_code == 404
    listed = (await api.get("charity2", "/api/v1/donations")).json()["items"]
    assert listed == []
    assert [d["id"] for d in (await api.get("charity", "/api/v1/donations")).json()["items"]] == [donation["id"]]
    assert (await api.get("charity", "/api/v1/donations/overview")).status_code == 403
    assert (await api.get("helpdesk", base)).status_code == 403
    assert {d["charity_id"] for d in (await api.get("finance", "/api/v1/donations")).json()["items"]} == {
        CHARITY,
        SECOND,
    }


async def test_a_line_cites_the_wipe_certificate_and_the_faults_it_was_valued_with(api: Api) -> None:
    from tests.integration.conftest import seed_device, seed_model

    model = await seed_model(api)  # a laptop with one SSD
    device = await seed_device(api, model["id"], asset_tag="LT-1", serial_number="LSN-1", purchase_date="2022-01-10")
    fault = await api.post(
        "helpdesk",
        f"/api/v1/devices/{device['id']}/faults",
        {"category": "battery", "description": "Swollen battery lifts the touchpad"},
    )
    assert fault.status_code == 201, fault.text
    await api.post("helpdesk", f"/api/v1/devices/{device['id']}/retire", {"reason": "Battery swelling"})
    media = (await api.get("helpdesk", f"/api/v1/devices/{device['id']}/media")).json()["items"]
    if not media:
        added = await api.post("helpdesk", f"/api/v1/devices/{device['id']}/media", {"media_type": "ssd"})
        media = [added.json()]
    recorded = await api.post(
        "helpdesk",
        f"/api/v1/devices/{device['id']}/wipe-certificates",
        {
            "medium_id": media[0]["id"],
            "method": "purge",
            "technique": "crypto erase",
            "tool": "Blancco Drive Eraser",
            "verification_method": "full",
            "verification_result": "Verified",
            "performed_by": "Helpdesk",
            "performed_at": datetime.now(UTC).isoformat(),
        },
    )
    assert recorded.status_code == 201, recorded.text
    certificate_id = recorded.json()["certificates"][0]["id"]
    verified = await api.post("helpdesk2", f"/api/v1/wipe-certificates/{certificate_id}/verify")
    assert verified.status_code == 200 and verified.json()["device_wiped"] is True, verified.text
    v = (await api.post("finance", f"/api/v1/devices/{device['id']}/valuation", {})).json()
    await api.post("finance", f"/api/v1/valuations/{v['id']}/override", {"amount": "95.00", "reason": "Quote"})
    assert (await api.post("finance", f"/api/v1/valuations/{v['id']}/accept")).status_code == 200
    await set_shares(api, "100", "0")
    (draft,) = await run(api)
    await approved(api, draft["id"])
    document = json.loads((await api.get("finance", f"/api/v1/donations/{draft['id']}/statement.json")).content)
    (line,) = document["object"]
    assert line["wipeCertificates"] == [{"id": f"WC-{certificate_id}", "method": "purge / crypto erase"}]
    assert line["faults"] == ["battery"] and line["assetTag"] == "LT-1" and line["model"] == "Latitude 5440"
    csv_response = await api.get("finance", f"/api/v1/donations/{draft['id']}/statement.csv")
    assert csv_response.headers["content-type"] == "text/csv; charset=utf-8"  # one charset, as the OpenAPI says
    csv_line = csv_response.text.splitlines()[1]
    assert f"WC-{certificate_id}" in csv_line and "battery" in csv_line

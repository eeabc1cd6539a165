"""Pure donation rules: the workflow table, four eyes, shares and registration numbers, webhook signatures,
and the statement's forms."""

from __future__ import annotations

import json

import pytest

from integrations.charity.signing import BadSecret, new_secret, secret_key, sign, verify
from service.charities.rules import format_percent, parse_percent, people_reached, rsin_problem, shares_problem
from service.donations.workflow import (
    DonationStatus,
    Step,
    StepRefused,
    approvals_needed,
    check_approver,
    next_status,
)
from service.statements.render import canonical_json, csv_bytes, pdf_bytes


def test_every_step_from_every_status() -> None:
    allowed = {
        (DonationStatus.draft, Step.submit): DonationStatus.submitted,
        (DonationStatus.draft, Step.reject): DonationStatus.rejected,
        (DonationStatus.submitted, Step.approve): DonationStatus.approved,
        (DonationStatus.submitted, Step.reject): DonationStatus.rejected,
        (DonationStatus.approved, Step.mark_paid): DonationStatus.paid,
        (DonationStatus.approved, Step.cancel): DonationStatus.cancelled,
        (DonationStatus.paid, Step.acknowledge): DonationStatus.acknowledged,
    }
    for status in DonationStatus:
        for step in Step:
            if (status, step) in allowed:
                assert next_status(status.value, step) is allowed[(status, step)]
            else:
                with pytest.raises(StepRefused, match=f"This donation is {status.value}"):
                    next_status(status.value, step)


def test_four_eyes() -> None:
    assert approvals_needed(1_000_000, 1_000_000) == 1  # "above" the limit means more than it
    assert approvals_needed(1_000_001, 1_000_000) == 2
    check_approver(2, 1, set())
    for approver, submitter, earlier in ((1, 1, set()), (None, 1, set()), (2, 1, {2})):
        with pytest.raises(StepRefused) as refused:
            check_approver(approver, submitter, earlier)
        assert refused.value.four_eyes


def test_shares_and_registration_numbers() -> None:
    assert parse_percent("33.33") == 3333 and parse_percent("100") == 10_000 and format_percent(3333) == "33.33"
    for bad in ("33.333", "-1", "101", "1e2", "", "50,5"):
        with pytest.raises(ValueError):
            parse_percent(bad)
    assert shares_problem({"A": 6000, "B": 4000}) is None
    assert "99.99 %" in (shares_problem({"A": 6000, "B": 3999}) or "")
    assert "no active charity" in (shares_problem({}) or "")
    assert rsin_problem("801234566") is None and rsin_problem("123456782") is None
    assert "eleven-test" in (rsin_problem("123456789") or "")
    assert "9 digits" in (rsin_problem("12345678") or "")


def test_standard_webhooks_signature() -> None:
    # The test vector of the Standard Webhooks reference libraries.
    secret, msg_id, ts, body = (
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        (b'{"test": 2432232314}'),
    )
    assert sign(secret, msg_id, ts, body) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    signature = sign(secret, msg_id, ts, body)
    assert verify(secret, msg_id, str(ts), f"v1,other {signature}", body, now=ts + 10)
    assert not verify(secret, msg_id, str(ts), signature, body, now=ts + 301)  # replayed too late
    assert not verify(secret, msg_id, str(ts), signature, body + b" ", now=ts)
    assert not verify(new_secret(), msg_id, str(ts), signature, body, now=ts)
    assert len(secret_key(new_secret())) == 32
    for bad in ("secret", "whsec_not base64!", "whsec_c2hvcnQ="):
        with pytest.raises(BadSecret):
            secret_key(bad)


def _document(serial: str = "SN-1") -> dict[str, object]:
    return {
        "@context": "https://schema.org",
        "@type": "DonateAction",
        "identifier": "2026-00001-1",
        "statement": {
            "number": "2026-00001-1",
            "version": 1,
            "kind": "original",
            "issuedOn": "2026-11-23",
            "issuedAt": "2026-11-23T09:00:00+00:00",
            "supersedes": None,
            "reason": "",
        },
        "agent": {"name": "Voorbeeld B.V.", "address": "", "kvkNumber": "", "rsin": ""},
        "recipient": {
            "name": "Stichting Één",
            "address": "",
            "kvkNumber": "",
            "rsin": "",
            "anbiStatus": "anbi",
            "anbiCheckedOn": None,
        },
        "donation": {"id": 1, "status": "approved", "period": {"from": "2026-01-01", "to": "2026-03-31"}},
        "object": [
            {
                "line": 1,
                "assetTag": "KL-1",
                "serialNumber": serial,
                "manufacturer": "Dell",
                "model": "Latitude",
                "faults": [],
                "wipeCertificates": [],
                "price": "10.00",
            }
        ],
        "price": "10.00",
        "priceCurrency": "EUR",
        "startTime": "2026-11-23T09:00:00+00:00",
        "approvals": [],
        "peopleReached": {"estimate": None},
    }


def test_statement_forms() -> None:
    document = _document('=HYPERLINK("http://evil")')
    data = canonical_json(document)
    assert data == canonical_json(json.loads(data)) and b'", "' not in data and b'": ' not in data
    assert "Één".encode() in data  # UTF-8, not \\u escapes
    rows = csv_bytes(document).decode().splitlines()
    assert rows[1].split(",")[6].startswith("\"'=HYPERLINK")  # a formula becomes text in a spreadsheet
    first, second = pdf_bytes(document, "ab" * 32), pdf_bytes(document, "ab" * 32)
    assert first == second and first.startswith(b"%PDF")  # the same statement renders to the same bytes


def test_people_reached_is_whole_devices_the_money_pays_for() -> None:
    assert people_reached(149_999, 15_000) == 9
    assert people_reached(150_000, 15_000) == 10
    assert people_reached(150_000, 0) is None  # the charity has not said what a device costs

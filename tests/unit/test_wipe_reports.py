"""The wipe-report readers (nwipe JSON, Blancco XML) and the wipe policy: pure code, no database."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from service.device_models.models import MEDIA_TYPES as MODEL_MEDIA_TYPES
from service.wipes.parsers import ensure_readable, parse_blancco, parse_capacity, parse_nwipe, parse_report
from service.wipes.policy import CURRENT_POLICY, MEDIA_TYPES, METHODS, MediumEvidence, gate_blockers
from service.wipes.reports import ReportRefused, file_kind, media_type_of, nist_method, safe_filename, verification_of

FIXTURES = Path(__file__).parent.parent / "fixtures" / "wipes"
LIMIT = 5 * 1024 * 1024


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def refused(
    data: bytes, filename: str = "report.xml", content_type: str = "application/xml", limit: int = LIMIT
) -> str:
    with pytest.raises(ReportRefused) as caught:
        parse_report(filename, content_type, data, max_bytes=limit)
    return caught.value.reason


# ------------------------------------------------------------------------------------------------------ valid ones


def test_blancco_ssd_purge_is_read_by_entry_names() -> None:
    report = parse_report("b.xml", "application/xml", fixture("blancco_laptop_ssd_purge.xml"), max_bytes=LIMIT)
    assert (report.tool, report.tool_version, report.source) == ("Blancco Drive Eraser", "7.12.1", "blancco")
    assert report.report_ref == "8f3c2a61-4b1e-4d7a-9a55-0c6e1f2b7d90"
    assert report.system_serial == "DL5440-7H2K9Q3" and report.operator == "Jesse Visser"
    [erasure] = report.erasures
    assert (erasure.serial, erasure.media_type, erasure.capacity_bytes) == ("S6PTNM0T612345", "ssd", 512110190592)
    assert erasure.finished_at == datetime(2026, 11, 20, 9, 39, 47, tzinfo=UTC)  # +0100 in the report
    assert erasure.started_at == datetime(2026, 11, 20, 9, 22, 3, tzinfo=UTC)
    assert erasure.verification_method == "full" and "Successful" in erasure.verification_result
    assert nist_method(erasure.standard, "ssd")[0] == "purge"


def test_blancco_two_disks_each_classified_for_its_medium() -> None:
    report = parse_blancco(fixture("blancco_desktop_two_disks.xml"))
    hdd, ssd = report.erasures
    assert (hdd.serial, hdd.media_type, ssd.serial, ssd.media_type) == ("ZN1A2B3C", "hdd", "50026B7782A1C3D4", "ssd")
    assert nist_method(hdd.standard, "hdd")[0] == "clear"  # HMG IS5 baseline: an overwrite
    assert nist_method(ssd.standard, "ssd")[0] == "purge"  # Blancco SSD Erasure: firmware sanitize
    assert hdd.verification_method == "full"


def test_nwipe_success_is_an_overwrite_of_the_named_disk() -> None:
    report = parse_report("n.json", "application/json", fixture("nwipe_hdd_success.json"), max_bytes=LIMIT)
    assert (report.tool, report.tool_version, report.source, report.operator) == (
        "nwipe",
        "0.38",
        "nwipe",
        "Kringloop Demo BV",
    )
    [erasure] = report.erasures
    assert erasure.serial == "WD-WXE1A65KLM9P" and erasure.capacity_bytes == 500107862016
    assert erasure.forced_method == "clear"
    assert erasure.finished_at == datetime(2026, 11, 20, 13, 2, 51, tzinfo=UTC)
    assert "0 pass errors, 0 verification errors" in erasure.verification_result


def test_nwipe_of_an_nvme_disk_is_known_as_flash() -> None:
    doc = json.loads(fixture("nwipe_hdd_success.json"))
    doc["device"].update(name="/dev/nvme0n1", model="Samsung SSD 980 PRO 1TB")
    assert parse_nwipe(json.dumps(doc).encode()).erasures[0].media_type == "ssd"


# -------------------------------------------------------------------------------------------------- failed erasure


def test_failed_nwipe_wipe_is_refused_with_its_status() -> None:
    reason = refused(fixture("nwipe_failure.json"), "n.json", "application/json")
    assert "W62AB7QK" in reason and "'failure'" in reason


def test_nwipe_verification_errors_are_refused_even_when_status_says_success() -> None:
    doc = json.loads(fixture("nwipe_hdd_success.json"))
    doc["wipe_result"]["verify_errors"] = 3
    assert "0 pass errors and 3 verification errors" in refused(json.dumps(doc).encode(), "n.json", "application/json")
    doc["wipe_result"].update(pass_errors=1, verify_errors=1)
    reason = refused(json.dumps(doc).encode(), "n.json", "application/json")
    assert "1 pass error and 1 verification error for" in reason


def test_failed_blancco_erasure_is_refused_with_the_tools_reason() -> None:
    reason = refused(fixture("blancco_failed.xml"))
    assert "'Failed'" in reason and "frozen security state" in reason and "SNV2S1000G77A1" in reason


def test_one_failed_erasure_refuses_the_whole_blancco_report() -> None:
    text = fixture("blancco_desktop_two_disks.xml").decode()
    text = text.replace('<entry name="state" type="string">Successful</entry>',
                        '<entry name="state" type="string">Aborted</entry>', 1)  # fmt: skip
    assert "'Aborted'" in refused(text.encode())


def test_report_without_a_disk_serial_cannot_be_matched() -> None:
    doc = json.loads(fixture("nwipe_hdd_success.json"))
    doc["device"]["serial_no"] = ""
    assert "no disk serial" in refused(json.dumps(doc).encode(), "n.json", "application/json")


def test_unknown_erasure_standard_is_refused_not_guessed() -> None:
    with pytest.raises(ReportRefused, match="not one Kringloop can classify"):
        nist_method("Vendor Magic Wipe 3000", "ssd")


# ------------------------------------------------------------------------------------------- malformed, malicious


def test_malformed_xml_and_json_are_refused() -> None:
    assert "malformed" in refused(fixture("malformed.xml"))
    assert "malformed" in refused(b'{"report_metadata": {', "n.json", "application/json")
    assert "not an nwipe report" in refused(b'{"hello": "world"}', "n.json", "application/json")
    assert "not a Blancco" in refused(b"<root><other/></root>")


def test_xxe_is_refused_unread() -> None:
    reason = refused(fixture("xxe_external_entity.xml"))
    assert "DTD or entities" in reason and "passwd" not in reason


def test_billion_laughs_is_refused_before_expansion() -> None:
    assert "DTD or entities" in refused(fixture("billion_laughs.xml"))


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY leak "fetched">')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_external_dtd_and_entities_are_never_fetched(loopback_server: str) -> None:
    external_dtd = f'<?xml version="1.0"?><!DOCTYPE root SYSTEM "{loopback_server}/evil.dtd"><root/>'.encode()
    external_entity = (
        f'<?xml version="1.0"?><!DOCTYPE root [<!ENTITY % remote SYSTEM "{loopback_server}/p.dtd"> %remote;]><root/>'
    ).encode()
    for data in (external_dtd, external_entity):
        assert "DTD or entities" in refused(data)
        with pytest.raises(ReportRefused):
            ensure_readable("xml", data)
    assert _Recorder.hits == []


def test_oversized_files_are_refused_before_parsing() -> None:
    data = fixture("blancco_laptop_ssd_purge.xml")
    assert "larger than the limit of 1,024 bytes" in refused(data, limit=1024)
    assert parse_report("b.xml", "application/xml", data, max_bytes=len(data)).erasures


@pytest.mark.parametrize(
    "filename,content_type,data,message",
    [
        ("r.xml", "text/plain", b"<root/>", "text/plain are not wipe reports"),
        ("r.png", "image/png", b"\x89PNG\r\n", "image/png are not wipe reports"),
        ("r.exe", "application/octet-stream", b"MZ", "type is unknown"),
        ("r.json", "application/json", b"<root/>", "declared as JSON"),
        ("r.xml", "application/xml", b'{"a": 1}', "declared as XML"),
        ("r.pdf", "application/pdf", b"<root/>", "declared as a PDF"),
        ("r.xml", "application/xml", b"", "empty"),
    ],
)
def test_wrong_content_types_are_refused(filename: str, content_type: str, data: bytes, message: str) -> None:
    assert message in refused(data, filename, content_type)


def test_untyped_uploads_are_judged_by_their_extension() -> None:
    data = fixture("nwipe_hdd_success.json")
    assert file_kind("nwipe_report.json", "application/octet-stream", data, LIMIT) == "json"
    assert file_kind("r.pdf", "", b"%PDF-1.7\n", LIMIT) == "pdf"


def test_pdf_is_evidence_but_not_importable() -> None:
    assert "cannot be read automatically" in refused(b"%PDF-1.7\n%...", "r.pdf", "application/pdf")
    ensure_readable("pdf", b"%PDF-1.7\n")


def test_safe_filename_drops_paths_and_quotes() -> None:
    assert safe_filename('C:\\Users\\x\\..\\evil"name.xml', "xml") == "evilname.xml"
    assert safe_filename("../../etc/passwd", "xml") == "passwd"
    assert safe_filename("", "pdf") == "report.pdf"


# --------------------------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    "standard,media_type,method",
    [
        ("NIST 800-88 Purge", "ssd", "purge"),
        ("NIST 800-88 Clear", "hdd", "clear"),
        ("Cryptographic Erase", "phone_memory", "purge"),
        ("ATA Sanitize Block Erase", "ssd", "purge"),
        ("NVMe Format with Secure Erase", "ssd", "purge"),
        ("ATA Enhanced Secure Erase", "hdd", "purge"),
        ("ATA Enhanced Secure Erase", "ssd", "clear"),  # NIST SP 800-88: only Clear on flash
        ("DoD 5220.22-M (3 passes)", "hdd", "clear"),
        ("Gutmann", "ssd", "clear"),
        ("Physical destruction (shredder)", "emmc", "destroy"),
        ("Degauss", "hdd", "purge"),
    ],
)
def test_tool_standards_map_to_nist_methods(standard: str, media_type: str, method: str) -> None:
    assert nist_method(standard, media_type)[0] == method


def test_degaussing_flash_is_refused() -> None:
    with pytest.raises(ReportRefused, match="does not sanitize ssd"):
        nist_method("Degauss", "ssd")


def test_media_types_and_verification_from_tool_words() -> None:
    assert media_type_of("SSD") == "ssd" and media_type_of("HDD") == "hdd"
    assert media_type_of("Mobile device") == "phone_memory" and media_type_of("eMMC") == "emmc"
    assert media_type_of("disk", "ST1000DM010") is None
    assert verification_of("100%") == "full" and verification_of("10 %") == "sampling"
    assert verification_of("last") == "full" and verification_of("") == "other"
    assert parse_capacity("512 GB") == 512 * 10**9 and parse_capacity("1.5 TiB") == int(1.5 * 2**40)
    assert parse_capacity("500107862016") == 500107862016 and parse_capacity("lots") is None
    # A corrupt report's size is no size at all, never an error that loses the whole upload.
    assert parse_capacity("9" * 400) is None and parse_capacity("9" * 400 + ".5 TB") is None
    assert parse_capacity("0 GB") is None and parse_capacity("0.4") is None


# ------------------------------------------------------------------------------------------------------- policy


def test_media_types_match_the_device_models() -> None:
    assert MEDIA_TYPES == MODEL_MEDIA_TYPES


def test_policy_v1_magnetic_accepts_clear_flash_does_not() -> None:
    expected = {"hdd": {"clear", "purge", "destroy"}}
    for media_type in MEDIA_TYPES:
        for method in METHODS:
            want = method in expected.get(media_type, {"purge", "destroy"})
            assert CURRENT_POLICY.accepts(media_type, method) is want, (media_type, method)
    assert "over-provisioned" in (CURRENT_POLICY.refusal("ssd", "clear") or "")
    assert CURRENT_POLICY.refusal("hdd", "clear") is None


def test_gate_blockers_name_what_is_missing() -> None:
    assert gate_blockers([], has_attestation=True) == []
    assert "attested" in gate_blockers([], has_attestation=False)[0]
    ok = MediumEvidence(1, "ssd", "S1", ("purge",))
    weak = MediumEvidence(2, "ssd", "S2", ("clear",))
    none = MediumEvidence(3, "hdd", None, ())
    assert gate_blockers([ok], has_attestation=False) == []
    blockers = gate_blockers([ok, weak, none], has_attestation=False)
    assert len(blockers) == 2
    assert "#2" in blockers[0] and "only a verified clear" in blockers[0]
    assert "#3" in blockers[1] and "no verified wipe certificate" in blockers[1]
    assert gate_blockers([MediumEvidence(4, "hdd", None, ("clear",))], has_attestation=False) == []

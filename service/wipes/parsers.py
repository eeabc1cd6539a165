"""Readers for wipe-tool reports: nwipe's JSON report and Blancco's XML erasure report. Pure code, no I/O.

Both refuse (``ReportRefused``) anything that is not a complete, successful erasure: a failed or aborted erasure,
pass or verification errors, a report without serial numbers or times. XML is parsed by defusedxml with DTDs,
entities and external references forbidden, so an XXE or billion-laughs file is refused before anything is
expanded, and nothing is ever fetched.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from service.i18n import _, ngettext
from service.wipes.policy import MAX_CAPACITY
from service.wipes.reports import (
    Erasure,
    ParsedReport,
    ReportRefused,
    clean_serial,
    file_kind,
    load_json,
    media_type_of,
    verification_of,
)


def parse_report(filename: str, content_type: str, data: bytes, *, max_bytes: int, tz: tzinfo = UTC) -> ParsedReport:
    """A tool report from an uploaded file; PDFs are evidence to attach, not something to read."""
    kind = file_kind(filename, content_type, data, max_bytes)
    if kind == "pdf":
        raise ReportRefused(
            _(
                "a PDF report cannot be read automatically; upload the tool's XML or JSON report, or record the "
                "certificate by hand and attach the PDF"
            )
        )
    if kind == "json":
        return parse_nwipe(data)
    return parse_blancco(data, tz=tz)


def ensure_readable(kind: str, data: bytes) -> None:
    """An XML or JSON file kept as an attachment must still be well-formed and free of entity tricks."""
    if kind == "json":
        load_json(data)
    elif kind == "xml":
        _parse_xml(data)


def _parse_xml(data: bytes) -> Element:
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ReportRefused(
            _(
                "the XML report declares a DTD or entities (XXE or entity expansion); wipe reports never need them, "
                "so it was refused unread"
            )
        ) from None
    except ParseError as exc:
        raise ReportRefused(_("the XML report is malformed: {exc}").format(exc=exc)) from None


# ---------------------------------------------------------------------------------------------------------- nwipe


def _count(section: dict[str, Any], key: str) -> int:
    value = section.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportRefused(_("wipe_result.{key} is not a count: {value}").format(key=key, value=repr(value)))
    return value


def _epoch(section: dict[str, Any], key: str, required: bool) -> datetime | None:
    value = section.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ReportRefused(
            _("wipe_result.{key} is not a time in epoch seconds: {value}").format(key=key, value=repr(value))
        )
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise ReportRefused(
            _("wipe_result.{key} is out of range: {value}").format(key=key, value=repr(value))
        ) from None


def parse_nwipe(data: bytes) -> ParsedReport:
    """nwipe's opt-in JSON report (``nwipe_report_<serial>_<time>.json``, src/create_json.c)."""
    doc = load_json(data)
    sections = {k: doc.get(k) if isinstance(doc, dict) else None for k in ("report_metadata", "device", "wipe_result")}
    if not all(isinstance(v, dict) for v in sections.values()):
        raise ReportRefused(
            _(
                "this JSON file is not an nwipe report (it needs report_metadata, device and wipe_result); "
                "Kringloop reads nwipe JSON and Blancco XML reports"
            )
        )
    meta, device, result = sections["report_metadata"], sections["device"], sections["wipe_result"]
    assert isinstance(meta, dict) and isinstance(device, dict) and isinstance(result, dict) and isinstance(doc, dict)
    software = str(meta.get("software", "")).strip()
    if software.lower() != "nwipe":
        raise ReportRefused(
            _("this JSON report comes from {tool}, not nwipe").format(tool=software or _("an unnamed tool"))
        )
    serial = clean_serial(device.get("serial_no"))
    name = f"{device.get('name') or ''} {device.get('model') or ''}".strip()
    status = str(result.get("status", "")).strip().lower()
    if status != "success":
        raise ReportRefused(
            _(
                "nwipe reports the wipe of {disk} as {status}: a wipe that did not succeed is no evidence; wipe the "
                "disk again or destroy it"
            ).format(disk=serial or name or _("the disk"), status=repr(status or "unknown"))
        )
    pass_errors, verify_errors = _count(result, "pass_errors"), _count(result, "verify_errors")
    if pass_errors or verify_errors:
        passes = ngettext("{n} pass error", "{n} pass errors", pass_errors).format(n=pass_errors)
        verifications = ngettext("{n} verification error", "{n} verification errors", verify_errors).format(
            n=verify_errors
        )
        raise ReportRefused(
            _(
                "nwipe reports {pass_errors} and {verify_errors} for {disk}: sectors may still hold data; wipe the "
                "disk again or destroy it"
            ).format(pass_errors=passes, verify_errors=verifications, disk=serial or name)
        )
    if serial is None or serial.lower() == "unknown":
        raise ReportRefused(_("the nwipe report names no disk serial number, so it cannot be matched to a medium"))
    method = str(result.get("method") or "").strip()
    if method and "verify" in method.lower() and "wipe" not in method.lower():
        raise ReportRefused(_("nwipe's {method} only reads the disk; it erases nothing").format(method=repr(method)))
    finished = _epoch(result, "end_time", required=True)
    assert finished is not None
    started = _epoch(result, "start_time", required=False)
    if started is not None and started > finished:
        raise ReportRefused(_("the nwipe report's start_time is after its end_time"))
    size = device.get("size_bytes")
    rounds = result.get("rounds_requested")
    verify_setting = str(result.get("verify") or "")
    organisation = doc.get("organization")
    outcome = f"nwipe: status success, {pass_errors} pass errors, {verify_errors} verification errors"
    if isinstance(rounds, int) and not isinstance(rounds, bool):
        outcome += f", {rounds} round(s)"
    if verify_setting:
        outcome += f", verify {verify_setting}"
    return ParsedReport(
        tool="nwipe",
        tool_version=str(meta.get("version") or "")[:50],
        report_ref="",
        operator=str(organisation.get("business_name") or "")[:200] if isinstance(organisation, dict) else "",
        system_serial=None,
        system_description="",
        erasures=(
            Erasure(
                serial=serial,
                media_type=media_type_of(None, name),
                capacity_bytes=_capacity(size),
                vendor="",
                model=str(device.get("model") or "")[:200],
                # Every nwipe method (zeros, DoD 5220.22-M, Gutmann, PRNG stream ...) is an overwrite: Clear.
                standard=f"overwrite ({method})" if method else "overwrite (nwipe)",
                forced_method="clear",
                verification_method=verification_of(verify_setting) if verify_setting else "other",
                verification_result=outcome,
                started_at=started,
                finished_at=finished,
            ),
        ),
    )


# -------------------------------------------------------------------------------------------------------- Blancco


def _name(el: Element) -> str:
    # Blancco writes most of its report as <entries name="..."> and <entry name="..." type="...">.
    if el.tag in ("entries", "entry") and el.get("name"):
        return str(el.get("name"))
    return str(el.tag)


def _child(el: Element | None, name: str) -> Element | None:
    if el is None:
        return None
    return next((c for c in el if _name(c) == name), None)


def _children(el: Element | None, name: str) -> list[Element]:
    return [] if el is None else [c for c in el if _name(c) == name]


def _find(el: Element, name: str) -> Element | None:
    return next((e for e in el.iter() if _name(e) == name), None)


def _text(el: Element | None, *path: str) -> str:
    for name in path:
        el = _child(el, name)
    return (el.text or "").strip() if el is not None else ""


_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20,
          "gib": 2**30, "tib": 2**40}  # fmt: skip


def parse_capacity(text: str) -> int | None:
    match = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*([kmgt]i?b|b)?\s*", text.lower())
    if not match:
        return None
    number, unit = match.group(1).replace(",", "."), match.group(2) or ""
    return _capacity(int(Decimal(number) * _UNITS[unit]))


def _capacity(value: Any) -> int | None:
    """A reported size in bytes, or None where it is missing or cannot be a real medium's (a corrupt report)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_CAPACITY:
        return value
    return None


def _time(text: str, what: str, tz: tzinfo) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReportRefused(
            _("the Blancco report's {what} {text} is not a date and time").format(what=what, text=repr(text))
        ) from None
    return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)


def _failures(erasure: Element) -> str:
    texts = (
        (e.text or "").strip() for e in erasure.iter() if re.search(r"fail|error|exception|reason", _name(e), re.I)
    )
    messages = [t for t in texts if t and not t.isdigit()]
    return "; ".join(dict.fromkeys(messages))[:500]


def parse_blancco(data: bytes, *, tz: tzinfo = UTC) -> ParsedReport:
    """Blancco's XML erasure report (report/blancco_data: description, blancco_erasure_report, hardware report)."""
    root = _parse_xml(data)
    blancco = _find(root, "blancco_data")
    if blancco is None:
        raise ReportRefused(_("this XML file is not a Blancco erasure report (it has no blancco_data)"))
    description = _child(blancco, "description")
    author = _find(description, "author") if description is not None else None
    company = _child(description, "company_information")
    hardware = _child(blancco, "blancco_hardware_report")
    system = _child(hardware, "system")
    disks = {clean_serial(_text(d, "serial")): d for d in _children(_child(hardware, "disks"), "disk")}
    erasures = _children(_child(_child(blancco, "blancco_erasure_report"), "erasures"), "erasure")
    if not erasures:
        raise ReportRefused(_("the Blancco report lists no erasures"))
    parsed = []
    for erasure in erasures:
        target = _child(erasure, "target")
        serial = clean_serial(_text(target, "serial"))
        label = serial or _("a disk without a serial number")
        state = _text(erasure, "state")
        if not state.lower().startswith("success"):
            why = _failures(erasure)
            status = repr(state or "unknown")
            refusal = (
                _(
                    "Blancco reports the erasure of {label} as {status} ({why}): an erasure that did not succeed is no "
                    "evidence; erase again or destroy the medium"
                )
                if why
                else _(
                    "Blancco reports the erasure of {label} as {status}: an erasure that did not succeed is no "
                    "evidence; erase again or destroy the medium"
                )
            )
            raise ReportRefused(refusal.format(label=label, status=status, why=why))
        if serial is None:
            raise ReportRefused(_("an erasure in the Blancco report names no target serial number"))
        standard = _text(erasure, "erasure_standard_name")
        if not standard:
            raise ReportRefused(
                _("the Blancco report does not say which erasure standard was used on {serial}").format(serial=serial)
            )
        end = _text(erasure, "end_time")
        if not end:
            raise ReportRefused(
                _("the Blancco report has no end_time for the erasure of {serial}").format(serial=serial)
            )
        finished = _time(end, "end_time", tz)
        start = _text(erasure, "start_time")
        started = _time(start, "start_time", tz) if start else None
        disk = disks.get(serial)
        target_type = _text(target, "type") or _text(disk, "type")
        vendor = _text(target, "vendor") or _text(disk, "vendor")
        model = _text(target, "model") or _text(disk, "model")
        rounds = _text(erasure, "total_erasure_rounds")
        verification = _text(erasure, "verification") or _text(erasure, "verification_level")
        outcome = f"Blancco: state {state}"
        if rounds:
            outcome += f", {rounds} erasure round(s)"
        if verification:
            outcome += f", verification {verification}"
        parsed.append(
            Erasure(
                serial=serial,
                media_type=media_type_of(target_type, model),
                capacity_bytes=parse_capacity(_text(target, "capacity") or _text(disk, "capacity")),
                vendor=vendor[:100],
                model=model[:200],
                standard=standard[:200],
                forced_method=None,
                verification_method=verification_of(verification),
                verification_result=outcome[:500],
                started_at=started,
                finished_at=finished,
            )
        )
    product = _text(author, "product_name") or "Blancco"
    system_parts = [_text(system, "manufacturer"), _text(system, "model")]
    return ParsedReport(
        tool=product[:100],
        tool_version=_text(author, "product_version")[:50],
        report_ref=_text(description, "document_id")[:100],
        operator=(_text(company, "erasure_person") or _text(company, "business_name"))[:200],
        system_serial=clean_serial(_text(system, "serial")) or clean_serial(_text(system, "imei")),
        system_description=" ".join(p for p in system_parts if p)[:200],
        erasures=tuple(parsed),
    )

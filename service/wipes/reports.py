"""Wipe-tool report files: what kind a file is, and what a parsed report says. Pure code, no I/O.

A report is refused (``ReportRefused``) with a message for the person who uploaded it; nothing is ever fetched
while reading one (XML goes through defusedxml with DTDs forbidden, see blancco.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from service.i18n import _, format_number

# The kinds of file kept as evidence, and the content type each is served with.
CONTENT_TYPES = {"pdf": "application/pdf", "xml": "application/xml", "json": "application/json"}
_DECLARED = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/json": "json",
    "text/json": "json",
}
# Clients that do not know the type send one of these; the file name's extension decides then.
_UNTYPED = {"", "application/octet-stream", "binary/octet-stream"}
_EXTENSIONS = {".pdf": "pdf", ".xml": "xml", ".json": "json"}


@dataclass(frozen=True)
class Upload:
    """An uploaded file, read: what the services get instead of a web framework's upload object."""

    filename: str
    content_type: str
    data: bytes


def safe_filename(name: str, kind: str) -> str:
    """The file's own name without any path, control characters or quotes, for storing and serving."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r'[\x00-\x1f\x7f"]', "", base).strip()[:255]
    return base or f"report.{kind}"


class ReportRefused(Exception):
    """A report file that cannot be taken, and why (written for the person who uploaded it)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def file_kind(filename: str, declared_type: str, data: bytes, max_bytes: int) -> str:
    """``pdf``, ``xml`` or ``json`` for an acceptable file; refuses anything else before it is parsed."""
    if not data:
        raise ReportRefused(_("the file is empty"))
    if len(data) > max_bytes:
        raise ReportRefused(_("the file is larger than the limit of {n} bytes").format(n=format_number(max_bytes)))
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared in _DECLARED:
        kind = _DECLARED[declared]
    elif declared in _UNTYPED:
        ext = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        kind = _EXTENSIONS.get(ext, "")
        if not kind:
            raise ReportRefused(_("the file's type is unknown; upload a PDF, XML or JSON report (.pdf, .xml, .json)"))
    else:
        raise ReportRefused(
            _("files of type {type} are not wipe reports; upload a PDF, XML or JSON report").format(type=declared)
        )
    start = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if kind == "pdf" and not data.startswith(b"%PDF-"):
        raise ReportRefused(_("the file is declared as a PDF but does not start like one"))
    if kind == "xml" and not start.startswith(b"<"):
        raise ReportRefused(_("the file is declared as XML but does not start like XML"))
    if kind == "json" and not start.startswith((b"{", b"[")):
        raise ReportRefused(_("the file is declared as JSON but does not start like JSON"))
    return kind


def load_json(data: bytes) -> object:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ReportRefused(_("the JSON report is not UTF-8 text")) from None
    except json.JSONDecodeError as exc:
        raise ReportRefused(
            _("the JSON report is malformed: {msg} at line {lineno}").format(msg=exc.msg, lineno=exc.lineno)
        ) from None
    except RecursionError:
        raise ReportRefused(_("the JSON report is nested too deeply")) from None


@dataclass(frozen=True)
class Erasure:
    """One medium's erasure as the tool reported it."""

    serial: str | None
    media_type: str | None  # one of policy.MEDIA_TYPES, None when the report does not say
    capacity_bytes: int | None
    vendor: str
    model: str
    standard: str  # the tool's name for what it did ("NIST 800-88 Purge", "PRNG Stream", ...)
    verification_method: str  # full | sampling | other
    verification_result: str
    started_at: datetime | None
    finished_at: datetime
    # Set when the tool only ever does one kind of sanitization (nwipe only overwrites: Clear).
    forced_method: str | None = None


@dataclass(frozen=True)
class ParsedReport:
    tool: str
    tool_version: str
    report_ref: str  # the tool's own document id, when it has one
    operator: str  # who ran the tool, or the organisation the tool names
    system_serial: str | None  # the computer's or phone's serial (Blancco's hardware report)
    system_description: str
    erasures: tuple[Erasure, ...] = field(default_factory=tuple)

    @property
    def source(self) -> str:
        return "blancco" if self.tool.lower().startswith("blancco") else "nwipe"


# The tool's name for an erasure -> NIST SP 800-88 method, on magnetic and on flash media, and the technique.
# First match wins, so the specific names come before the general ones. None: the method does not sanitize
# that kind of medium (degaussing flash does nothing).
_STANDARDS: tuple[tuple[str, str | None, str | None, str], ...] = (
    (r"destr|shred|disintegrat|incinerat|pulveri|crush|melt", "destroy", "destroy", "physical destruction"),
    (r"degauss", "purge", None, "degauss"),
    (r"crypto", "purge", "purge", "cryptographic erase"),
    (r"block erase", "purge", "purge", "block erase"),
    (r"sanitize", "purge", "purge", "sanitize command"),
    (r"nvme format|format nvm|user data erase", "purge", "purge", "NVMe format with secure erase"),
    (r"blancco ssd|firmware", "purge", "purge", "firmware-based erase"),
    # NIST SP 800-88 Rev. 1 table: ATA Secure Erase is Purge on magnetic disks, only Clear on flash.
    (r"enhanced secure erase|secure erase", "purge", "clear", "ATA secure erase"),
    (r"purge", "purge", "purge", "purge as named by the tool"),
    (
        r"clear|overwrite|zero|dod|5220|gutmann|hmg|infosec|prng|random|schneier|vsitr|bsi|rcmp|navso|afssi|gost"
        r"|quick erase|one pass|1 pass|3 pass|7 pass",
        "clear",
        "clear",
        "overwrite",
    ),
)
_FLASH = frozenset({"ssd", "emmc", "phone_memory", "sd_card", "other"})


def nist_method(standard: str, media_type: str) -> tuple[str, str]:
    """(method, technique) for the tool's erasure standard on this kind of medium; refuses unknown names."""
    text = standard.strip().lower()
    for pattern, magnetic, flash, technique in _STANDARDS:
        if re.search(pattern, text):
            method = flash if media_type in _FLASH else magnetic
            if method is None:
                raise ReportRefused(
                    _("{standard} does not sanitize {media_type} media").format(
                        standard=repr(standard), media_type=media_type
                    )
                )
            return method, f"{technique} ({standard.strip()})" if technique not in text else standard.strip()
    raise ReportRefused(
        _(
            "the erasure standard {standard} is not one Kringloop can classify as clear, purge or destroy; "
            "record the certificate by hand with the tool's report attached"
        ).format(standard=repr(standard))
    )


def media_type_of(text: str | None, model: str = "") -> str | None:
    """Our media type for a tool's description of the target (Blancco's target type, a disk model)."""
    words = f"{text or ''} {model}".lower()
    if not words.strip():
        return None
    checks = (
        ("phone_memory", ("mobile", "phone", "iphone", "android")),
        ("emmc", ("emmc", "mmc")),
        ("sd_card", ("sd card", "sdcard", "memory card", "microsd")),
        ("ssd", ("ssd", "nvme", "solid", "flash")),
        ("hdd", ("hdd", "hard disk", "hard drive", "rotational", "magnetic")),
    )
    for media_type, needles in checks:
        if any(n in words for n in needles):
            return media_type
    return None


def verification_of(text: str | None) -> str:
    """NIST verification method (full, sampling, other) for a tool's verification setting."""
    value = (text or "").strip().lower()
    if not value or value in ("off", "none", "no", "disabled", "0", "0%"):
        return "other"
    # nwipe's "last" and "all" read the whole medium back (after the last pass, or after every pass).
    if value in ("full", "all", "last", "100%", "100 %", "100") or "full" in value:
        return "full"
    return "sampling" if re.search(r"\d+\s*%|sampl|partial", value) else "other"


def clean_serial(value: object) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text[:128] or None

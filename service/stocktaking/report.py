"""The audit result as CSV: one line per scan and per missing device. Pure code."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from service.spreadsheet import guard_text

COLUMNS = (
    "result",
    "asset_tag",
    "serial_number",
    "manufacturer",
    "model",
    "status",
    "registered_location",
    "scanned_as",
    "scanned_by",
    "scanned_at",
    "moved_here_by",
    "reported_lost_by",
)


def result_of(scan: Any) -> str:
    """found, misplaced (seen here, registered elsewhere), moved (misplaced, then moved here) or unknown."""
    return "moved" if scan.moved_at is not None else scan.outcome


def _when(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()


def _text(value: Any) -> str:
    return "" if value is None else guard_text(str(value))


def scan_line(row: Any) -> list[str]:
    scan = row.StockAuditScan
    return [
        result_of(scan),
        _text(row.asset_tag),
        _text(row.serial_number),
        _text(row.manufacturer),
        _text(row.model_name),
        _text(row.status),
        _text(scan.registered_location),
        _text(scan.term),
        _text(scan.scanned_by),
        _when(scan.scanned_at),
        _text(scan.moved_by),
        "",
    ]


def missing_line(row: Any) -> list[str]:
    missing = row.StockAuditMissing
    return [
        "missing",
        _text(row.asset_tag),
        _text(row.serial_number),
        _text(row.manufacturer),
        _text(row.model_name),
        _text(row.status),
        _text(missing.registered_location),
        "",
        "",
        "",
        "",
        _text(missing.lost_by),
    ]


def csv_text(lines: Iterable[list[str]]) -> Iterator[str]:
    """The header, then each line, as CSV text chunks (CRLF, as spreadsheets expect)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for line in lines:
        writer.writerow(line)
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()

"""The per-row import report, as CSV for people and as JSON for the API. Pure code."""

from __future__ import annotations

import csv
from typing import IO, Any

from service.imports.service import ImportSummary, RowOutcome
from service.spreadsheet import guard_text

REPORT_COLUMNS = ("row", "outcome", "device_id", "asset_tag", "serial_number", "errors", "notes")


def errors_text(outcome: RowOutcome) -> str:
    return "; ".join(f"{e.field}: {e.message}" for e in outcome.errors)


class ReportWriter:
    """Writes one CSV line per row as outcomes arrive, so a million-row report never sits in memory."""

    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._writer.writerow(REPORT_COLUMNS)

    def write(self, outcome: RowOutcome) -> None:
        # The identifiers and messages echo the uploaded file: guarded, so a spreadsheet never runs them.
        self._writer.writerow(
            (
                outcome.row,
                outcome.outcome,
                outcome.device_id if outcome.device_id is not None else "",
                guard_text(outcome.asset_tag),
                guard_text(outcome.serial_number),
                guard_text(errors_text(outcome)),
                guard_text("; ".join(outcome.notes)),
            )
        )


def outcome_json(outcome: RowOutcome) -> dict[str, Any]:
    return {
        "row": outcome.row,
        "outcome": outcome.outcome,
        "device_id": outcome.device_id,
        "asset_tag": outcome.asset_tag,
        "serial_number": outcome.serial_number,
        "errors": [{"field": e.field, "message": e.message} for e in outcome.errors],
        "notes": list(outcome.notes),
    }


def summary_json(summary: ImportSummary) -> dict[str, Any]:
    return {
        "rows": summary.rows,
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "errors": summary.errors,
        "unknown_categories": summary.unknown_categories,
        "unknown_statuses": summary.unknown_statuses,
        "ignored_columns": summary.ignored_columns,
        "readings": summary.readings,
        "dry_run": summary.dry_run,
        "exit_code": summary.exit_code,
    }


def summary_line(summary: ImportSummary) -> str:
    verb = "would be" if summary.dry_run else ""
    parts = [
        f"{summary.created} {verb} created".replace("  ", " "),
        f"{summary.updated} {verb} updated".replace("  ", " "),
        f"{summary.unchanged} unchanged",
        f"{summary.errors} refused",
    ]
    return f"{summary.rows} row{'s' if summary.rows != 1 else ''}: " + ", ".join(parts)

"""Downloads for auditors: the certificate register as CSV (streamed), and a certificate's report file."""

from __future__ import annotations

import base64
import csv
import io
from datetime import datetime
from typing import Any
from urllib.parse import quote

from litestar import Response
from litestar.datastructures import State

from service.spreadsheet import guard_text
from service.web.downloads import CsvStream
from service.wipes import repository
from service.wipes.models import WipeDocument
from service.wipes.policy import CURRENT_POLICY


async def _register_csv(
    state: State, status: str | None, since: datetime | None, until: datetime | None, device_id: int | None
) -> Any:
    # Its own session: the request's session closes when the handler returns, before the body is streamed.
    async with state.sessionmaker() as session:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(REGISTER_COLUMNS)
        yield buffer.getvalue().encode()
        async for rows in repository.stream_register(
            session, status=status, since=since, until=until, device_id=device_id
        ):
            buffer.seek(0)
            buffer.truncate()
            for row in rows:
                writer.writerow([_cell(v) for v in register_row(row)])
            yield buffer.getvalue().encode()


def register_csv_response(
    state: State,
    status: str | None,
    since: datetime | None = None,
    until: datetime | None = None,
    device_id: int | None = None,
) -> CsvStream:
    """Refuses an unknown status before the download starts (a stream cannot turn into a 422 half way)."""
    repository.check_status(status)
    stamp = datetime.now(state.settings.tz).strftime("%Y%m%d-%H%M")
    return CsvStream(
        _register_csv(state, status, since, until, device_id),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="wipe-certificates-{stamp}.csv"'},
    )


REGISTER_COLUMNS = [
    "certificate_id", "status", "device_id", "asset_tag", "device_serial", "manufacturer", "model", "medium_id",
    "media_type", "media_serial", "method", "technique", "tool", "tool_version", "verification_method",
    "verification_result", "performed_by", "performed_at", "destination", "source", "report_ref",
    "report_filename", "report_sha256", "policy_version", "policy_accepts", "recorded_by", "recorded_at",
    "reviewed_by", "reviewed_at", "rejection_reason",
]  # fmt: skip


def register_row(r: Any) -> list[Any]:
    return [
        r.id, r.status, r.device_id, r.asset_tag, r.device_serial, r.manufacturer, r.model_name, r.medium_id,
        r.media_type, r.media_serial, r.method, r.technique, r.tool, r.tool_version, r.verification_method,
        r.verification_result, r.performed_by, r.performed_at, r.destination, r.source, r.report_ref,
        r.document_filename, r.document_sha256, r.policy_version, CURRENT_POLICY.accepts(r.media_type, r.method),
        r.recorded_by, r.recorded_at, r.reviewed_by, r.reviewed_at, r.rejection_reason,
    ]  # fmt: skip


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    return guard_text(str(value))


def document_response(doc: WipeDocument) -> Response[bytes]:
    digest_b64 = base64.b64encode(bytes.fromhex(doc.sha256)).decode()
    ascii_name = doc.filename.encode("ascii", "replace").decode().replace("?", "_")
    return Response(
        doc.content,
        media_type=doc.content_type,
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(doc.filename)}",
            "Repr-Digest": f"sha-256=:{digest_b64}:",
            "X-Content-SHA256": doc.sha256,
            "ETag": f'"{doc.sha256}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=31536000, immutable",
        },
    )

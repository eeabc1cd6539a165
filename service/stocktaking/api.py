"""Stock-taking over the API: audits, scans, list uploads, move-here, the close, loss reports and the CSV."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.params import JSONBody, Parameter

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.errors import InvalidInput
from service.i18n import gettext as _
from service.pagination import DEFAULT_LIMIT
from service.stocktaking import repository, service
from service.stocktaking.models import StockAudit
from service.stocktaking.report import csv_text
from service.stocktaking.schemas import (
    AuditCreate,
    AuditOut,
    AuditPage,
    LostBody,
    LostOut,
    MissingOut,
    MissingPage,
    ScanBody,
    ScanOut,
    ScanPage,
    UploadOut,
)
from service.web.deps import CurrentActor, DbSession, PageLimit, Rules, created
from service.web.downloads import CsvStream

_CHANGE = [requires(Permission.change_registry)]


async def audit_out(session: Any, audit: StockAudit) -> AuditOut:
    figures = await service.summary(session, audit)
    return AuditOut(**audit.model_dump(exclude={"expected_count", "found_count", "missing_count"}), **vars(figures))


async def read_list(request: Request[Any, Any, Any], max_bytes: int) -> bytes:
    """The uploaded list: a text/plain or text/csv body, or a multipart form's ``list`` file (or ``terms`` text)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type.startswith("text/"):
        return await request.body()
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form()
        upload = form.get("list")
        if isinstance(upload, UploadFile) and (upload.filename or upload.content_type):
            return await upload.read(max_bytes + 1)
        return str(form.get("terms") or "").encode("utf-8")
    raise InvalidInput.field("list", _("Send the list as text/plain or text/csv, or as the multipart file 'list'."))


def report_csv(audit: StockAudit, lines: list[list[str]], tz: Any) -> CsvStream:
    stamp = datetime.now(tz).strftime("%Y%m%d")
    return CsvStream(
        csv_text(lines),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="stock-audit-{audit.id}-{stamp}.csv"'},
    )


class StockAuditController(Controller):
    path = "/api/v1/stock-audits"
    tags = ["stock-taking"]
    guards = [requires(Permission.read_registry)]

    @get("/")
    async def list_audits(
        self,
        session: DbSession,
        status: str | None = Parameter(default=None, pattern="^(open|closed)$"),
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> AuditPage:
        page = await repository.list_audits(session, status=status, cursor=cursor, limit=limit)
        return AuditPage(items=[await audit_out(session, a) for a in page.items], next_cursor=page.next_cursor)

    @post("/", guards=_CHANGE)
    async def start(
        self, request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, data: JSONBody[AuditCreate]
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            audit = await service.start_audit(
                session, actor, location=data.location, kind=data.scope_kind, company_id=data.company_id
            )
            return 201, (await audit_out(session, audit)).model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/{audit_id:int}")
    async def get_audit(self, session: DbSession, audit_id: int) -> AuditOut:
        return await audit_out(session, await repository.get_audit(session, audit_id))

    @post("/{audit_id:int}/scans", guards=_CHANGE)
    async def scan(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        actor: CurrentActor,
        audit_id: int,
        data: JSONBody[ScanBody],
    ) -> Response[Any]:
        """201 with the new scan; 200 with the earlier one (``repeated``) when it was scanned before."""

        async def create() -> tuple[int, Any]:
            result = await service.record_scan(session, actor, audit_id, data.term)
            assert result.scan.id is not None
            out = ScanOut.of(await repository.scan_view(session, result.scan.id), repeated=result.repeated)
            return 200 if result.repeated else 201, out.model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/{audit_id:int}/scans")
    async def scans(
        self,
        session: DbSession,
        audit_id: int,
        outcome: str | None = Parameter(default=None, pattern="^(found|misplaced|unknown)$"),
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> ScanPage:
        await repository.get_audit(session, audit_id)
        page = await repository.list_scans(session, audit_id, outcome=outcome, cursor=cursor, limit=limit)
        return ScanPage(items=[ScanOut.of(r) for r in page.items], next_cursor=page.next_cursor)

    @post("/{audit_id:int}/upload", guards=_CHANGE, status_code=200)
    async def upload(
        self, request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, audit_id: int
    ) -> UploadOut:
        """A list of tags or serials, one per line (plain text, or CSV whose first column holds them)."""
        data = await read_list(request, state.settings.max_body_bytes)
        result = await service.record_upload(
            session, actor, audit_id, data, state.settings.stock_audit_upload_max_lines
        )
        return UploadOut(lines=result.lines, **result.counts)

    @post("/{audit_id:int}/scans/{scan_id:int}/move-here", guards=_CHANGE, status_code=200)
    async def move_here(
        self, session: DbSession, actor: CurrentActor, rules: Rules, audit_id: int, scan_id: int
    ) -> ScanOut:
        await service.move_here(session, actor, audit_id, scan_id, rules)
        return ScanOut.of(await repository.scan_view(session, scan_id))

    @post("/{audit_id:int}/close", guards=_CHANGE, status_code=200)
    async def close(self, session: DbSession, actor: CurrentActor, audit_id: int) -> AuditOut:
        return await audit_out(session, await service.close_audit(session, actor, audit_id))

    @get("/{audit_id:int}/missing")
    async def missing(
        self, session: DbSession, audit_id: int, cursor: str | None = None, limit: PageLimit = DEFAULT_LIMIT
    ) -> MissingPage:
        await repository.get_audit(session, audit_id)
        page = await repository.list_missing(session, audit_id, cursor=cursor, limit=limit)
        return MissingPage(items=[MissingOut.of(r) for r in page.items], next_cursor=page.next_cursor)

    @post("/{audit_id:int}/lost", guards=_CHANGE, status_code=200)
    async def report_lost(
        self, session: DbSession, actor: CurrentActor, audit_id: int, data: JSONBody[LostBody]
    ) -> LostOut:
        """Reports missing devices lost through the lifecycle; all or nothing (409 naming any it refuses)."""
        return LostOut(device_ids=await service.mark_lost(session, actor, audit_id, data.device_ids, data.reason))

    @get("/{audit_id:int}/report.csv", media_type="text/csv")
    async def report(self, state: State, session: DbSession, audit_id: int) -> CsvStream:
        audit = await repository.get_audit(session, audit_id)
        return report_csv(audit, await service.report_lines(session, audit_id), state.settings.tz)

"""Stock-taking pages: the audits list with "start an audit", the phone-sized scan page, and the report.

The scan form works as a plain form post (each scan redirects back to the page, whose field has autofocus) and,
with htmx, posts each scan and swaps only the results, leaving the field focused for the next scan
(static/stocktaking.js). The pages call the same services as stocktaking/api.py.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.errors import DomainError, InvalidInput
from service.i18n import gettext as _
from service.stocktaking import repository, service
from service.stocktaking.api import read_list, report_csv
from service.stocktaking.models import StockAudit
from service.stocktaking.schemas import MissingOut
from service.web.deps import CurrentActor, DbSession, Rules
from service.web.forms import domain_errors

LIST_PAGE = 25
SCAN_PAGE = 20
MISSING_PAGE = 50
_READ = [requires(Permission.read_registry)]
_CHANGE = [requires(Permission.change_registry)]


def _htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


# ---------------------------------------------------------------------------------------------------- the list


async def _list_page(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    *,
    location: str = "",
    errors: dict[str, str] | None = None,
    open_audit_id: int | None = None,
    status_code: int = 200,
) -> Template:
    cursor = request.query_params.get("cursor") or None
    page = await repository.list_audits(session, status=None, cursor=cursor, limit=LIST_PAGE)
    audits = [(a, await service.summary(session, a)) for a in page.items]
    return Template(
        "stocktaking/list.html",
        status_code=status_code,
        media_type=MediaType.HTML,
        context={
            "audits": audits,
            "next_url": f"/stock-audits?{urlencode({'cursor': page.next_cursor})}" if page.next_cursor else None,
            "first_url": "/stock-audits" if cursor else None,
            "locations": await repository.known_locations(session),
            "location": location,
            "errors": errors or {},
            "open_audit_id": open_audit_id,
            "can_change": can(request.user.role, Permission.change_registry),
        },
    )


@get("/stock-audits", guards=_READ, include_in_schema=False)
async def audits_page(request: Request[Any, Any, Any], session: DbSession) -> Template:
    return await _list_page(request, session)


@post("/stock-audits", guards=_CHANGE, include_in_schema=False)
async def start_from_page(
    request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, data: URLEncodedBody[dict[str, str]]
) -> Any:
    location = (data.get("location") or "").strip()
    try:
        audit = await service.start_audit(session, actor, location=location)
    except DomainError as exc:
        await session.rollback()
        return await _list_page(
            request,
            session,
            location=location,
            errors=domain_errors(exc, "location"),
            open_audit_id=exc.extra.get("audit_id"),
            status_code=exc.status,
        )
    return Redirect(f"/stock-audits/{audit.id}", status_code=303)


# ------------------------------------------------------------------------------------------ the scan page/report


def _scan_notice(row: Any, repeated: bool) -> dict[str, Any]:
    """What the person holding the scanner reads after a scan."""
    scan = row.StockAuditScan
    name = row.asset_tag or row.serial_number or scan.term
    model = f"{row.manufacturer} {row.model_name}" if row.model_name else ""
    if repeated:
        text = _("{name} was already scanned by {who}; it is counted once.").format(name=name, who=scan.scanned_by)
        kind = "repeated"
    elif scan.moved_at is not None:
        text, kind = _("{name} moved here.").format(name=name), "moved"
    elif scan.outcome == "found":
        text, kind = _("{name} found: {model}.").format(name=name, model=model), "found"
    elif scan.outcome == "misplaced":
        place = scan.registered_location or _("no location")
        text = _("{name} is registered at {place}, not here.").format(name=name, place=place)
        kind = "misplaced"
    else:
        text, kind = _("{term} matches no device; it is listed as unknown.").format(term=scan.term), "unknown"
    return {"text": text, "kind": kind, "scan": scan}


async def _audit_context(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    audit: StockAudit,
    *,
    notice: dict[str, Any] | None = None,
    error: str | None = None,
    term: str = "",
) -> dict[str, Any]:
    assert audit.id is not None
    params = request.query_params
    cursor = params.get("cursor") or None
    scans = await repository.list_scans(session, audit.id, cursor=cursor, limit=SCAN_PAGE, newest_first=True)
    base = f"/stock-audits/{audit.id}"
    context: dict[str, Any] = {
        "audit": audit,
        "summary": await service.summary(session, audit),
        "scans": scans.items,
        "older_url": f"{base}?{urlencode({'cursor': scans.next_cursor})}#scans" if scans.next_cursor else None,
        "newest_url": f"{base}#scans" if cursor else None,
        "notice": notice,
        "error": error,
        "term": term,
        "can_change": can(request.user.role, Permission.change_registry),
        "missing": [],
    }
    if audit.status == "closed":
        missing_cursor = params.get("missing_cursor") or None
        page = await repository.list_missing(session, audit.id, cursor=missing_cursor, limit=MISSING_PAGE)
        context["missing"] = [MissingOut.of(r) for r in page.items]
        context["missing_next_url"] = (
            f"{base}?{urlencode({'missing_cursor': page.next_cursor})}#missing" if page.next_cursor else None
        )
        context["missing_first_url"] = f"{base}#missing" if missing_cursor else None
        context["lost_candidates"] = await repository.lost_candidates(session, audit.id)
    return context


def _page(context: dict[str, Any], *, fragment: bool, status_code: int = 200) -> Template:
    name = "stocktaking/_scan_area.html" if fragment else "stocktaking/audit.html"
    return Template(name, context=context, status_code=status_code, media_type=MediaType.HTML)


def _number(params: Any, name: str) -> int:
    value = params.get(name) or ""
    return int(value) if value.isdigit() else 0


def _done_notice(params: Any, audit: StockAudit) -> str | None:
    """The message after a redirect, from a code and numbers (never text taken from the link itself)."""
    done = params.get("done")
    if done == "closed" and audit.status == "closed":
        return _("Audit closed: {found} of {expected} expected devices found, {missing} missing.").format(
            found=audit.found_count, expected=audit.expected_count, missing=audit.missing_count
        )
    if done == "lost":
        return _("{n} missing device(s) reported lost.").format(n=_number(params, "n"))
    if done == "upload":
        counts = {k: _number(params, k) for k in ("lines", "found", "misplaced", "unknown", "repeated")}
        return _(
            "List of {lines} lines: {found} found, {misplaced} registered elsewhere, {unknown} unknown, "
            "{repeated} scanned before."
        ).format(**counts)
    return None


@get("/stock-audits/{audit_id:int}", guards=_READ, include_in_schema=False)
async def audit_page(request: Request[Any, Any, Any], session: DbSession, audit_id: int) -> Template:
    audit = await repository.get_audit(session, audit_id)
    params = request.query_params
    notice = None
    if (scan_id := params.get("scan") or "").isdigit():
        row = await repository.scan_view(session, int(scan_id))
        if row.StockAuditScan.audit_id == audit_id:
            notice = _scan_notice(row, repeated=params.get("repeated") == "1")
    if (done := _done_notice(params, audit)) is not None:
        notice = {"text": done, "kind": "done", "scan": None}
    return _page(await _audit_context(request, session, audit, notice=notice), fragment=False)


async def _refused(
    request: Request[Any, Any, Any], session: AsyncSession, audit_id: int, exc: DomainError, term: str = ""
) -> Template:
    # A normal return commits: undo whatever the refused action had flushed before rendering.
    await session.rollback()
    audit = await repository.get_audit(session, audit_id)
    context = await _audit_context(request, session, audit, error=exc.detail, term=term)
    return _page(context, fragment=_htmx(request), status_code=exc.status)


@post("/stock-audits/{audit_id:int}/scans", guards=_CHANGE, include_in_schema=False)
async def scan_from_page(
    request: Request[Any, Any, Any],
    session: DbSession,
    actor: CurrentActor,
    audit_id: int,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    term = data.get("term") or ""
    try:
        result = await service.record_scan(session, actor, audit_id, term)
    except DomainError as exc:
        return await _refused(request, session, audit_id, exc, term=term)
    assert result.scan.id is not None
    if not _htmx(request):
        query = {"scan": result.scan.id, **({"repeated": 1} if result.repeated else {})}
        return Redirect(f"/stock-audits/{audit_id}?{urlencode(query)}", status_code=303)
    audit = await repository.get_audit(session, audit_id)
    notice = _scan_notice(await repository.scan_view(session, result.scan.id), result.repeated)
    return _page(await _audit_context(request, session, audit, notice=notice), fragment=True)


@post("/stock-audits/{audit_id:int}/scans/{scan_id:int}/move-here", guards=_CHANGE, include_in_schema=False)
async def move_here_from_page(
    request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, rules: Rules, audit_id: int, scan_id: int
) -> Any:
    try:
        await service.move_here(session, actor, audit_id, scan_id, rules)
    except DomainError as exc:
        return await _refused(request, session, audit_id, exc)
    if not _htmx(request):
        return Redirect(f"/stock-audits/{audit_id}?scan={scan_id}", status_code=303)
    audit = await repository.get_audit(session, audit_id)
    notice = _scan_notice(await repository.scan_view(session, scan_id), repeated=False)
    return _page(await _audit_context(request, session, audit, notice=notice), fragment=True)


@post("/stock-audits/{audit_id:int}/upload", guards=_CHANGE, include_in_schema=False)
async def upload_from_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, audit_id: int
) -> Any:
    settings = state.settings
    try:
        data = await read_list(request, settings.max_body_bytes)
        result = await service.record_upload(session, actor, audit_id, data, settings.stock_audit_upload_max_lines)
    except DomainError as exc:
        return await _refused(request, session, audit_id, exc)
    query = {"done": "upload", "lines": result.lines, **result.counts}
    return Redirect(f"/stock-audits/{audit_id}?{urlencode(query)}", status_code=303)


@post("/stock-audits/{audit_id:int}/close", guards=_CHANGE, include_in_schema=False)
async def close_from_page(
    request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, audit_id: int
) -> Any:
    try:
        audit = await service.close_audit(session, actor, audit_id)
    except DomainError as exc:
        return await _refused(request, session, audit_id, exc)
    assert audit.status == "closed"
    return Redirect(f"/stock-audits/{audit_id}?done=closed", status_code=303)


def _device_ids(values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values if v.strip()]
    except ValueError:
        raise InvalidInput.field("device_ids", _("device ids are whole numbers")) from None


@post("/stock-audits/{audit_id:int}/lost", guards=_CHANGE, include_in_schema=False)
async def lost_from_page(
    request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, audit_id: int
) -> Any:
    form = await request.form()
    try:
        ids = _device_ids([str(v) for v in form.getall("device_id")] if "device_id" in form else [])
        reported = await service.mark_lost(session, actor, audit_id, ids, (form.get("reason") or "").strip() or None)
    except DomainError as exc:
        return await _refused(request, session, audit_id, exc)
    return Redirect(
        f"/stock-audits/{audit_id}?{urlencode({'done': 'lost', 'n': len(reported)})}#missing", status_code=303
    )


@get("/stock-audits/{audit_id:int}/report.csv", guards=_READ, include_in_schema=False, media_type="text/csv")
async def report_download(state: State, session: DbSession, audit_id: int) -> Any:
    audit = await repository.get_audit(session, audit_id)
    return report_csv(audit, await service.report_lines(session, audit_id), state.settings.tz)


STOCKTAKING_VIEW_HANDLERS: list[Any] = [
    audits_page,
    start_from_page,
    audit_page,
    scan_from_page,
    move_here_from_page,
    upload_from_page,
    close_from_page,
    lost_from_page,
    report_download,
]

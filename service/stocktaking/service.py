"""Stock-taking use cases: start an audit, record scans (one by one or a list), move a misplaced device here,
close with the report, and report missing devices lost through the lifecycle. Flushes, never commits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit_trail
from service.companies import service as companies
from service.context import Actor
from service.db import utcnow
from service.devices import repository as devices
from service.devices import service as device_service
from service.devices.lifecycle import Move
from service.devices.schemas import DeviceUpdate
from service.devices.service import RegistryRules
from service.errors import Conflict, InvalidInput
from service.i18n import gettext as _
from service.stocktaking import repository
from service.stocktaking.models import StockAudit, StockAuditMissing, StockAuditScan
from service.stocktaking.report import missing_line, scan_line
from service.stocktaking.scope import MAX_TERM, SCOPE_KINDS, AuditScope, clean_term, key_of, outcome_of, why_not_lost
from service.stocktaking.upload import terms_from_file


def scope_of(audit: StockAudit) -> AuditScope:
    return AuditScope(audit.scope_kind, audit.scope_value, audit.company_id)


def _refuse_if_closed(audit: StockAudit) -> None:
    if audit.status == "closed":
        raise Conflict(
            _("Audit #{id} is closed and can no longer change; start a new audit to count again.").format(id=audit.id),
            audit_status=audit.status,
        )


async def start_audit(
    session: AsyncSession, actor: Actor, *, location: str = "", kind: str = "location", company_id: int | None = None
) -> StockAudit:
    """An audit of one company's devices at a location, or of all of that company's devices (kind "company").
    The company is the one asked for, else the user's only one, else the default."""
    if kind not in SCOPE_KINDS:
        raise InvalidInput.field("scope_kind", _("use one of {kinds}").format(kinds=", ".join(SCOPE_KINDS)))
    company_id = await companies.company_for_new(session, company_id)
    if kind == "company":
        value = (await companies.get_company(session, company_id)).name
    else:
        value = location.strip()
        if not value:
            raise InvalidInput.field("location", _("Name the location to count."))
        if len(value) > 200:
            raise InvalidInput.field("location", _("Use at most 200 characters."))
    scope = AuditScope(kind, value, company_id)
    running = await repository.open_audit_for(session, scope)
    if running is not None:
        message = _("Audit #{id} of {place} is still open; carry on with it or close it first.")
        raise Conflict(message.format(id=running.id, place=running.scope_value), audit_id=running.id)
    audit = StockAudit(company_id=company_id, scope_kind=kind, scope_value=value, started_by=actor.name)
    session.add(audit)
    await session.flush()
    await audit_trail.record(
        session, actor, "stock_audit.start", "stock_audit", audit.id, after=audit_trail.snapshot(audit)
    )
    return audit


@dataclass(frozen=True)
class ScanResult:
    scan: StockAuditScan
    repeated: bool


async def _scan(session: AsyncSession, actor: Actor, audit: StockAudit, term: str, source: str) -> ScanResult:
    assert audit.id is not None
    device_id = await devices.find_device_id(session, term)
    earlier = await repository.scan_for(session, audit.id, device_id=device_id, term_key=key_of(term))
    if earlier is not None:
        return ScanResult(earlier, repeated=True)
    location = company_id = None
    if device_id is not None:
        device = await device_service.get_device(session, device_id)
        location, company_id = device.location, device.company_id
    scan = StockAuditScan(
        audit_id=audit.id,
        term=term,
        term_key=key_of(term),
        device_id=device_id,
        outcome=outcome_of(scope_of(audit), location, company_id),
        registered_location=location or "",
        source=source,
        scanned_by=actor.name,
    )
    session.add(scan)
    await session.flush()
    return ScanResult(scan, repeated=False)


def _checked_term(text: str) -> str:
    term = clean_term(text)
    if not term:
        raise InvalidInput.field("term", _("Scan or type an asset tag or serial number."))
    if len(term) > MAX_TERM:
        raise InvalidInput.field("term", _("Use at most {n} characters.").format(n=MAX_TERM))
    return term


async def record_scan(session: AsyncSession, actor: Actor, audit_id: int, text: str) -> ScanResult:
    """One scan. A device (or a term) already scanned in this audit is reported as repeated and changes nothing."""
    term = _checked_term(text)
    # The audit row's lock serialises scans of one audit, so a double-fired scanner records the device once,
    # and no scan slips in after the close.
    audit = await repository.get_audit(session, audit_id, lock=True)
    _refuse_if_closed(audit)
    result = await _scan(session, actor, audit, term, "scan")
    if not result.repeated:
        scan = result.scan
        await audit_trail.record(
            session, actor, "stock_audit.scan", "stock_audit", audit_id, after=audit_trail.snapshot(scan)
        )
    return result


@dataclass(frozen=True)
class UploadResult:
    lines: int
    counts: dict[str, int]  # found, misplaced, unknown, repeated


async def record_upload(
    session: AsyncSession, actor: Actor, audit_id: int, data: bytes, max_lines: int
) -> UploadResult:
    """A list of tags or serials, as if each were scanned; one audit record lists what the list added."""
    terms = terms_from_file(data)
    if not terms:
        raise InvalidInput.field("list", _("The list holds no tags or serial numbers (one per line)."))
    if len(terms) > max_lines:
        raise InvalidInput.field("list", _("Send at most {n} lines at once.").format(n=max_lines))
    too_long = next((t for t in terms if len(t) > MAX_TERM), None)
    if too_long is not None:
        message = _("{term}… is longer than {n} characters; is this the right file?")
        raise InvalidInput.field("list", message.format(term=too_long[:20], n=MAX_TERM))
    audit = await repository.get_audit(session, audit_id, lock=True)
    _refuse_if_closed(audit)
    counts: Counter[str] = Counter({"found": 0, "misplaced": 0, "unknown": 0, "repeated": 0})
    added: list[int] = []
    for term in terms:
        result = await _scan(session, actor, audit, term, "upload")
        counts["repeated" if result.repeated else result.scan.outcome] += 1
        if not result.repeated:
            assert result.scan.id is not None
            added.append(result.scan.id)
    if added:
        after = {"lines": len(terms), "scan_ids": added, **{k: counts[k] for k in ("found", "misplaced", "unknown")}}
        await audit_trail.record(session, actor, "stock_audit.upload", "stock_audit", audit_id, after=after)
    return UploadResult(len(terms), dict(counts))


async def move_here(
    session: AsyncSession, actor: Actor, audit_id: int, scan_id: int, rules: RegistryRules
) -> StockAuditScan:
    """A misplaced device's registered location becomes the audit's (through the registry's own update)."""
    audit = await repository.get_audit(session, audit_id, lock=True)
    _refuse_if_closed(audit)
    row = await repository.scan_view(session, scan_id)
    scan: StockAuditScan = row.StockAuditScan
    if scan.audit_id != audit_id:
        raise InvalidInput.field("scan_id", _("scan {id} belongs to another audit").format(id=scan_id))
    if scan.outcome != "misplaced" or scan.device_id is None:
        raise Conflict(_("Only a device registered elsewhere can be moved here."), outcome=scan.outcome)
    if scan.moved_at is not None:
        raise Conflict(_("This device was already moved here by {who}.").format(who=scan.moved_by))
    device = await device_service.get_device(session, scan.device_id, lock=True)
    if audit.scope_kind != "location" or device.company_id != audit.company_id:
        # A whole-company count has no place to move to; another company's device stays that company's.
        raise Conflict(_("This device belongs to another company; a move here would not make it this company's."))
    update = DeviceUpdate(version=device.version, location=audit.scope_value)
    await device_service.update_device(session, actor, scan.device_id, update, rules)
    scan.moved_by, scan.moved_at = actor.name, utcnow()
    session.add(scan)
    await session.flush()
    after = {"scan_id": scan_id, "device_id": scan.device_id, "from": scan.registered_location, "to": audit.scope_value}
    await audit_trail.record(session, actor, "stock_audit.move_here", "stock_audit", audit_id, after=after)
    return scan


async def close_audit(session: AsyncSession, actor: Actor, audit_id: int) -> StockAudit:
    """Freezes the report: the devices the scope expects now, those scanned, and the missing rest."""
    audit = await repository.get_audit(session, audit_id, lock=True)
    _refuse_if_closed(audit)
    scope = scope_of(audit)
    missing = await repository.unscanned_expected(session, audit_id, scope)
    found = await repository.count_found_expected(session, audit_id, scope)
    session.add_all(
        StockAuditMissing(audit_id=audit_id, device_id=m.id, status_at_close=m.status, registered_location=m.location)
        for m in missing
    )
    before = {"status": audit.status, "version": audit.version}
    audit.status, audit.closed_by, audit.closed_at = "closed", actor.name, utcnow()
    audit.expected_count, audit.found_count, audit.missing_count = found + len(missing), found, len(missing)
    audit.version += 1
    session.add(audit)
    await session.flush()
    after = {
        "status": audit.status,
        "version": audit.version,
        "expected": audit.expected_count,
        "found": found,
        "missing_device_ids": [m.id for m in missing],
    }
    await audit_trail.record(session, actor, "stock_audit.close", "stock_audit", audit_id, before=before, after=after)
    return audit


async def mark_lost(
    session: AsyncSession, actor: Actor, audit_id: int, device_ids: list[int], reason: str | None = None
) -> list[int]:
    """Reports missing devices lost through the lifecycle (an event and an audit record per device). All or
    nothing: one device the table does not let go lost refuses the lot, naming it and why."""
    ids = list(dict.fromkeys(device_ids))
    if not ids:
        raise InvalidInput.field("device_ids", _("choose at least one missing device"))
    audit = await repository.get_audit(session, audit_id, lock=True)
    if audit.status != "closed":
        raise Conflict(_("Close the audit first: only then is it known which devices are missing."))
    rows = {m.device_id: m for m in await repository.missing_rows(session, audit_id, ids)}
    strangers = [i for i in ids if i not in rows]
    if strangers:
        listed = ", ".join(map(str, strangers))
        raise InvalidInput.field("device_ids", _("not missing in this audit: {ids}").format(ids=listed))
    statuses = await repository.device_statuses(session, ids)
    refused = [
        {"field": "device_ids", "device_id": str(i), "message": message}
        for i in ids
        if (message := _("already reported lost") if rows[i].lost_at else why_not_lost(statuses[i]))
    ]
    if refused:
        detail = "; ".join(f"#{e['device_id']}: {e['message']}" for e in refused)
        raise Conflict(_("Nothing was reported lost. {detail}").format(detail=detail), errors=refused)
    why = reason or _("Missing at stock-taking audit #{id} of {place}").format(id=audit_id, place=audit.scope_value)
    now = utcnow()
    for device_id in ids:
        await device_service.move_device(
            session, actor, device_id, Move.report_lost, reason=why, details={"stock_audit_id": audit_id}
        )
        rows[device_id].lost_by, rows[device_id].lost_at = actor.name, now
        session.add(rows[device_id])
    await session.flush()
    after = {"device_ids": ids, "reason": why}
    await audit_trail.record(session, actor, "stock_audit.mark_lost", "stock_audit", audit_id, after=after)
    return ids


@dataclass(frozen=True)
class Summary:
    """What the audit found so far (open) or at its close (closed): expected, found and missing are the close's
    frozen figures once closed; while open, expected and found are counted now and missing is unknown."""

    expected: int
    found: int
    missing: int | None
    misplaced: int
    moved: int
    unknown: int


async def summary(session: AsyncSession, audit: StockAudit) -> Summary:
    assert audit.id is not None
    counts = await repository.scan_counts(session, audit.id)
    if audit.status == "closed":
        assert audit.expected_count is not None and audit.found_count is not None
        expected, found, missing = audit.expected_count, audit.found_count, audit.missing_count
    else:
        scope = scope_of(audit)
        expected = await repository.expected_count(session, scope)
        found, missing = await repository.count_found_expected(session, audit.id, scope), None
    return Summary(expected, found, missing, counts["misplaced"], counts["moved"], counts["unknown"])


async def report_lines(session: AsyncSession, audit_id: int) -> list[list[str]]:
    """Every scan, then every missing device, read a page at a time."""
    lines: list[list[str]] = []
    cursor = None
    while True:
        page = await repository.list_scans(session, audit_id, cursor=cursor, limit=1000)
        lines.extend(scan_line(row) for row in page.items)
        if (cursor := page.next_cursor) is None:
            break
    while True:
        page = await repository.list_missing(session, audit_id, cursor=cursor, limit=1000)
        lines.extend(missing_line(row) for row in page.items)
        if (cursor := page.next_cursor) is None:
            return lines

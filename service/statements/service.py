"""Issuing frozen statements (and corrections that supersede them), and reading them back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import defer
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.charities.models import Charity
from service.charities.rules import statement_language
from service.companies.models import Company
from service.context import Actor
from service.donations.models import Donation
from service.errors import Conflict, NotFound
from service.i18n import _, use_locale
from service.settings import Settings
from service.statements import delivery
from service.statements.content import (
    COMPANY_DONOR_FIELDS,
    Approval,
    Meta,
    build_document,
    donor,
    donor_fields,
    donor_problems,
)
from service.statements.models import Statement
from service.statements.render import canonical_json, csv_bytes, pdf_bytes, sha256

DOCUMENT_COLUMNS = (Statement.json_document, Statement.csv_document, Statement.pdf_document)


class DonorDetailsMissing(Conflict):
    type_slug = "donor-details-missing"


async def donor_problems_of(
    session: AsyncSession, settings: Settings, donation: Donation
) -> tuple[list[dict[str, str]], bool]:
    """What is missing from the donor's details on this donation's statement, and whether they are the donating
    company's own (true) or the organisation's (settings)."""
    company = await session.get(Company, donation.company_id)
    fields = donor_fields(company)
    return donor_problems(donor(settings, company), fields), fields is COMPANY_DONOR_FIELDS


async def require_donor_details(session: AsyncSession, settings: Settings, donation: Donation) -> None:
    """Refuses (409, naming each missing field) to issue a statement without the donor's full identity: a tax
    authority may refuse an ANBI gift whose written proof lacks it (reference/statements.md). The donor is the
    donating company when it has a legal name of its own, else the organisation."""
    problems, own = await donor_problems_of(session, settings, donation)
    if problems:
        where = (
            _("An administrator sets them on the company (PATCH /api/v1/companies/{id})").format(id=donation.company_id)
            if own
            else _("An administrator sets them in the installation's settings")
        )
        raise DonorDetailsMissing(
            _(
                "A donation statement needs the donor's details, and these are missing or wrong: {problems}. "
                "{where}; then try again."
            ).format(problems="; ".join(f"{p['message']} ({p['field']})" for p in problems), where=where),
            errors=problems,
        )


@dataclass(frozen=True)
class Rendered:
    """A statement rendered but not stored yet: rendering happens before the caller's first audit record, so
    the audit chain's lock is not held while a long PDF is drawn."""

    meta: Meta
    kind: str
    line_count: int
    json_document: bytes
    json_sha256: str
    csv_document: bytes
    csv_sha256: str
    pdf_document: bytes
    pdf_sha256: str
    supersedes_id: int | None


async def current(session: AsyncSession, donation_id: int, *, with_documents: bool = False) -> Statement | None:
    stmt = select(Statement).where(Statement.donation_id == donation_id).order_by(Statement.version.desc()).limit(1)  # type: ignore[attr-defined]
    if not with_documents:
        stmt = stmt.options(*(defer(c) for c in DOCUMENT_COLUMNS))  # type: ignore[arg-type]
    return (await session.exec(stmt)).first()


async def history(session: AsyncSession, donation_id: int) -> list[Statement]:
    stmt = (
        select(Statement)
        .where(Statement.donation_id == donation_id)
        .order_by(Statement.version.desc())  # type: ignore[attr-defined]
        .options(*(defer(c) for c in DOCUMENT_COLUMNS))  # type: ignore[arg-type]
    )
    return list((await session.exec(stmt)).all())


async def with_documents(session: AsyncSession, donation_id: int, statement_id: int | None) -> Statement:
    """The current statement of a donation, or one of its earlier ones, with its three documents."""
    if statement_id is None:
        found = await current(session, donation_id, with_documents=True)
    else:
        stmt = select(Statement).where(Statement.id == statement_id, Statement.donation_id == donation_id)
        found = (await session.exec(stmt)).first()
    if found is None:
        if statement_id is None:
            message = _("Donation {id} has no statement yet; one is issued when it is approved.")
        else:
            message = _("Donation {id} has no statement with id {statement} yet; one is issued when it is approved.")
        raise NotFound(message.format(id=donation_id, statement=statement_id))
    return found


async def render(
    session: AsyncSession,
    settings: Settings,
    donation: Donation,
    charity: Charity,
    approvals: list[Approval],
    *,
    kind: str,
    reason: str,
    status: str,
    now: datetime,
) -> Rendered:
    assert donation.id is not None
    previous = await current(session, donation.id)
    version = 1 if previous is None else previous.version + 1
    meta = Meta(
        number=f"{now.astimezone(settings.tz).year}-{donation.id:05d}-{version}",
        version=version,
        kind=kind,
        issued_at=now,
        issued_on=now.astimezone(settings.tz).date(),
        supersedes=None if previous is None else previous.number,
        reason=reason,
    )
    document = await build_document(session, settings, donation, charity, approvals, meta, status)
    json_doc = canonical_json(document)
    json_hash = sha256(json_doc)
    with use_locale(statement_language(charity)):  # the people's forms speak the charity's language
        csv_doc = csv_bytes(document)
        pdf_doc = pdf_bytes(document, json_hash)
    return Rendered(
        meta=meta,
        kind=kind,
        line_count=len(document["object"]),
        json_document=json_doc,
        json_sha256=json_hash,
        csv_document=csv_doc,
        csv_sha256=sha256(csv_doc),
        pdf_document=pdf_doc,
        pdf_sha256=sha256(pdf_doc),
        supersedes_id=None if previous is None else previous.id,
    )


async def store(
    session: AsyncSession, actor: Actor, donation: Donation, charity: Charity, rendered: Rendered
) -> Statement:
    """Freezes a rendered statement, queues its delivery to the charity's webhook, and audits both."""
    statement = Statement(
        donation_id=donation.id,  # type: ignore[arg-type]
        version=rendered.meta.version,
        number=rendered.meta.number,
        kind=rendered.kind,
        supersedes_id=rendered.supersedes_id,
        reason=rendered.meta.reason,
        issued_by=actor.name,
        issued_at=rendered.meta.issued_at,
        line_count=rendered.line_count,
        json_document=rendered.json_document,
        json_sha256=rendered.json_sha256,
        csv_document=rendered.csv_document,
        csv_sha256=rendered.csv_sha256,
        pdf_document=rendered.pdf_document,
        pdf_sha256=rendered.pdf_sha256,
    )
    session.add(statement)
    await session.flush()
    await audit.record(
        session,
        actor,
        "statement.issue",
        "donation",
        donation.id,
        after={
            "statement_id": statement.id,
            "number": statement.number,
            "kind": statement.kind,
            "supersedes_id": statement.supersedes_id,
            "reason": statement.reason,
            "lines": statement.line_count,
            "json_sha256": statement.json_sha256,
            "pdf_sha256": statement.pdf_sha256,
            "csv_sha256": statement.csv_sha256,
        },
    )
    await delivery.queue(session, actor, statement, charity)
    return statement


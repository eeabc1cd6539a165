"""Charities: their details, delivery settings and allocation shares (set together, adding up to 100 %)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from integrations.charity.signing import new_secret
from service.audit import service as audit
from service.charities.models import Charity
from service.charities.rules import FULL_SHARE_BP, format_percent, parse_percent, shares_problem
from service.charities.schemas import CharityCreate, CharityUpdate, ShareItem
from service.context import Actor
from service.editing import apply_changes, expect_version
from service.errors import Conflict, InvalidInput, NotFound
from service.i18n import _, default_locale
from service.money import parse_amount
from service.pagination import Page, keyset, page_of

# Never in an audit record: whoever reads the trail must not be able to sign webhooks.
_SECRET = frozenset({"webhook_secret"})


def _audited(charity: Charity) -> dict[str, Any]:
    return audit.snapshot(charity, exclude=_SECRET)


def _scope(stmt: Any, actor: Actor) -> Any:
    """A charity user sees only its own charity."""
    if actor.charity_id is not None:
        stmt = stmt.where(Charity.id == actor.charity_id)
    return stmt


async def list_charities(
    session: AsyncSession, actor: Actor, *, active: bool | None, cursor: str | None, limit: int
) -> Page[Charity]:
    stmt = _scope(select(Charity), actor)
    if active is not None:
        stmt = stmt.where(Charity.active == active)
    rows = (await session.exec(keyset(stmt, Charity.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def get_charity(session: AsyncSession, actor: Actor, charity_id: int, *, lock: bool = False) -> Charity:
    stmt = _scope(select(Charity).where(Charity.id == charity_id), actor)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    charity = (await session.exec(stmt)).first()
    if charity is None:
        raise NotFound(_("No charity has id {charity_id}.").format(charity_id=charity_id))
    return charity


async def _name_free(session: AsyncSession, name: str, except_id: int | None = None) -> None:
    stmt = select(Charity.id).where(sa.func.lower(Charity.name) == name.lower())
    if except_id is not None:
        stmt = stmt.where(Charity.id != except_id)
    if (await session.exec(stmt)).first() is not None:
        raise Conflict(
            _("A charity named {name} already exists.").format(name=name),
            errors=[{"field": "name", "message": _("is already used by another charity")}],
        )


async def create_charity(session: AsyncSession, actor: Actor, data: CharityCreate) -> tuple[Charity, str | None]:
    """Returns the charity and, when one was generated, its new webhook secret (shown once)."""
    await _name_free(session, data.name)
    generated = new_secret() if data.webhook_url and not data.webhook_secret else None
    charity = Charity(
        name=data.name,
        kvk_number=data.kvk_number,
        rsin=data.rsin,
        anbi_status=data.anbi_status,
        anbi_checked_on=data.anbi_checked_on,
        contact_name=data.contact_name,
        contact_email=str(data.contact_email or ""),
        address=data.address,
        minimum_donation_cents=parse_amount(data.minimum_donation),
        cost_per_device_cents=parse_amount(data.cost_per_device),
        webhook_url=data.webhook_url,
        webhook_secret=data.webhook_secret or generated or "",
        active=data.active,
        language=data.language or default_locale(),
    )
    session.add(charity)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict(_("A charity named {name} already exists.").format(name=data.name)) from None
    after = _audited(charity) | {"webhook_secret": "set" if charity.webhook_secret else ""}
    await audit.record(session, actor, "charity.create", "charity", charity.id, after=after)
    return charity, generated


async def update_charity(
    session: AsyncSession, actor: Actor, charity_id: int, data: CharityUpdate
) -> tuple[Charity, str | None]:
    charity = await get_charity(session, actor, charity_id, lock=True)
    expect_version(charity, data.version, "charity")
    changes = data.model_dump(exclude_unset=True, exclude={"version", "rotate_webhook_secret"})
    for money in ("minimum_donation", "cost_per_device"):
        if money in changes:
            value = changes.pop(money)
            if value is not None:
                changes[f"{money}_cents"] = parse_amount(value)
    for field in (
        "name", "kvk_number", "rsin", "anbi_status", "contact_name", "address", "webhook_url", "active", "language"
    ):
        if field in changes and changes[field] is None:
            del changes[field]
    if "contact_email" in changes:
        changes["contact_email"] = str(changes["contact_email"] or "")
    if changes.get("name"):
        await _name_free(session, changes["name"], except_id=charity_id)
    generated = None
    secret_before = charity.webhook_secret
    if data.rotate_webhook_secret:
        if data.webhook_secret:
            raise InvalidInput.field("webhook_secret", _("send either a secret or rotate_webhook_secret, not both"))
        generated = new_secret()
        changes["webhook_secret"] = generated
    elif changes.get("webhook_secret") is None:
        changes.pop("webhook_secret", None)
        if changes.get("webhook_url") and not charity.webhook_secret:
            generated = new_secret()
            changes["webhook_secret"] = generated
    secret_changed = "webhook_secret" in changes and changes["webhook_secret"] != secret_before
    before, after = apply_changes(charity, changes)
    before.pop("webhook_secret", None)
    after.pop("webhook_secret", None)
    if secret_changed:  # the secret itself never goes into the audit trail; that it changed does
        after["webhook_secret"] = "rotated"
    try:
        await session.flush()
    except IntegrityError:  # a concurrent rename to the same name, past _name_free
        raise Conflict(_("A charity named {name} already exists.").format(name=changes.get('name'))) from None
    if after:
        await audit.record(session, actor, "charity.update", "charity", charity.id, before=before, after=after)
    return charity, generated


async def validated_shares(session: AsyncSession, items: list[ShareItem]) -> tuple[list[Charity], dict[int, int]]:
    """Every charity (locked) and the wanted basis points by charity id: one share per active charity, none for
    an inactive one, together exactly 100 %. Refuses (422, on ``shares``) anything else."""
    wanted = {item.charity_id: parse_percent(item.share) for item in items}
    if len(wanted) != len(items):
        raise InvalidInput.field("shares", _("a charity is listed twice"))
    charities = list((await session.exec(select(Charity).order_by(Charity.id).with_for_update())).all())
    by_id = {c.id: c for c in charities}
    unknown = sorted(set(wanted) - set(by_id))
    if unknown:
        raise InvalidInput.field(
            "shares", _("no charity has id {unknown}").format(unknown=", ".join(map(str, unknown)))
        )
    inactive = [by_id[i].name for i in wanted if not by_id[i].active and wanted[i] > 0]
    if inactive:
        raise InvalidInput.field(
            "shares", _("an inactive charity gets no share: {inactive}").format(inactive=", ".join(inactive))
        )
    missing = [c.name for c in charities if c.active and c.id not in wanted]
    if missing:
        raise InvalidInput.field(
            "shares",
            _("give every active charity a share (0 is allowed): {missing}").format(missing=", ".join(missing)),
        )
    total = sum(wanted.values())
    if total != FULL_SHARE_BP:
        raise InvalidInput.field(
            "shares", _("the shares add up to {total} %; they must make 100.00 %").format(total=format_percent(total))
        )
    return charities, wanted


async def set_shares(session: AsyncSession, actor: Actor, items: list[ShareItem]) -> list[Charity]:
    """Sets every active charity's share at once; together they must make exactly 100 %."""
    charities, wanted = await validated_shares(session, items)
    by_id = {c.id: c for c in charities}
    before = {c.name: format_percent(c.share_bp) for c in charities if c.active}
    for charity_id, bp in wanted.items():
        charity = by_id[charity_id]
        if charity.share_bp != bp:
            apply_changes(charity, {"share_bp": bp})
    await session.flush()
    after = {c.name: format_percent(c.share_bp) for c in charities if c.active}
    await audit.record(session, actor, "charity.shares", "charity", "shares", before=before, after=after)
    return charities


async def active_charities(session: AsyncSession) -> list[Charity]:
    return list((await session.exec(select(Charity).where(Charity.active == True).order_by(Charity.id))).all())  # noqa: E712


def readiness(charities: list[Charity]) -> str | None:
    """Why a donation run cannot start with these active charities, or None."""
    return shares_problem({c.name: c.share_bp for c in charities})

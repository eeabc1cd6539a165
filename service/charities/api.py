from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.params import JSONBody
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.charities import service
from service.charities.models import Charity
from service.charities.rules import format_percent, statement_language
from service.charities.schemas import (
    CharityCreate,
    CharityOut,
    CharityPage,
    CharityUpdate,
    ShareOut,
    SharesOut,
    SharesUpdate,
)
from service.context import Actor
from service.errors import Forbidden
from service.i18n import _
from service.money import format_cents
from service.pagination import DEFAULT_LIMIT
from service.web.deps import CurrentActor, DbSession, PageLimit, created


def charity_out(c: Charity, new_secret: str | None = None) -> CharityOut:
    assert c.id is not None
    return CharityOut(
        id=c.id,
        name=c.name,
        kvk_number=c.kvk_number,
        rsin=c.rsin,
        anbi_status=c.anbi_status,
        anbi_checked_on=c.anbi_checked_on,
        contact_name=c.contact_name,
        contact_email=c.contact_email,
        address=c.address,
        share=format_percent(c.share_bp),
        minimum_donation=format_cents(c.minimum_donation_cents),
        cost_per_device=format_cents(c.cost_per_device_cents),
        webhook_url=c.webhook_url,
        webhook_secret_set=bool(c.webhook_secret),
        webhook_secret=new_secret,
        active=c.active,
        language=statement_language(c),
        version=c.version,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def shares_out(charities: list[Charity]) -> SharesOut:
    active = [c for c in charities if c.active]
    problem = service.readiness(active)
    return SharesOut(
        items=[
            ShareOut(charity_id=c.id, name=c.name, active=c.active, share=format_percent(c.share_bp))  # type: ignore[arg-type]
            for c in charities
        ],
        total_active=format_percent(sum(c.share_bp for c in active)),
        ready=problem is None,
        problem=problem,
    )


def _may_read(actor: Actor) -> None:
    if not (actor.can(Permission.administer) or actor.can(Permission.read_money)):
        raise Forbidden(_("Your role may not read charities."))


async def all_charities(session: AsyncSession, actor: Actor) -> list[Charity]:
    page = await service.list_charities(session, actor, active=None, cursor=None, limit=1000)
    return page.items


class CharityController(Controller):
    path = "/api/v1/charities"
    tags = ["charities"]

    @get("/", summary="Charities (a charity user sees only its own)")
    async def list_charities(
        self,
        session: DbSession,
        actor: CurrentActor,
        active: bool | None = None,
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> CharityPage:
        _may_read(actor)
        page = await service.list_charities(session, actor, active=active, cursor=cursor, limit=limit)
        return CharityPage(items=[charity_out(c) for c in page.items], next_cursor=page.next_cursor)

    @post("/", guards=[requires(Permission.administer)], summary="Add a charity (its share is set on /shares)")
    async def create_charity(
        self, request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, data: JSONBody[CharityCreate]
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            charity, secret = await service.create_charity(session, actor, data)
            return 201, charity_out(charity, secret).model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/shares", summary="Allocation shares of every charity, and whether a donation run can start")
    async def get_shares(self, session: DbSession, actor: CurrentActor) -> SharesOut:
        _may_read(actor)
        if actor.charity_id is not None:
            raise Forbidden(_("The allocation shares are for admin and finance."))
        return shares_out(await all_charities(session, actor))

    @put("/shares", guards=[requires(Permission.administer)], summary="Set every active charity's share at once")
    async def set_shares(self, session: DbSession, actor: CurrentActor, data: JSONBody[SharesUpdate]) -> SharesOut:
        return shares_out(await service.set_shares(session, actor, data.shares))

    @get("/{charity_id:int}")
    async def get_charity(self, session: DbSession, actor: CurrentActor, charity_id: int) -> CharityOut:
        _may_read(actor)
        return charity_out(await service.get_charity(session, actor, charity_id))

    @patch("/{charity_id:int}", guards=[requires(Permission.administer)])
    async def update_charity(
        self, session: DbSession, actor: CurrentActor, charity_id: int, data: JSONBody[CharityUpdate]
    ) -> CharityOut:
        charity, secret = await service.update_charity(session, actor, charity_id, data)
        return charity_out(charity, secret)

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import JSONBody
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts import service
from service.accounts.auth import requires
from service.accounts.models import User
from service.accounts.permissions import Permission
from service.accounts.schemas import (
    ProfileUpdate,
    TokenRequest,
    TokenResponse,
    UserCreate,
    UserOut,
    UserPage,
    UserUpdate,
)
from service.i18n import _
from service.pagination import DEFAULT_LIMIT
from service.web.deps import CurrentActor, DbSession, PageLimit, created
from service.web.problems import problem


def user_out(user: User, company_ids: list[int] | None = None) -> UserOut:
    out = UserOut.model_validate(user, from_attributes=True)
    out.company_ids = company_ids or []
    return out


async def one_user_out(session: AsyncSession, user: User) -> UserOut:
    assert user.id is not None
    return user_out(user, (await service.companies_by_user(session, [user.id])).get(user.id))


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/token", summary="Exchange a username and password for a bearer token", status_code=200)
    async def token(
        self, request: Request[Any, Any, Any], state: State, session: DbSession, data: JSONBody[TokenRequest]
    ) -> Response[Any]:
        settings = state.settings
        principal = await service.authenticate(
            session,
            data.username,
            data.password,
            client_ip=request.client.host if request.client else "",
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        )
        if principal is None:
            # Returned rather than raised so the failed attempt is committed and counts for throttling.
            return problem(
                401, _("Not authenticated"), _("Unknown username or wrong password."), slug="not-authenticated"
            )
        token = state.api_tokens.issue(principal.id, principal.session_epoch)
        return Response(TokenResponse(access_token=token, expires_in=settings.token_ttl_seconds))


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["users"]
    guards = [requires(Permission.administer)]

    @get("/")
    async def list_users(
        self, session: DbSession, cursor: str | None = None, limit: PageLimit = DEFAULT_LIMIT
    ) -> UserPage:
        page = await service.list_users(session, cursor=cursor, limit=limit)
        companies = await service.companies_by_user(session, [u.id for u in page.items if u.id is not None])
        items = [user_out(u, companies.get(u.id or 0)) for u in page.items]
        return UserPage(items=items, next_cursor=page.next_cursor)

    @post("/")
    async def create_user(
        self, request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, data: JSONBody[UserCreate]
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            user = await service.create_user(session, actor, data)
            return 201, (await one_user_out(session, user)).model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/{user_id:int}")
    async def get_user(self, session: DbSession, user_id: int) -> UserOut:
        return await one_user_out(session, await service.get_user(session, user_id))

    @patch("/{user_id:int}")
    async def update_user(
        self, state: State, session: DbSession, actor: CurrentActor, user_id: int, data: JSONBody[UserUpdate]
    ) -> UserOut:
        user = await service.update_user(session, actor, user_id, data)
        state.principal_cache.forget(user_id)
        return await one_user_out(session, user)


class ProfileController(Controller):
    """The signed-in person's own settings (for now, the language Kringloop speaks to them)."""

    path = "/api/v1/profile"
    tags = ["users"]

    @get("/")
    async def get_profile(self, session: DbSession, actor: CurrentActor) -> UserOut:
        assert actor.user_id is not None
        return await one_user_out(session, await service.get_user(session, actor.user_id))

    @patch("/")
    async def update_profile(
        self, state: State, session: DbSession, actor: CurrentActor, data: JSONBody[ProfileUpdate]
    ) -> UserOut:
        user = await service.set_own_locale(session, actor, data.locale)
        state.principal_cache.forget(user.id)
        return await one_user_out(session, user)

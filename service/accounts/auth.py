"""Authentication (bearer token for the API, session cookie for the pages) and role guards."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.permissions import Permission, can
from service.accounts.service import Principal, load_principal
from service.accounts.tokens import TokenSigner
from service.companies.scope import reset_scope, set_scope
from service.i18n import gettext

SESSION_COOKIE = "kringloop_session"
PUBLIC_PATHS = [
    "^/health/",
    "^/static/",
    "^/login$",
    "^/api/v1/auth/token$",
    "^/schema",
    "^/favicon.ico$",
]


class PrincipalCache:
    """Users looked up in the last few seconds, so an authenticated read costs no extra query."""

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._entries: dict[int, tuple[float, Principal | None]] = {}

    def get(self, user_id: int) -> tuple[bool, Principal | None]:
        entry = self._entries.get(user_id)
        if entry is None or entry[0] < time.monotonic():
            return False, None
        return True, entry[1]

    def put(self, user_id: int, principal: Principal | None) -> None:
        if self._ttl > 0:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[user_id] = (time.monotonic() + self._ttl, principal)

    def forget(self, user_id: int) -> None:
        self._entries.pop(user_id, None)


class AuthMiddleware(AbstractAuthenticationMiddleware):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # The company scope set below lasts exactly as long as this request (a test client may run requests in
        # the caller's own context).
        outer = set_scope(None)
        try:
            await super().__call__(scope, receive, send)
        finally:
            reset_scope(outer)

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        state = connection.app.state
        header = connection.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise NotAuthorizedException(gettext("Send the token as 'Authorization: Bearer <token>'."))
            claims = state.api_tokens.read(token.strip())
        elif not connection.url.path.startswith("/api/") and (cookie := connection.cookies.get(SESSION_COOKIE)):
            claims = state.session_tokens.read(cookie)
        else:
            raise NotAuthorizedException(
                gettext("Sign in first: POST /api/v1/auth/token and send the token as a Bearer header.")
            )
        if claims is None:
            raise NotAuthorizedException(gettext("Your token is invalid or has expired; sign in again."))
        principal = await _principal(state.principal_cache, state.sessionmaker, claims.user_id)
        if principal is None or principal.session_epoch != claims.session_epoch:
            raise NotAuthorizedException(gettext("This sign-in is no longer valid; sign in again."))
        # Every query of this request, in whatever session or task it runs, is held to the user's companies.
        set_scope(principal.company_ids)
        return AuthenticationResult(user=principal, auth=claims)


async def _principal(
    cache: PrincipalCache, sessionmaker: async_sessionmaker[AsyncSession], user_id: int
) -> Principal | None:
    hit, principal = cache.get(user_id)
    if hit:
        return principal
    async with sessionmaker() as session:
        principal = await load_principal(session, user_id)
    cache.put(user_id, principal)
    return principal


# What spans every company (users, companies, custom-field definitions, jobs, the audit trail): never a
# company-scoped user's, whatever the role.
ORGANISATION_WIDE = frozenset({Permission.administer, Permission.read_audit})


def requires(*permissions: Permission) -> Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]:
    """A route guard: the signed-in user's role must grant every one of ``permissions``."""

    organisation_wide = ORGANISATION_WIDE.intersection(permissions)

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal: Principal = connection.user
        if organisation_wide and principal.company_ids is not None:
            # Not theirs to know about: for a company-scoped user the route does not exist.
            raise NotFoundException()
        missing = [p for p in permissions if not can(principal.role, p)]
        if missing:
            raise PermissionDeniedException(
                gettext("Your role ({role}) may not do this; it needs {permissions}.").format(
                    role=principal.role.value, permissions=", ".join(m.value for m in missing)
                )
            )

    return guard


def make_signers(secret: str, token_ttl: int, session_ttl: int) -> tuple[TokenSigner, TokenSigner]:
    return (
        TokenSigner(secret, purpose="api-token", max_age_seconds=token_ttl),
        TokenSigner(secret, purpose="ui-session", max_age_seconds=session_ttl),
    )


async def bearer_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """The user of a valid bearer token, or None: for routes outside the middleware that also let other
    callers in (``/metrics`` from an allowed address) and so decide for themselves what a bad token means."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    state = connection.app.state
    claims = state.api_tokens.read(token.strip())
    if claims is None:
        return None
    principal = await _principal(state.principal_cache, state.sessionmaker, claims.user_id)
    if principal is None or principal.session_epoch != claims.session_epoch:
        return None
    return principal

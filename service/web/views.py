"""HTML pages shared by every feature: sign-in, sign-out and the dashboard."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from litestar import MediaType, Request, get, post
from litestar.datastructures import Cookie, State
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from service.accounts import service as accounts
from service.accounts.auth import SESSION_COOKIE
from service.devices import repository as devices_repo
from service.devices.lifecycle import DeviceStatus
from service.devices.views import DEVICE_VIEW_HANDLERS
from service.errors import TooManyAttempts
from service.i18n import _
from service.web.deps import CurrentActor, DbSession


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login would hand the session to a phishing page.
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


@get("/login", include_in_schema=False)
async def login_page(next: str | None = None) -> Template:
    return Template(
        "accounts/login.html",
        context={"next": _safe_next(next), "error": None, "username": ""},
        media_type=MediaType.HTML,
    )


@post("/login", include_in_schema=False)
async def login(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    username, password = data.get("username", ""), data.get("password", "")
    target = _safe_next(data.get("next"))
    settings = state.settings
    try:
        principal = await accounts.authenticate(
            session,
            username,
            password,
            client_ip=request.client.host if request.client else "",
            max_failures=settings.login_max_failures,
            window_seconds=settings.login_window_seconds,
        )
        error = None if principal else _("Unknown username or wrong password.")
    except TooManyAttempts as exc:
        principal, error = None, exc.detail
    if principal is None:
        return Template(
            "accounts/login.html",
            context={"next": target, "error": error, "username": username},
            status_code=401,
            media_type=MediaType.HTML,
        )
    cookie = Cookie(
        key=SESSION_COOKIE,
        value=state.session_tokens.issue(principal.id, principal.session_epoch),
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_ttl_seconds,
    )
    return Redirect(target, cookies=[cookie])


@post("/logout", include_in_schema=False)
async def logout(state: State, session: DbSession, actor: CurrentActor) -> Redirect:
    assert actor.user_id is not None
    await accounts.end_sessions(session, actor, actor.user_id)
    state.principal_cache.forget(actor.user_id)
    return Redirect("/login", cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, expires=0)])


@get("/", include_in_schema=False)
async def dashboard(request: Request[Any, Any, Any], session: DbSession) -> Template:
    counts = await devices_repo.count_by_status(session) if request.user.role.value != "charity" else {}
    statuses = [(s, counts.get(s.value, 0)) for s in DeviceStatus]
    # Overdue wipes (service/wipes) are helpdesk's to chase; admin and auditors see them too.
    overdue = None
    if request.user.role.value in ("admin", "helpdesk", "auditor"):
        from service.wipes.repository import overdue_devices

        overdue = await overdue_devices(session)
    return Template(
        "dashboard.html",
        context={"statuses": statuses, "total": sum(counts.values()), "overdue_wipes": overdue},
        media_type=MediaType.HTML,
    )


VIEW_HANDLERS: list[Any] = [login_page, login, logout, dashboard, *DEVICE_VIEW_HANDLERS]

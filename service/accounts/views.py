"""The signed-in person's profile page, and the header's language switcher (both set the same profile field)."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, get, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from service.accounts import service
from service.i18n import LOCALES
from service.web.deps import CurrentActor, DbSession


def _chosen(value: str | None) -> str | None:
    # The form's empty choice means "follow my browser"; anything we do not speak is treated the same.
    return value if value in LOCALES else None


def _back(target: str | None) -> str:
    # Only local paths, as after sign-in: a language switch must not become an open redirect.
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


@get("/profile", include_in_schema=False)
async def profile_page(session: DbSession, actor: CurrentActor, saved: bool = False) -> Template:
    assert actor.user_id is not None
    user = await service.get_user(session, actor.user_id)
    return Template(
        "accounts/profile.html", context={"profile": user, "saved": saved}, media_type=MediaType.HTML
    )


@post("/profile", include_in_schema=False)
async def save_profile(
    state: State,
    session: DbSession,
    actor: CurrentActor,
    data: URLEncodedBody[dict[str, str]],
) -> Redirect:
    user = await service.set_own_locale(session, actor, _chosen(data.get("locale")))
    state.principal_cache.forget(user.id)
    if "next" in data:
        return Redirect(_back(data.get("next")))
    return Redirect("/profile?saved=true")


PROFILE_VIEW_HANDLERS: list[Any] = [profile_page, save_profile]

"""The language of each request: the person's profile setting, else Accept-Language, else the organisation's.

Registered twice in the middleware stack: before authentication (so a sign-in page or a refused token speaks the
browser's language) and after it (where the signed-in person's own setting is known). The choice lives in a
context variable (service/i18n.py), so every ``_()`` during the request reads it.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send

from service.i18n import choose_locale, use_locale


def locale_of_scope(scope: Scope | dict[str, Any]) -> str:
    user = scope.get("user")
    accept = dict(scope.get("headers") or ()).get(b"accept-language", b"").decode("latin-1")
    app = scope.get("app")
    default = app.state.settings.lang if app is not None else None
    return choose_locale(getattr(user, "locale", None), accept, default)


def locale_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return locale_of_scope(connection.scope)


class LocaleMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with use_locale(locale_of_scope(scope)):
            await self.app(scope, receive, send)

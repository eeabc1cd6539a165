"""Browser tests: the real app under uvicorn in a thread, on a fresh SQLite file holding the demo organisation,
driven through Debian's Chromium by Playwright (no `playwright install`)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from service.app import create_app
from service.demo import ensure_demo
from service.migrate import upgrade
from service.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IN_CI = os.environ.get("CI") == "true"


def sign_in(page: Any, username: str = "helpdesk", password: str = "demo") -> None:
    """Signs in on the login page and waits until the signed-in page shows, so the next step never races it."""
    import re

    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=re.compile(f"Sign out {re.escape(username)}"))).to_be_visible()


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path: Path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    url = f"sqlite+aiosqlite:///{path}"
    settings = Settings(
        database_url=url,
        demo_mode=True,
        secret_key="e2e-secret-key-123456",
        scheduler_enabled=False,
        log_level="WARNING",
    )
    upgrade(url)
    asyncio.run(ensure_demo(settings))

    port = _free_port()
    # ws="none": no websocket routes, and it keeps the websockets package's deprecation warnings away.
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", ws="none")
    server = uvicorn.Server(config)  # signal handlers are only installed in the main thread
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            pytest.fail("the app did not start under uvicorn within 30 s", pytrace=False)
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", settings=settings)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def chromium() -> str:
    if not os.path.exists(CHROMIUM):
        message = f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium: str, live_server: LiveServer) -> Iterator[Any]:
    # The server is set up first: Playwright's sync API keeps an event loop running in this thread, and the
    # migrations and the demo loader start their own.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context per test, failing the test on any JavaScript error or console error."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_console(msg: Any) -> None:
        # A refused form answers 409/422 on purpose, and Chromium logs every non-2xx document as an error.
        expected = any(f"status of {code}" in msg.text for code in (409, 422))
        if msg.type == "error" and not expected:
            problems.append(f"console {msg.type}: {msg.text}")

    page.on("console", on_console)
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems

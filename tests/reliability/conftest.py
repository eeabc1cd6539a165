"""The reliability suite: PostgreSQL only (skipped with a message without it, failing under CI=true).

The app and per-role clients are the integration tests' (tests/integration/conftest.py), on PostgreSQL alone.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET, Database, _reset_postgres, postgres_required_or_skip
from tests.integration.conftest import api, app  # noqa: F401  (the fixtures, on the database below)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    postgres_required_or_skip()
    url: str = request.getfixturevalue("postgres_database")
    asyncio.run(_reset_postgres(url))
    yield Database("postgres", url)


def app_env(url: str, **settings: str) -> dict[str, str]:
    """The environment of an app process the tests start: production mode, the test database, fakes for partners
    (no partner URL is set, so the built-in fakes answer)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRINGLOOP_")}
    env.update(
        KRINGLOOP_DATABASE_URL=url, KRINGLOOP_SECRET_KEY=TEST_SECRET, KRINGLOOP_DEMO_MODE="false",
        KRINGLOOP_LOG_LEVEL="WARNING", KRINGLOOP_AUTH_CACHE_SECONDS="0", KRINGLOOP_LANG="en",
    )  # fmt: skip
    env.update({f"KRINGLOOP_{k.upper()}": v for k, v in settings.items()})
    return env


def cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """One app instance under uvicorn on a loopback port (the factory the image runs)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "service.asgi:app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip


def wait_ready(process: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the app on port {port} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the app on port {port} was not ready within {timeout} s: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for_file(path: Path, process: subprocess.Popen[str], timeout: float = 60.0) -> int:
    """Waits until the process reached its pause point (it writes its pid there); returns that pid."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        if process.poll() is not None:
            out, err = process.communicate()
            raise AssertionError(f"the process ended before its pause point: {out} {err}")
        time.sleep(0.05)
    raise AssertionError(f"the process did not reach its pause point within {timeout} s")

"""The ``kringloop`` command and the container's entry point, run as real processes."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
KRINGLOOP = [sys.executable, "-m", "service.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRINGLOOP_")}
    env.update(KRINGLOOP_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
               KRINGLOOP_SECRET_KEY="cli-test-secret-0123456789", KRINGLOOP_LOG_LEVEL="WARNING",
               KRINGLOOP_LANG="en")
    env.update(extra)
    return env


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KRINGLOOP, *args], env=env, input=stdin, capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_migrate_users_create_and_audit_verify(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _run(["migrate"], env).returncode == 0
    created = _run(["users", "create", "alice", "--role", "admin", "--password-stdin"], env,
                   stdin="a long enough password\n")
    assert created.returncode == 0, created.stderr
    assert "Created user alice" in created.stdout
    weak = _run(["users", "create", "bob", "--role", "admin", "--password-stdin"], env, stdin="short\n")
    assert weak.returncode != 0 and "password" in weak.stderr
    unbound = _run(["users", "create", "carol", "--role", "charity", "--password-stdin"], env,
                   stdin="a long enough password\n")
    assert unbound.returncode != 0 and "charity_id" in unbound.stderr
    verified = _run(["audit", "verify"], env)
    assert verified.returncode == 0 and "intact: 1 records" in verified.stdout

    import sqlite3

    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute("UPDATE audit_records SET action = 'user.delete' WHERE seq = 1")
    broken = _run(["audit", "verify"], env)
    assert broken.returncode == 1 and "record 1" in broken.stderr


def test_the_cli_speaks_dutch_with_lang_or_kringloop_lang(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _run(["--lang", "nl", "migrate"], env).stdout.strip() == "De database heeft het nieuwste schema."
    created = _run(["users", "create", "alice", "--role", "admin", "--password-stdin"], {**env, "KRINGLOOP_LANG": "nl"},
                   stdin="a long enough password\n")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("Gebruiker alice aangemaakt (id 1, rol admin)")
    weak = _run(["--lang", "nl", "users", "create", "bob", "--role", "admin", "--password-stdin"], env, stdin="short\n")
    assert weak.returncode != 0 and "moet minstens" in weak.stderr
    english = _run(["--lang", "en", "migrate"], {**env, "KRINGLOOP_LANG": "nl"})  # the option beats the variable
    assert english.stdout.strip() == "Database is at the newest schema."


def test_demo_loads_only_in_demo_mode_and_only_once(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert _run(["migrate"], env).returncode == 0
    refused = _run(["demo"], env)
    assert refused.returncode != 0 and "demo mode" in refused.stderr
    demo_env = {**env, "KRINGLOOP_DEMO_MODE": "true"}
    loaded = _run(["demo"], demo_env)
    assert loaded.returncode == 0, loaded.stderr
    # The first part of the summary counts the fleet by status; the features' own figures follow after ";".
    fleet = loaded.stdout.splitlines()[0].split(";")[0]
    counts = dict((state, int(n)) for n, state in re.findall(r"(\d+) (\w+)", fleet))
    assert sum(counts.values()) == 300 and {"in_use", "in_stock", "in_repair", "retired", "lost"} <= set(counts)
    assert "helpdesk2" in loaded.stdout and "charity2" in loaded.stdout and "helpdesk-zorg" in loaded.stdout
    again = _run(["demo"], demo_env)
    assert again.returncode != 0 and "empty database" in again.stderr


def test_production_refuses_the_default_secret(tmp_path: Path) -> None:
    env = _env(tmp_path)
    del env["KRINGLOOP_SECRET_KEY"]
    result = _run(["migrate"], env)
    assert result.returncode != 0 and "KRINGLOOP_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_container_entrypoint_migrates_and_serves(tmp_path: Path) -> None:
    """Runs the command the Dockerfile's CMD runs, with the image's environment, and probes its healthcheck."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))  # type: ignore[union-attr]
    assert cmd[0] == "kringloop"
    port = _free_port()
    env = _env(tmp_path, KRINGLOOP_HOST="127.0.0.1", KRINGLOOP_PORT=str(port), KRINGLOOP_LOG_JSON="true")
    process = subprocess.Popen([*KRINGLOOP, *cmd[1:]], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2)
                if response.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not become ready: {process.stdout.read() if process.stdout else ''}")
            time.sleep(0.2)
        assert response.json() == {"status": "ok", "database": "sqlite"}
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/devices", timeout=2).status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)

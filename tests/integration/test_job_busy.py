"""Two manual runs of one job at once: the second is told the job is busy (API 409, page error, CLI)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.bootstrap import Ports
from service.context import Actor
from service.db import make_engine
from service.jobs.locks import job_lock
from service.jobs.registry import Job
from service.settings import Settings
from tests.conftest import TEST_SECRET
from tests.integration.conftest import Api, count, ui_login
from tests.integration.test_cli import ROOT


class Gate:
    """A job that holds its run open until the test lets it finish."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.runs = 0

    async def work(self, session: AsyncSession, actor: Actor, ports: Ports, settings: Settings) -> dict[str, Any]:
        self.runs += 1
        self.started.set()
        await asyncio.wait_for(self.release.wait(), timeout=20)
        return {"done": 1}


def _install(api: Api) -> Gate:
    gate = Gate()
    api.app.state.jobs = {"slow": Job(name="slow", description="Holds on", work=gate.work)}
    return gate


async def test_a_second_api_run_while_the_first_works_is_a_409_naming_the_busy_job(api: Api) -> None:
    gate = _install(api)
    first = asyncio.create_task(api.post("admin", "/api/v1/jobs/slow/run"))
    await asyncio.wait_for(gate.started.wait(), timeout=10)
    second = await api.post("admin", "/api/v1/jobs/slow/run")
    gate.release.set()
    done = await first

    assert second.status_code == 409
    assert second.headers["content-type"].startswith("application/problem+json")
    body = second.json()
    assert body["type"].endswith("/job-busy") and body["status"] == 409
    assert body["detail"].startswith("The slow job is busy: another run is working (started ")
    assert "by api)" in body["detail"]
    assert done.status_code == 200 and done.json()["outcome"] == "succeeded"
    assert gate.runs == 1
    assert await count(api.app, "job_runs") == 1  # the refused attempt recorded no run

    # Once the first has finished, the job is free again.
    gate.release.set()
    again = await api.post("admin", "/api/v1/jobs/slow/run")
    assert again.status_code == 200 and gate.runs == 2


async def test_the_busy_message_is_in_the_readers_language_with_a_local_date(api: Api) -> None:
    gate = _install(api)
    first = asyncio.create_task(api.post("admin", "/api/v1/jobs/slow/run"))
    await asyncio.wait_for(gate.started.wait(), timeout=10)
    dutch = await api.post("admin", "/api/v1/jobs/slow/run", headers={"Accept-Language": "nl-NL,nl;q=0.9"})
    gate.release.set()
    await first

    assert dutch.status_code == 409
    detail = dutch.json()["detail"]
    assert detail.startswith("De taak slow is bezig: er loopt al een andere run (gestart op "), detail
    assert "door api)" in detail and "Wacht tot die klaar is" in detail
    # The day is written the Dutch way: "4 dec 2026 01:05", not "04 Dec 2026".
    when = detail.split("gestart op ", 1)[1].split(" door ", 1)[0]
    day, month, year, clock = when.split()
    assert day.isdigit() and not day.startswith("0") and month.islower() and year.isdigit() and ":" in clock


async def test_the_jobs_page_shows_the_busy_message_and_runs_when_free(api: Api) -> None:
    gate = _install(api)
    csrf = await ui_login(api, "admin")
    page = await api.client.get("/admin/jobs")
    assert 'action="/admin/jobs/slow/run"' in page.text

    first = asyncio.create_task(api.client.post("/admin/jobs/slow/run", data={"_csrf_token": csrf}))
    await asyncio.wait_for(gate.started.wait(), timeout=10)
    second = await api.client.post("/admin/jobs/slow/run", data={"_csrf_token": csrf})
    gate.release.set()
    done = await first

    assert second.status_code == 409 and second.headers["content-type"].startswith("text/html")
    assert 'id="run-error-slow"' in second.text and "The slow job is busy" in second.text
    assert done.status_code == 303 and done.headers["location"] == "/admin/jobs?ran=slow#job-slow"
    assert gate.runs == 1


async def test_only_admins_get_the_run_button(api: Api) -> None:
    _install(api)
    await ui_login(api, "auditor")
    page = await api.client.get("/admin/jobs")
    assert page.status_code == 200 and "/admin/jobs/slow/run" not in page.text


async def test_the_cli_is_told_the_job_is_busy_while_another_process_holds_it(settings: Settings) -> None:
    """The lock spans processes: held here, `kringloop jobs run` in another process is refused and runs nothing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRINGLOOP_")}
    env.update(KRINGLOOP_DATABASE_URL=settings.database_url, KRINGLOOP_SECRET_KEY=TEST_SECRET,
               KRINGLOOP_LOG_LEVEL="WARNING")  # fmt: skip
    command = [sys.executable, "-m", "service.cli", "jobs", "run", "import-files"]
    engine = make_engine(settings)
    try:
        async with job_lock(engine, settings, "import-files") as held:
            assert held
            busy = await asyncio.to_thread(
                subprocess.run, command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
            )
        assert busy.returncode == 1
        # No KRINGLOOP_LANG: the CLI speaks the organisation default, Dutch.
        assert "De taak import-files is bezig: er loopt al een andere run." in busy.stderr
        async with engine.connect() as conn:
            assert (await conn.execute(sa.text("SELECT count(*) FROM job_runs"))).scalar_one() == 0
        free = await asyncio.to_thread(
            subprocess.run, command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert free.returncode == 0 and "\nimport-files: succeeded" in free.stdout, free.stderr
    finally:
        await engine.dispose()

"""`kringloop serve --workers N`: N uvicorn worker processes, exactly one scheduler, metrics summed over all.

Each worker builds its own app, and an app starts the scheduler in its lifespan: N workers would be N
schedulers. Their runs would still not double (jobs claim their slot in the database), but every firing would
cost N-1 refused claims and the jobs page could not say where jobs run. So with several workers the workers run
with the scheduler off and one `kringloop scheduler` process runs beside them, restarted if it stops.
Counters are per process; in prometheus_client's multiprocess mode each worker writes them to a shared
directory and whichever worker is scraped sums them all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from service.metrics.instruments import MULTIPROC_ENV
from service.settings import Settings

log = structlog.get_logger("kringloop.workers")
RESTART_AFTER_SECONDS = 5


@contextmanager
def several_workers(settings: Settings, workers: int) -> Iterator[None]:
    """Prepares the environment the worker processes inherit; a no-op for one worker."""
    if workers <= 1:
        yield
        return
    metrics_dir, made = _metrics_dir()
    os.environ[MULTIPROC_ENV] = str(metrics_dir)
    supervisor = None
    if settings.scheduler_enabled:
        os.environ["KRINGLOOP_SCHEDULER_ENABLED"] = "false"  # read by every worker's Settings()
        supervisor = _SchedulerProcess(dict(os.environ, KRINGLOOP_SCHEDULER_ENABLED="true"))
        supervisor.start()
    try:
        yield
    finally:
        if supervisor is not None:
            supervisor.stop()
        if made:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _metrics_dir() -> tuple[Path, bool]:
    given = os.environ.get(MULTIPROC_ENV)
    if not given:
        return Path(tempfile.mkdtemp(prefix="kringloop-metrics-")), True
    path = Path(given)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # counters of an earlier start would be summed into this one's
        stale.unlink()
    return path, False


class _SchedulerProcess:
    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self._stopping = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._keep_running, name="scheduler-supervisor", daemon=True)

    def start(self) -> None:
        self._process = self._spawn()
        self._thread.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "service.cli", "scheduler"], env=self._env)

    def _keep_running(self) -> None:
        while not self._stopping.is_set():
            assert self._process is not None
            code = self._process.wait()
            if self._stopping.wait(RESTART_AFTER_SECONDS):
                return
            log.error("scheduler_process_stopped", exit_code=code, restart_in_seconds=RESTART_AFTER_SECONDS)
            self._process = self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

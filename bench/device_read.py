"""Requests per second of ``GET /api/v1/devices/{id}`` against a raw-asyncpg read of the same row.

Both routes run in the same server process (one uvicorn worker) on PostgreSQL, behind the same
authentication and guard, and return the same JSON; only the database access differs. The script:

1. creates a scratch database (``kringloop_bench``) on the PostgreSQL server named by
   ``KRINGLOOP_BENCH_POSTGRES_URL``, else ``KRINGLOOP_TEST_POSTGRES_URL``, else
   ``postgresql+asyncpg://postgres@127.0.0.1:5432/test`` (any database on the server: only the server and
   credentials are used, and the role must be allowed to create databases);
2. migrates it and loads the demo organisation;
3. starts one uvicorn worker on a free port of 127.0.0.1 with ``KRINGLOOP_BENCH_ROUTES=true``;
4. signs in as ``helpdesk``/``demo``, checks both routes answer 200 with the same document;
5. measures both routes with the same load generator, connections and duration, in alternating rounds,
   and prints the medians and the ratio ORM/raw (target >= 0.5);
6. stops the server and drops the database, also on error or Ctrl-C.

Load generator: ``wrk`` (Debian: ``apt-get install -y wrk``); without it a small asyncio HTTP/1.1 loader
in this process is used, which is slower, so the ratio it shows is flattered: prefer wrk.

Run: ``make bench`` or ``.venv/bin/python bench/device_read.py [--rounds 3 --duration 10 --connections 32]``.
The load generator shares the machine with the server and PostgreSQL: read the figures as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.scratch import create_scratch, drop_scratch, dsn, server_url  # noqa: E402

TARGET = 0.5
USERNAME, PASSWORD = "helpdesk", "demo"


@dataclass
class Measurement:
    rps: float
    p50_ms: float | None
    p99_ms: float | None
    db_connects: int | None = None


def app_url(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql+asyncpg", database=database).render_as_string(hide_password=False)


async def pg_fetchval(server: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(server, timeout=15)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


def db_sessions(admin: str, name: str) -> int | None:
    """Connections ever opened to the database (PostgreSQL 14+): shows a pool that opens and closes them."""
    try:
        value = asyncio.run(
            pg_fetchval(dsn(admin), "SELECT sessions FROM pg_stat_database WHERE datname = $1", name)
        )
    except asyncpg.PostgresError:
        return None
    return None if value is None else int(value)


def prepare_data(db_url: str) -> int:
    """Migrates and loads the demo organisation; returns the id of a device that has a holder."""
    from service.bootstrap import wire_features
    from service.demo import load_demo
    from service.migrate import upgrade
    from service.settings import Settings

    upgrade(db_url)
    wire_features()
    asyncio.run(load_demo(Settings(database_url=db_url, demo_mode=True, log_level="WARNING")))
    device_id = asyncio.run(
        pg_fetchval(
            dsn(db_url),
            "SELECT coalesce((SELECT min(id) FROM devices WHERE holder_id IS NOT NULL), (SELECT min(id) FROM devices))",
        )
    )
    if device_id is None:
        raise RuntimeError("The demo data has no devices.")
    return int(device_id)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db_url: str, port: int, log_path: Path, factory: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRINGLOOP_")}
    env.update(
        KRINGLOOP_DATABASE_URL=db_url,
        KRINGLOOP_BENCH_ROUTES="true",
        KRINGLOOP_DEMO_MODE="true",
        KRINGLOOP_SCHEDULER_ENABLED="false",
        KRINGLOOP_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        factory,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    log = log_path.open("wb")
    try:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown runs the app's shutdown hooks
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def wait_ready(base: str, proc: subprocess.Popen[bytes], log_path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"The server exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/health/live", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"The server did not become ready in {timeout:.0f} s:\n{log_path.read_text()[-4000:]}")


def sign_in(base: str) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", json={"username": USERNAME, "password": PASSWORD}, timeout=10)
    r.raise_for_status()
    return str(r.json()["access_token"])


def check_routes(base: str, token: str, orm_path: str, raw_path: str, missing_id: int) -> None:
    """Both routes must answer the same document (and the same 404), or the comparison means nothing."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        orm, raw = client.get(orm_path), client.get(raw_path)
        for name, r in (("ORM", orm), ("raw", raw)):
            if r.status_code != 200:
                raise RuntimeError(f"{name} route answered {r.status_code}: {r.text[:500]}")
        if orm.json() != raw.json():
            raise RuntimeError(f"The routes answer different documents:\nORM {orm.text}\nraw {raw.text}")
        orm404 = client.get(f"/api/v1/devices/{missing_id}")
        raw404 = client.get(f"/bench/devices/{missing_id}/raw")
        for r in (orm404, raw404):
            if r.status_code != 404 or r.headers.get("content-type", "").split(";")[0] != "application/problem+json":
                raise RuntimeError(f"Expected a problem+json 404, got {r.status_code} {r.text[:300]}")
        if orm404.json() != raw404.json():
            raise RuntimeError(f"The 404s differ:\nORM {orm404.text}\nraw {raw404.text}")
        if client.get(raw_path, headers={"Authorization": ""}).status_code != 401:
            raise RuntimeError("The raw route answered without authentication.")


# ---------------------------------------------------------------------------------------------- load


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def run_wrk(url: str, token: str, threads: int, connections: int, duration: float) -> Measurement:
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {token}",
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise RuntimeError(f"wrk saw {m.group(1)} failed responses from {url}:\n{out}")
    if m := re.search(r"Socket errors: (.*)", out):
        raise RuntimeError(f"wrk saw socket errors ({m.group(1)}) on {url}:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rps is None:
        raise RuntimeError(f"Could not read wrk's output:\n{out}")
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    return Measurement(
        float(rps.group(1)),
        _ms(*p50.groups()) if p50 else None,
        _ms(*p99.groups()) if p99 else None,
    )


async def _python_load(host: str, port: int, path: str, token: str, connections: int, duration: float) -> Measurement:
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n".encode()
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    failures = 0

    async def client() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while loop.time() < deadline:
                sent = loop.time()
                writer.write(request)
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append(loop.time() - sent)
                if not 200 <= status < 300:
                    failures += 1
        finally:
            writer.close()

    start = loop.time()
    deadline = start + duration
    await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = loop.time() - start
    if failures:
        raise RuntimeError(f"{failures} failed responses from {path}")
    latencies.sort()
    return Measurement(
        len(latencies) / elapsed,
        latencies[len(latencies) // 2] * 1000,
        latencies[int(len(latencies) * 0.99)] * 1000,
    )


def run_python(url: str, token: str, connections: int, duration: float) -> Measurement:
    parsed = httpx.URL(url)
    port = parsed.port or 80
    return asyncio.run(_python_load(parsed.host, port, parsed.raw_path.decode(), token, connections, duration))


# ---------------------------------------------------------------------------------------------- report


def machine(admin: str, loader: str) -> list[str]:
    import uvicorn

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    pg = asyncio.run(pg_fetchval(dsn(admin), "SHOW server_version"))
    extras = [m for m in ("uvloop", "httptools") if _importable(m)]
    loader_text = "built-in asyncio HTTP/1.1 loader (wrk not used)"
    if loader == "wrk":
        probe = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        loader_text = (probe.stdout + probe.stderr).strip().splitlines()[0] if (probe.stdout + probe.stderr) else "wrk"
    return [
        f"machine   nproc={usable} (os.cpu_count={os.cpu_count()}) {cpu}".rstrip(),
        f"          {platform.system()} {platform.release()} {platform.machine()}",
        f"software  Python {platform.python_version()} ({platform.python_implementation()}), "
        f"PostgreSQL {pg}, uvicorn {uvicorn.__version__} ({', '.join(extras) or 'asyncio, h11'}), 1 worker",
        f"loader    {loader_text}, on the same machine as the server and PostgreSQL",
    ]


def _importable(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def report(
    results: dict[str, list[Measurement]],
    paths: dict[str, str],
    setup: str,
    machine_lines: list[str],
) -> float:
    med = {k: statistics.median(m.rps for m in v) for k, v in results.items()}
    ratio = med["orm"] / med["raw"] if med["raw"] else float("nan")
    rounds = len(results["orm"])
    width = max(len(p) for p in paths.values()) + 6
    print()
    print(f"Device read, requests/second ({setup})")
    head = f"{'route':<{width}}" + "".join(f"{'round ' + str(i + 1):>10}" for i in range(rounds))
    print(head + f"{'median rps':>12}{'p50 ms':>9}{'p99 ms':>9}{'db connects':>13}")
    print("-" * (len(head) + 43))
    for key, label in (("orm", "ORM"), ("raw", "raw")):
        ms = results[key]
        p50 = statistics.median(m.p50_ms for m in ms if m.p50_ms is not None) if ms[0].p50_ms is not None else 0.0
        p99 = statistics.median(m.p99_ms for m in ms if m.p99_ms is not None) if ms[0].p99_ms is not None else 0.0
        row = f"{label + '  ' + paths[key]:<{width}}" + "".join(f"{m.rps:>10.0f}" for m in ms)
        connects = [m.db_connects for m in ms]
        opened = "n/a" if None in connects else str(sum(c or 0 for c in connects))
        print(row + f"{med[key]:>12.0f}{p50:>9.2f}{p99:>9.2f}{opened:>13}")
    print("-" * (len(head) + 43))
    verdict = "meets target" if ratio >= TARGET else "BELOW TARGET"
    print(f"ratio ORM/raw (median rps): {ratio:.2f}   target >= {TARGET:.2f}: {verdict}")
    print("db connects: new PostgreSQL connections opened while the route was measured (a pool that churns)")
    print()
    for line in machine_lines:
        print(line)
    return ratio


# ---------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per route per round")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds per route before measuring")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--database", default="kringloop_bench", help="scratch database, dropped at the end")
    parser.add_argument(
        "--app",
        default="service.app:create_app",
        help="app factory uvicorn serves (module:callable on PYTHONPATH), to try a variant without editing the app",
    )
    parser.add_argument("--strict", action="store_true", help=f"exit 1 when the ratio is below {TARGET}")
    args = parser.parse_args()

    loader = args.loader
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "python"
        if loader == "python":
            print(
                "wrk not found (Debian: apt-get install -y wrk); using the slower built-in Python loader, "
                "which flatters the ratio.",
                file=sys.stderr,
            )
    elif loader == "wrk" and not shutil.which("wrk"):
        print("wrk not found; install it with: apt-get install -y wrk", file=sys.stderr)
        return 2

    def _terminate(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminate)

    admin = server_url()
    db_url = app_url(admin, args.database)
    server: subprocess.Popen[bytes] | None = None
    created = False
    log_dir = tempfile.TemporaryDirectory(prefix="kringloop-bench-")
    log_path = Path(log_dir.name) / "server.log"
    try:
        print(f"scratch database {args.database} on {make_url(admin).render_as_string(hide_password=True)}")
        asyncio.run(create_scratch(admin, args.database))
        created = True
        device_id = prepare_data(db_url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(db_url, port, log_path, args.app)
        wait_ready(base, server, log_path)
        token = sign_in(base)
        paths = {"orm": f"/api/v1/devices/{device_id}", "raw": f"/bench/devices/{device_id}/raw"}
        check_routes(base, token, paths["orm"], paths["raw"], missing_id=10_000_000)

        def measure(key: str, seconds: float) -> Measurement:
            url = base + paths[key]
            before = db_sessions(admin, args.database)
            if loader == "wrk":
                m = run_wrk(url, token, args.threads, args.connections, seconds)
            else:
                m = run_python(url, token, args.connections, seconds)
            after = db_sessions(admin, args.database)
            if before is not None and after is not None:
                m.db_connects = after - before
            return m

        print(f"server pid {server.pid} on {base}; device {device_id}; warming up {args.warmup:.0f} s per route")
        for key in ("orm", "raw"):
            measure(key, args.warmup)
        results: dict[str, list[Measurement]] = {"orm": [], "raw": []}
        for i in range(args.rounds):
            order = ("orm", "raw") if i % 2 == 0 else ("raw", "orm")
            for key in order:
                m = measure(key, args.duration)
                results[key].append(m)
                print(f"  round {i + 1}: {key:<3} {m.rps:8.0f} req/s", flush=True)
        if server.poll() is not None:
            raise RuntimeError(f"The server died during the run:\n{log_path.read_text()[-4000:]}")

        threads = f"-t{args.threads} " if loader == "wrk" else ""
        setup = (
            f"{loader} {threads}-c{args.connections}, {args.rounds} alternating rounds x {args.duration:.0f} s, "
            "one uvicorn worker, same auth"
        )
        ratio = report(results, paths, setup, machine(admin, loader))
        return 1 if args.strict and ratio < TARGET else 0
    finally:
        if server is not None:
            stop_server(server)
        if created:
            try:
                asyncio.run(drop_scratch(admin, args.database))
            except Exception as exc:  # report, do not mask the original error
                print(f"could not drop database {args.database}: {exc}", file=sys.stderr)
        log_dir.cleanup()


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark `spread-eagle serve` (prints its figures; not a test).

p50/p99 latency and throughput of the slate page (/slates/2024-11-24) and of
/api/slates/2024-11-24 at 32 concurrent keep-alive connections for 20 s each, against the real
server process (uvicorn) on 127.0.0.1 over a warehouse where the daily run published 2024-11-24.
Bounded: each target stops after --seconds, and only 127.0.0.1 is ever contacted.

The load generator is a small asyncio HTTP/1.1 client in this process (on uvloop when installed,
as the server is): a closed loop, each of the 32 connections sends its next request when the
previous answer is read, so a request's latency is the server's time plus its wait behind the
other 31. It shares the cores with the server (same priority, not pinned), so its own CPU per
request is measured and reported beside the server's (`/proc/<pid>/stat` of the server,
`getrusage` of this process, over each window): the cheaper the client, the more of the cores go
to the server, and a slow server is not hidden behind a slow client. Latency is taken from just
before the request is written to when the last byte of the answer is read.

Usage: python -m bench.ui [--engine duckdb|postgres|both] [--pg-url postgresql://...]
                                [--seconds 20] [--connections 32] [--database-url URL]
(--database-url reuses a warehouse where 2024-11-24 is already published.)
`python -m bench` calls `measure` in a child process (`--only ui`): p50/p99 per window, CPU per
request and the server's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bench.harness import drop_pg_database, fresh_pg_database

HOST = "127.0.0.1"
DAY = "2024-11-24"
T = TypeVar("T")
TARGETS = (f"/slates/{DAY}", f"/api/slates/{DAY}")
PIPELINE = """
import sys
from datetime import date
from spread_eagle.config import Settings
from spread_eagle.pipeline.runner import run_daily
report = run_daily(Settings(_env_file=None, database_url=sys.argv[1], log_dir=sys.argv[2]), run_date=date(2024, 11, 24))
sys.exit(0 if report.ok else f"run failed: {report.error}")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


async def _worker(
    port: int, path: str, deadline: float, latencies: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    request = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = head.split(b" ", 2)[1]
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != b"200":
                errors.append(status.decode())
    finally:
        writer.close()


async def load(
    port: int, path: str, seconds: float, connections: int
) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_worker(port, path, deadline, latencies, errors) for _ in range(connections))
    )
    return latencies, errors, time.perf_counter() - started


def run(coro: Coroutine[Any, Any, T]) -> T:
    """asyncio.run, on uvloop when it is installed (as serve's loop is): the load generator then
    costs ~25 us of CPU a request instead of ~30-40, and what it does not use goes to the server."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def start_server(database_url: str, work: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {
        **os.environ,
        "SPREAD_EAGLE_DATABASE_URL": database_url,
        "SPREAD_EAGLE_LOG_DIR": str(work / "serve-logs"),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "spread_eagle", "serve", "--host", HOST, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1, trust_env=False).is_success:
                return server, port
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise SystemExit("the server did not start")
        time.sleep(0.2)


def stop_server(server: subprocess.Popen[bytes]) -> float:
    """Stop the server; its peak RSS in MB."""
    server.terminate()
    try:
        _, status, usage = os.wait4(server.pid, 0)
    except ChildProcessError:
        return float("nan")
    server.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (another one's from /proc; NaN where there is
    none), or of this one."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def window(
    port: int, server_pid: int, path: str, seconds: float, connections: int
) -> dict[str, Any]:
    """One load window: latencies, errors, requests/s, and the CPU per request (microseconds)
    of the server and of this load generator."""
    server_cpu, own_cpu = cpu_seconds(server_pid), cpu_seconds()
    latencies, errors, elapsed = run(load(port, path, seconds, connections))
    n = max(1, len(latencies))
    p50, p99 = percentiles(latencies)
    return {
        "p50_ms": p50,
        "p99_ms": p99,
        "rps": len(latencies) / elapsed,
        "requests": len(latencies),
        "errors": errors,
        "elapsed": elapsed,
        "server_cpu_us": (cpu_seconds(server_pid) - server_cpu) / n * 1e6,
        "client_cpu_us": (cpu_seconds() - own_cpu) / n * 1e6,
    }


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return p50, p99


def bench(database_url: str, seconds: float, connections: int, work: Path) -> None:
    server, port = start_server(database_url, work)
    try:
        for path in TARGETS:
            run(load(port, path, 1.0, 4))  # warm the caches
            w = window(port, server.pid, path, seconds, connections)
            print(
                f"  {path:<26} {w['requests']:>7} requests in {w['elapsed']:5.1f}s = {w['rps']:7.0f}/s"
                f"   p50 {w['p50_ms']:6.1f} ms   p99 {w['p99_ms']:6.1f} ms   non-200: {len(w['errors'])}"
                f"   CPU/request: server {w['server_cpu_us']:.0f} us, load generator {w['client_cpu_us']:.0f} us",
                flush=True,
            )
    finally:
        stop_server(server)


def measure(
    work: str,
    database_url: str | None = None,
    seconds: float = 10.0,
    connections: int = 32,
    windows: int = 3,
    publish_first: bool = False,
) -> dict[str, Any]:
    """Publish 2024-11-24 (to a fresh DuckDB file when no database_url is given, else only with
    publish_first), serve it, and load each route for `windows` windows of `seconds`: p50/p99
    per window, requests/s, the CPU per request of the server and of the load generator, the
    server's peak RSS."""
    folder = Path(work)
    url = database_url or f"duckdb:///{folder / 'serve.duckdb'}"
    if publish_first or database_url is None:
        publish(url, folder)
    figures = ("p50_ms", "p99_ms", "rps", "server_cpu_us", "client_cpu_us")
    out: dict[str, Any] = {f"{key}_{f}": [] for key in ("page", "api") for f in figures}
    out["non_200"] = 0
    server, port = start_server(url, folder)
    try:
        for key, path in zip(("page", "api"), TARGETS, strict=True):
            run(load(port, path, 1.0, 4))  # warm the caches
            for _ in range(windows):
                w = window(port, server.pid, path, seconds, connections)
                for f in figures:
                    out[f"{key}_{f}"].append(w[f])
                out["non_200"] += len(w["errors"])
    finally:
        out["server_peak_rss_mb"] = [stop_server(server)]
    return out


def publish(url: str, work: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PIPELINE, url, str(work / "logs")],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "DO_NOT_TRACK": "1"},
    )
    if done.returncode:
        raise SystemExit(done.stdout + done.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["duckdb", "postgres", "both"], default="duckdb")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database-url", help="reuse this warehouse (2024-11-24 published)")
    args = parser.parse_args()
    print(f"serve: {args.connections} connections x {args.seconds:g} s per route on {HOST}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.database_url:
            print(f"{args.database_url}:")
            bench(args.database_url, args.seconds, args.connections, work)
            return
        if args.engine in ("duckdb", "both"):
            url = f"duckdb:///{work / 'bench.duckdb'}"
            publish(url, work)
            print("DuckDB (published files):")
            bench(url, args.seconds, args.connections, work)
        if args.engine in ("postgres", "both"):
            url = fresh_pg_database(args.pg_url)
            try:
                publish(url, work)
                print("PostgreSQL (publish.* with the identity check):")
                bench(url, args.seconds, args.connections, work)
            finally:
                drop_pg_database(url)


if __name__ == "__main__":
    main()

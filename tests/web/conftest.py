"""A warehouse with the real 2024-11-24 slate published (the pipeline run once per engine and
module), and `spread-eagle serve` running on it on 127.0.0.1 with a free port."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import psycopg
import pytest

from spread_eagle.config import Settings
from spread_eagle.web.server import SlateServer, make_server
from tests.conftest import _pg_base, make_settings

SUNDAY = date(2024, 11, 24)
PIPELINE = """
import sys
from datetime import date
from spread_eagle.config import Settings
from spread_eagle.pipeline.runner import run_daily
url, log_dir, day = sys.argv[1:]
report = run_daily(Settings(_env_file=None, database_url=url, log_dir=log_dir), run_date=date.fromisoformat(day))
sys.exit(0 if report.ok else f"run failed at {report.failed_step}: {report.error}")
"""


def duckdb_only(test: Callable[..., None]) -> Callable[..., None]:
    """Run this web test on the DuckDB warehouse only (it is about the embedded file's lock)."""
    test.duckdb_only = True  # type: ignore[attr-defined]
    return test


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "web_engine" in metafunc.fixturenames:
        postgres = _pg_base(metafunc.config) and not getattr(
            metafunc.function, "duckdb_only", False
        )
        engines = ["duckdb"] + (["postgres"] if postgres else [])
        metafunc.parametrize("web_engine", engines, scope="module")


@pytest.fixture(scope="module")
def published(
    web_engine: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp(f"web_{web_engine}")
    name = None
    if web_engine == "duckdb":
        url = f"duckdb:///{tmp / 'warehouse.duckdb'}"
    else:
        base = _pg_base(request.config)
        assert base is not None
        name = f"se_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'create database "{name}"')
        url = f"{base.rpartition('/')[0]}/{name}"
    settings = make_settings(tmp, url)
    try:
        # The daily run goes in its own process, as in production (cron runs the CLI beside the
        # server): in-process, dbt-duckdb keeps its DuckDB instance (and the file lock) open
        # until the process exits, which would hide whether the server itself holds the file.
        done = subprocess.run(
            [sys.executable, "-c", PIPELINE, url, str(tmp / "logs"), SUNDAY.isoformat()],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        yield settings
    finally:
        if name is not None:
            base = _pg_base(request.config)
            assert base is not None
            with psycopg.connect(base, autocommit=True) as admin:
                admin.execute(f'drop database if exists "{name}" with (force)')


@dataclass
class Running:
    settings: Settings
    server: SlateServer
    client: httpx.Client


def serve(settings: Settings) -> Iterator[Running]:
    server = make_server(settings, "127.0.0.1", 0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10.0, trust_env=False) as client:
            yield Running(settings, server, client)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def running(published: Settings) -> Iterator[Running]:
    yield from serve(published)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures logging onto CliRunner's streams; put the root logger back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def empty_server(tmp_path: Path) -> Iterator[Running]:
    yield from serve(make_settings(tmp_path, f"duckdb:///{tmp_path / 'never_written.duckdb'}"))

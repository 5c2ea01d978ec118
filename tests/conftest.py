"""Shared fixtures. Tests that take `warehouse_url` run on DuckDB and, when told to, on PostgreSQL.

Postgres is switched on with `--postgres` or SPREAD_EAGLE_TEST_POSTGRES_URL (a server URL; each
test gets a fresh database on it, dropped afterwards). When switched on and unreachable, the run
FAILS: it never silently skips what it was told to test.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from spread_eagle.config import Settings

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
FIXTURES = Path(__file__).parent / "fixtures"
# The replayed history tests run on: the bundled files cut to the 2022-2024 seasons, which every
# test date falls in. A fresh warehouse then lands, builds and walks 854 games instead of 6,991,
# so a daily run from empty costs a third; tests that need the whole history (the demo, the
# backtest, the models) name the bundled files themselves.
HISTORY_GAMES_FILE = FIXTURES / "history" / "nflverse_games_2022_2024.csv"
HISTORY_LINES_FILE = FIXTURES / "history" / "nfl_odds_open_close_2022_2024.csv"


_PARSE_CACHE = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres", action="store_true", help="also run warehouse tests on PostgreSQL"
    )


def _pg_base(config: pytest.Config) -> str | None:
    url = os.environ.get("SPREAD_EAGLE_TEST_POSTGRES_URL")
    if config.getoption("--postgres"):
        return url or DEFAULT_PG_URL
    return url


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("SPREAD_EAGLE_GAMES_FILE", str(HISTORY_GAMES_FILE))
    os.environ.setdefault("SPREAD_EAGLE_LINES_FILE", str(HISTORY_LINES_FILE))
    if not hasattr(config, "workerinput") and "SPREAD_EAGLE_DBT_PARSE_CACHE_DIR" not in os.environ:
        # One kept dbt parse for the whole test run, its xdist workers and the pipelines tests run
        # in subprocesses: each test logs to its own folder, where the default would keep it.
        os.environ["SPREAD_EAGLE_DBT_PARSE_CACHE_DIR"] = tempfile.mkdtemp(prefix="se-dbt-parse-")
        config.stash[_PARSE_CACHE] = os.environ["SPREAD_EAGLE_DBT_PARSE_CACHE_DIR"]
    base = _pg_base(config)
    if base:
        try:
            with psycopg.connect(base, connect_timeout=5) as conn:
                conn.execute("select 1")
        except psycopg.OperationalError as exc:
            raise pytest.UsageError(
                f"told to test on PostgreSQL but cannot reach {base}: {exc}"
            ) from exc


# The longest modules, longest first (seconds on both engines as 4 workers share 2 cores, summed
# from --durations), but the first four handed out include two that build their own warehouses
# (the web tests, the incremental builds): when all four needed the shared published warehouse,
# three waited while the first built it (`published_template`) and a core idled for 8-10 s. With
# `--dist loadscope` each module goes whole to one worker, in collection order, to whichever worker
# is free: the longest first leaves short ones to even out the end, where collected alphabetically
# the runbook and the web tests started last and one worker idled while the other ran them.
LONGEST_MODULES = (
    "pipeline/test_operations.py",  # 165, published
    "web/test_app.py",  # 81 with the other web modules, its unit (SHARED_SCOPES); its own
    "transform/test_incremental.py",  # 72, its own
    "test_runbook.py",  # 103, published
    "pipeline/test_daily_run.py",  # 101, published
    "pipeline/test_integrity.py",  # 92, published
    "pipeline/test_backfill_batch_walk.py",  # 65
    "test_corrections.py",  # 55
    "pipeline/test_two_leagues.py",  # 53
    "transform/test_dbt_project.py",  # 49
    "predict/backtest/test_backtest.py",  # 40
    "ingest/test_odds_api.py",  # 40
    "pipeline/test_backfill.py",  # 39
    "transform/test_leakage.py",  # 29
    "summarize/test_step.py",  # 27
    "leagues/test_leagues.py",  # 27
    "pipeline/test_scheduled.py",  # 26
    "test_cli.py",  # 25
)


# Modules that share a session fixture too costly to build twice, run as one unit of `--dist
# loadscope` (on one worker): the web tests' published warehouse (tests/web/conftest.py).
SHARED_SCOPES = ("tests/web/",)


@pytest.hookimpl(optionalhook=True)  # xdist's hook: absent with -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadscope":
        return None  # xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class SharedScopeScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            shared = next((s for s in SHARED_SCOPES if nodeid.startswith(s)), None)
            return shared or super()._split_scope(nodeid)

    return SharedScopeScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent

    def rank(item: pytest.Item) -> int:
        module = item.path.relative_to(tests).as_posix() if item.path.is_relative_to(tests) else ""
        return LONGEST_MODULES.index(module) if module in LONGEST_MODULES else len(LONGEST_MODULES)

    items.sort(key=rank)  # stable: the rest keep their order, and so does each module's tests


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if {"warehouse_url", "published_url"} & set(metafunc.fixturenames):
        engines = ["duckdb"] + (["postgres"] if _pg_base(metafunc.config) else [])
        metafunc.parametrize("engine", engines, indirect=False)


# Test databases are named from a small pool of this process (the lowest number not in use): a
# worker's tests reuse a few names; the test run's id keeps two test runs on one server (a
# developer's and CI's) apart.
_RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:8]
_PROCESS = os.environ.get("PYTEST_XDIST_WORKER", "main")
_IN_USE: set[str] = set()


def fresh_postgres_database(server_url: str, template: str | None = None) -> str:
    """A new database on the server of `server_url`, empty or a copy of the database `template`
    (a URL on that server, which nobody may be connected to); returns its URL."""
    names = (f"se_test_{_RUN_ID}_{_PROCESS}_{n}" for n in itertools.count())
    name = next(n for n in names if n not in _IN_USE)
    head, _, _ = server_url.rpartition("/")
    copy = f' template "{template.rpartition("/")[2]}"' if template else ""
    with psycopg.connect(f"{head}/postgres", autocommit=True) as admin:
        admin.execute(f'create database "{name}"{copy}')
    _IN_USE.add(name)
    return f"{head}/{name}"


def drop_postgres_database(url: str) -> None:
    head, _, name = url.rpartition("/")
    with psycopg.connect(f"{head}/postgres", autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')
    _IN_USE.discard(name)


@pytest.fixture
def warehouse_url(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if engine == "duckdb":
        yield f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
        return
    base = _pg_base(request.config)
    assert base is not None
    url = fresh_postgres_database(base)
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database, for tests that compare engines; skipped unless --postgres."""
    base = _pg_base(request.config)
    if not base:
        pytest.skip("compares DuckDB with PostgreSQL: run with --postgres")
    url = fresh_postgres_database(base)
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(autouse=True)
def _logs_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commands a test runs log to a temporary folder, never into the checkout."""
    monkeypatch.setenv("SPREAD_EAGLE_LOG_DIR", str(tmp_path_factory.mktemp("logs")))


def raw_counts(url: str) -> dict[str, int]:
    """Rows of every raw table but the sightings (one per run that saw a payload): an interrupted
    run and its resume add none for a date already stored (raw is content-addressed), lose none."""
    from spread_eagle.warehouse import connect

    with connect(url, read_only=True) as wh:
        tables = [
            r["table_name"]
            for r in wh.query(
                "select table_name from information_schema.tables where table_schema = 'raw'"
                " and table_name <> 'payload_sighting' order by table_name"
            )
        ]
        return {t: int(wh.scalar(f"select count(*) from raw.{t}")) for t in tables}


def terminate_backends(url: str, where: str = "true", params: tuple[Any, ...] = ()) -> int:
    """Terminate the other sessions on `url`'s database for which `where` holds (SQL over
    pg_stat_activity); returns how many. With a timeout, pg_terminate_backend waits until each
    backend has exited and released its locks; alone it only signals them, and a test's next step
    could still find a lock held."""
    with psycopg.connect(url, autocommit=True) as admin:
        row = admin.execute(
            "select count(pg_terminate_backend(pid, 10000)) from pg_stat_activity"
            f" where datname = current_database() and pid <> pg_backend_pid() and ({where})",
            params,
        ).fetchone()
    return int(row[0]) if row else 0


def make_settings(tmp_path: Path, database_url: str, **overrides: object) -> Settings:
    return Settings(
        _env_file=None, database_url=database_url, log_dir=tmp_path / "logs", **overrides
    )  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path, warehouse_url: str) -> Settings:
    return make_settings(tmp_path, warehouse_url)


@pytest.fixture
def duckdb_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, f"duckdb:///{tmp_path / 'warehouse.duckdb'}")


# -- a warehouse with 2024-11-24 published, built once per engine for the whole test run ------------

PUBLISHED_DATE = date(2024, 11, 24)


def _shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder all xdist workers of this test run share (their base temps' parent)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _build_template(engine: str, tmp: Path, base: str | None) -> str:
    from spread_eagle.pipeline.runner import run_daily

    url = (
        f"duckdb:///{tmp / 'published.duckdb'}"
        if engine == "duckdb"
        else fresh_postgres_database(str(base))
    )
    report = run_daily(make_settings(tmp, url), run_date=PUBLISHED_DATE)
    assert report.ok, report.error
    return url


def published_template(engine: str, request: pytest.FixtureRequest) -> str:
    """URL of the warehouse where the daily run of 2024-11-24 published (default clock): built by
    the first worker that asks, under a lock, and read by every other. Never write to it: copy it."""
    shared = _shared_dir(request.config._tmp_path_factory)  # type: ignore[attr-defined]
    marker = shared / f"published_{engine}.url"
    with (shared / f"published_{engine}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            tmp = shared / f"published_{engine}"
            tmp.mkdir(exist_ok=True)
            marker.write_text(_build_template(engine, tmp, _pg_base(request.config)))
    return marker.read_text()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The run's last process (xdist's controller, or the only one) drops the PostgreSQL template
    and the kept dbt parse."""
    if hasattr(session.config, "workerinput"):
        return
    if _PARSE_CACHE in session.config.stash:
        shutil.rmtree(session.config.stash[_PARSE_CACHE], ignore_errors=True)
    marker = _shared_dir(session.config._tmp_path_factory) / "published_postgres.url"  # type: ignore[attr-defined]
    if marker.exists():
        drop_postgres_database(marker.read_text())


def duckdb_copy(template: str, folder: Path) -> str:
    copy = folder / "published.duckdb"  # not the `warehouse_url` file
    shutil.copyfile(template.removeprefix("duckdb:///"), copy)
    # the published documents DuckDB readers read (`slate`, `serve`) come with it
    shutil.copytree(template.removeprefix("duckdb:///") + ".published", f"{copy}.published")
    return f"duckdb:///{copy}"


@pytest.fixture
def published_url(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A private copy of a warehouse where 2024-11-24 was run and published (default clock)."""
    template = published_template(engine, request)
    if engine == "duckdb":
        yield duckdb_copy(template, tmp_path)
        return
    url = fresh_postgres_database(template, template=template)
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture
def published_duckdb_settings(tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """`published_settings` for a test that runs on DuckDB alone."""
    return make_settings(tmp_path, duckdb_copy(published_template("duckdb", request), tmp_path))


@pytest.fixture
def published_settings(tmp_path: Path, published_url: str) -> Settings:
    """Settings on a private copy of the warehouse where 2024-11-24 was run and published: a
    test of what a second run does starts here instead of running the first one itself."""
    return make_settings(tmp_path, published_url)

"""Shared fixtures. Tests that take `warehouse_url` run on DuckDB and, when told to, on PostgreSQL.

Postgres is switched on with `--postgres` or SPREAD_EAGLE_TEST_POSTGRES_URL (a server URL; each
test gets a fresh database on it, dropped afterwards). When switched on and unreachable, the run
FAILS: it never silently skips what it was told to test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from spread_eagle.config import Settings

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
FIXTURES = Path(__file__).parent / "fixtures"


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
    base = _pg_base(config)
    if base:
        try:
            with psycopg.connect(base, connect_timeout=5) as conn:
                conn.execute("select 1")
        except psycopg.OperationalError as exc:
            raise pytest.UsageError(
                f"told to test on PostgreSQL but cannot reach {base}: {exc}"
            ) from exc


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "warehouse_url" in metafunc.fixturenames:
        engines = ["duckdb"] + (["postgres"] if _pg_base(metafunc.config) else [])
        metafunc.parametrize("engine", engines, indirect=False)


@pytest.fixture
def warehouse_url(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if engine == "duckdb":
        yield f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
        return
    base = _pg_base(request.config)
    assert base is not None
    name = f"se_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    head, _, _ = base.rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


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

"""The real pipeline run ONCE per test session and engine (2024-11-24, then 2024-11-25 so the
date picker has a neighbour), and FastAPI apps over it. Tests that write work on a copy."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from spread_eagle.config import Settings
from spread_eagle.publish.documents import export_published, sidecar_dir
from spread_eagle.warehouse import connect, duckdb_path
from spread_eagle.web.app import create_app
from tests.conftest import (
    _pg_base,
    drop_postgres_database,
    fresh_postgres_database,
    make_settings,
)

SUNDAY = date(2024, 11, 24)
MONDAY = date(2024, 11, 25)
# An hostile TL;DR and team name: each must render as text, never as markup or script.
EVIL_TLDR = '<script>alert("tldr")</script><img src=x onerror="alert(\'tldr\')"> & <b>bold</b>'
EVIL_TEAM = "<img src=x onerror=alert('team')>"
EVIL_DAY = date(2030, 1, 6)

# PostgreSQL: the session warehouse's URL -> its pristine copy (what `writable` copies from)
PRISTINE: dict[str, str] = {}
HISTORY_FILES = ("SPREAD_EAGLE_GAMES_FILE", "SPREAD_EAGLE_LINES_FILE")
PIPELINE = """
import sys
from datetime import date
from spread_eagle.config import Settings
from spread_eagle.pipeline.runner import run_daily
url, log_dir, *days = sys.argv[1:]
for day in days:
    report = run_daily(Settings(_env_file=None, database_url=url, log_dir=log_dir), run_date=date.fromisoformat(day))
    if not report.ok:
        sys.exit(f"run failed at {report.failed_step}: {report.error}")
"""


def duckdb_only(test: Callable[..., None]) -> Callable[..., None]:
    """Run this web test on the DuckDB warehouse only."""
    test.duckdb_only = True  # type: ignore[attr-defined]
    return test


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "web_engine" in metafunc.fixturenames:
        postgres = _pg_base(metafunc.config) and not getattr(
            metafunc.function, "duckdb_only", False
        )
        engines = ["duckdb"] + (["postgres"] if postgres else [])
        metafunc.parametrize("web_engine", engines, scope="session")


def _build_published(
    web_engine: str, tmp_path_factory: pytest.TempPathFactory, config: pytest.Config
) -> Settings:
    tmp = tmp_path_factory.mktemp(f"web_{web_engine}")
    postgres = web_engine != "duckdb"
    if postgres:
        base = _pg_base(config)
        assert base is not None
        url = fresh_postgres_database(base)
    else:
        url = f"duckdb:///{tmp / 'warehouse.duckdb'}"
    # In its own process, as cron runs it beside the server: in-process, dbt-duckdb would
    # keep the DuckDB file open and hide whether the server itself ever opens it.
    done = subprocess.run(
        [sys.executable, "-c", PIPELINE, url, str(tmp / "logs"), str(SUNDAY), str(MONDAY)],
        # the whole bundled history (not the tests' cut of it), so the models have the
        # record that earns plays, and the cards show them
        env={k: v for k, v in os.environ.items() if k not in HISTORY_FILES},
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0 and postgres:
        drop_postgres_database(url)
    assert done.returncode == 0, done.stdout + done.stderr
    if postgres:  # a pristine copy no one connects to, for tests that write
        PRISTINE[url] = fresh_postgres_database(url, template=url)
    return make_settings(tmp, url, backtest_dir=tmp / "no_backtest")


@pytest.fixture(scope="session")
def _published_by_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Settings]]:
    """Each engine's warehouse, built on first use and kept to the end of the session: pytest
    tears a parametrized session fixture down whenever the next test wants another engine (the
    DuckDB-only browser tests after test_app's PostgreSQL ones), and it would build it again."""
    built: dict[str, Settings] = {}
    yield built
    for settings in built.values():
        url = settings.database_url
        if url.startswith("postgresql"):
            for db in (url, PRISTINE.pop(url, None)):
                if db:
                    drop_postgres_database(db)


@pytest.fixture(scope="session")
def published(
    web_engine: str,
    _published_by_engine: dict[str, Settings],
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Settings:
    if web_engine not in _published_by_engine:
        _published_by_engine[web_engine] = _build_published(
            web_engine, tmp_path_factory, request.config
        )
    return _published_by_engine[web_engine]


@pytest.fixture(scope="session")
def client(published: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(published)) as test_client:
        yield test_client


def copy_duckdb(settings: Settings, tmp_path: Path) -> Settings:
    """The session's DuckDB warehouse and its published files, copied for a test that writes."""
    source = duckdb_path(settings.database_url)
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(source, target)
    folder = sidecar_dir(settings.database_url)
    assert folder is not None
    shutil.copytree(folder, tmp_path / "warehouse.duckdb.published")
    return make_settings(tmp_path, f"duckdb:///{target}", backtest_dir=tmp_path / "no_backtest")


@pytest.fixture
def writable(
    published: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Settings]:
    """The session's warehouse copied for a test that writes: the DuckDB file and its published
    files, or a PostgreSQL database made from the session's pristine template."""
    if sidecar_dir(published.database_url) is not None:
        yield copy_duckdb(published, tmp_path)
        return
    template = PRISTINE[published.database_url]
    url = fresh_postgres_database(template, template=template)
    try:
        yield make_settings(tmp_path, url, backtest_dir=tmp_path / "no_backtest")
    finally:
        drop_postgres_database(url)


def _evil(card: dict[str, Any]) -> dict[str, Any]:
    return {
        **card,
        "game_id": "evil_" + card["game_id"],
        "home_team": EVIL_TEAM,
        "tldr": {**card["tldr"], "text": EVIL_TLDR},
    }


def publish_evil_copy(settings: Settings) -> None:
    """Publish EVIL_DAY as the Sunday slate with a hostile TL;DR and home team name, the way
    publish does: one transaction over publish.*, then (DuckDB) the export."""
    with connect(settings.database_url) as wh:
        with wh.transaction():
            header = wh.query(
                "select * from publish.slate where league = 'nfl' and run_date = ?", (SUNDAY,)
            )[0]
            header["run_date"] = EVIL_DAY
            wh.insert_rows("publish.slate", list(header), [list(header.values())])
            where = "where league = 'nfl' and run_date = ?"
            for row in wh.query(f"select * from publish.slate_game {where}", (SUNDAY,)):
                card = _evil(json.loads(row["card_json"]))
                row.update(run_date=EVIL_DAY, game_id=card["game_id"], card_json=json.dumps(card))
                wh.insert_rows("publish.slate_game", list(row), [list(row.values())])
            for row in wh.query(f"select * from publish.game_detail {where}", (SUNDAY,)):
                detail = json.loads(row["detail_json"])
                card = _evil(detail["card"])
                detail.update(card=card, game_id=card["game_id"], date=EVIL_DAY.isoformat())
                row.update(
                    run_date=EVIL_DAY, game_id=card["game_id"], detail_json=json.dumps(detail)
                )
                wh.insert_rows("publish.game_detail", list(row), [list(row.values())])
        folder = sidecar_dir(settings.database_url)
        if folder is not None:
            export_published(wh, folder, "nfl", EVIL_DAY)


def republish(settings: Settings, day: date, run_id: str, tldr: str) -> None:
    """Publish `day` again the way publish does (one transaction over publish.*, then on DuckDB
    the export): a new run id, and `tldr` as the first game's TL;DR on its card and detail."""
    with connect(settings.database_url) as wh:
        where = "league = 'nfl' and run_date = ?"
        first = wh.query(f"select * from publish.slate_game where {where} order by ordinal", (day,))
        card = json.loads(first[0]["card_json"])
        card = {**card, "tldr": {**card["tldr"], "text": tldr}}
        detail = json.loads(
            wh.scalar(
                f"select detail_json from publish.game_detail where {where} and game_id = ?",
                (day, card["game_id"]),
            )
        )
        detail.update(card=card, run_id=run_id)
        with wh.transaction():
            wh.execute(
                f"update publish.slate set run_id = ?, published_at = now() where {where}",
                (run_id, day),
            )
            wh.execute(f"update publish.slate_game set run_id = ? where {where}", (run_id, day))
            wh.execute(
                f"update publish.slate_game set card_json = ? where {where} and game_id = ?",
                (json.dumps(card), day, card["game_id"]),
            )
            wh.execute(
                f"update publish.game_detail set run_id = ?, detail_json = ?"
                f" where {where} and game_id = ?",
                (run_id, json.dumps(detail), day, card["game_id"]),
            )
        folder = sidecar_dir(settings.database_url)
        if folder is not None:
            export_published(wh, folder, "nfl", day)


class LiveServer:
    """uvicorn serving the app on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, settings: Settings) -> None:
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures logging onto CliRunner's streams; put the root logger back afterwards."""
    saved = []
    for name in ("", "spread_eagle"):
        logger = logging.getLogger(name)
        saved.append((logger, list(logger.handlers), logger.level, logger.propagate))
    yield
    for logger, handlers, level, propagate in saved:
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate

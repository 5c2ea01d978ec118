"""Storing a fetch's payloads: each stored once with its rows, a sighting per fetch time, the
already-stored ones found and sighted in two statements, their parses reused inside a batch; and
the replay provider's cached files serve what a fresh read serves."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from spread_eagle.config import BUNDLED_GAMES_FILE
from spread_eagle.ingest.payload import ParsedPayload, Payload
from spread_eagle.ingest.providers.replay import ReplayProvider
from spread_eagle.ingest.providers.replay_files import read_games
from spread_eagle.ingest.raw_store import (
    StoreResult,
    deferred_writes,
    reuse_parses,
    store_payloads,
)
from spread_eagle.ingest.steps import batched
from spread_eagle.leagues import load_league
from spread_eagle.run import StepOutcome
from spread_eagle.warehouse import Warehouse, connect

NFL = load_league("nfl")
AS_OF = datetime(
    2003, 9, 8, 11, tzinfo=UTC
)  # after the first Sunday of 2003: four finished seasons


@pytest.fixture
def wh(warehouse_url: str) -> Iterator[Warehouse]:
    with connect(warehouse_url) as warehouse:
        warehouse.migrate()
        yield warehouse


def _results(as_of: datetime) -> tuple[ReplayProvider, list[Payload]]:
    provider = ReplayProvider(NFL, BUNDLED_GAMES_FILE)
    return provider, provider.fetch_results(as_of.date(), as_of)


def _count(wh: Warehouse, table: str) -> int:
    return int(wh.scalar(f"select count(*) from {table}"))


def test_each_payload_is_stored_once_and_sighted_once_per_fetch_time(wh: Warehouse) -> None:
    provider, payloads = _results(AS_OF)
    first = StoreResult()
    store_payloads(wh, "run-1", payloads, provider.parse, first, league="nfl")
    assert (first.payloads_new, first.payloads_seen) == (len(payloads), 0)
    rows = _count(wh, "raw.nflverse_game")
    assert rows == first.rows > 1000

    again = StoreResult()  # the same fetch, the same clock: nothing is added
    store_payloads(wh, "run-2", payloads, provider.parse, again, league="nfl")
    assert (again.payloads_new, again.payloads_seen, again.rows) == (0, len(payloads), 0)
    assert again.parsed_rows == first.parsed_rows
    assert _count(wh, "raw.payload_sighting") == len(payloads)

    _, later = _results(AS_OF + timedelta(days=1))  # a day on: the same payloads again
    finished = [p for p in later if p.payload_id in {q.payload_id for q in payloads}]
    assert len(finished) == len(payloads) == len(later) - 1  # and Monday night's game, new
    store_payloads(wh, "run-3", finished, provider.parse, StoreResult(), league="nfl")
    assert _count(wh, "raw.payload") == len(payloads)
    assert _count(wh, "raw.payload_sighting") == len(payloads) + len(finished)
    assert _count(wh, "raw.nflverse_game") == rows


def test_already_stored_payloads_take_one_query_and_one_insert(
    wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider, payloads = _results(AS_OF)
    store_payloads(wh, "run-1", payloads, provider.parse, StoreResult(), league="nfl")
    _, later = _results(AS_OF + timedelta(hours=1))
    statements: list[str] = []
    query, execute = wh.query, wh.execute

    def counted_query(sql: str, params: Any = ()) -> Any:
        statements.append(sql)
        return query(sql, params)

    def counted_execute(sql: str, params: Any = ()) -> Any:
        statements.append(sql)
        return execute(sql, params)

    monkeypatch.setattr(wh, "query", counted_query)
    monkeypatch.setattr(wh, "execute", counted_execute)
    result = StoreResult()
    store_payloads(wh, "run-2", later, provider.parse, result, league="nfl")
    assert result.payloads_seen == len(later) == len(payloads)
    assert [s.split()[0] for s in statements] == ["select", "insert"], statements
    assert _count(wh, "raw.payload_sighting") == 2 * len(payloads)


def test_a_batch_parses_an_already_stored_payload_once(wh: Warehouse) -> None:
    provider, payloads = _results(AS_OF)
    parses: list[str] = []

    def parser(payload: Payload) -> ParsedPayload:
        parses.append(payload.payload_id)
        return provider.parse(payload)

    store_payloads(
        wh, "run-0", payloads[:1], parser, StoreResult(), league="nfl"
    )  # 1999 stored before
    with reuse_parses():
        for hours in range(3):
            _, fetched = _results(AS_OF + timedelta(hours=hours))
            results = StoreResult()
            store_payloads(wh, f"run-{hours + 1}", fetched, parser, results, league="nfl")
            assert results.parsed_rows == {
                "replay": sum(len(provider.parse(p).rows) for p in fetched)
            }
    stored_first = payloads[0].payload_id
    assert parses.count(stored_first) == 2  # stored before the block, then parsed once in it
    assert len(parses) == 2 + (len(payloads) - 1)  # each new payload parsed once, to be stored
    outside = len(parses)
    store_payloads(wh, "run-9", payloads, parser, StoreResult(), league="nfl")
    assert len(parses) == outside + len(payloads)  # outside a batch every fetch is parsed


def test_replay_files_are_read_again_when_changed(tmp_path: Path) -> None:
    games = tmp_path / "games.csv"
    lines = BUNDLED_GAMES_FILE.read_text(encoding="utf-8").splitlines()
    week = [lines[0], *(line for line in lines if ",2024-11-24," in line)]
    games.write_text("\n".join(week) + "\n", encoding="utf-8")
    provider = ReplayProvider(NFL, games)
    day, as_of = date(2024, 11, 24), datetime(2024, 11, 25, 11, tzinfo=UTC)
    [before] = provider.fetch_schedule(day, as_of)
    assert before.body.count("\n") == 12
    games.write_text("\n".join(week[:3]) + "\n", encoding="utf-8")
    os.utime(games, ns=(1, 1))  # even with an old mtime: the size changed
    [after] = provider.fetch_schedule(day, as_of)
    assert after.body.count("\n") == 3


def test_cached_rows_are_never_changed_by_a_fetch() -> None:
    """A fetch with an early clock blanks scores and lines in its copy, never in the cache."""
    read_games.cache_clear()
    provider = ReplayProvider(NFL, BUNDLED_GAMES_FILE)
    day = date(2024, 11, 24)
    late = datetime(2024, 11, 25, 11, tzinfo=UTC)
    fresh = [
        p.body for f in (provider.fetch_schedule, provider.fetch_results) for p in f(day, late)
    ]
    provider.fetch_schedule(day, datetime(2024, 11, 24, 14, tzinfo=UTC))  # before kickoff
    provider.fetch_results(day, datetime(2024, 9, 1, tzinfo=UTC))
    cached = [
        p.body for f in (provider.fetch_schedule, provider.fetch_results) for p in f(day, late)
    ]
    assert cached == fresh


def _table(wh: Warehouse, sql: str) -> list[tuple[Any, ...]]:
    return sorted(tuple(r.values()) for r in wh.query(sql))


def _three_fetches(wh: Warehouse, provider: ReplayProvider) -> list[dict[str, int]]:
    """Three clocks' results fetches (finished seasons again each time, the current one new)."""
    counts = []
    for n, days in enumerate((0, 7, 14)):
        as_of = AS_OF + timedelta(days=days)
        result = StoreResult()
        store_payloads(
            wh,
            f"run-{n}",
            provider.fetch_results(as_of.date(), as_of),
            provider.parse,
            result,
            league="nfl",
        )
        counts.append(result.counts())
    return counts


def test_deferred_writes_store_what_store_payloads_stores_in_a_few_statements(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backfill's chunk: the same payloads, sightings and rows, with the same counts, written at
    the block's end in one transaction (a statement per table) instead of a few per payload."""
    provider = ReplayProvider(NFL, BUNDLED_GAMES_FILE)
    tables = {
        "raw.payload": "select payload_id, source, endpoint, content_hash, fetched_at, run_id from raw.payload",
        "raw.payload_sighting": "select payload_id, fetched_at, run_id from raw.payload_sighting",
        "raw.nflverse_game": "select payload_id, row_number, fetched_at, run_id, game_id, home_score from raw.nflverse_game",
    }
    with connect(warehouse_url) as plain:
        plain.migrate()
        expected_counts = _three_fetches(plain, provider)
        expected = {t: _table(plain, sql) for t, sql in tables.items()}
        for t in tables:  # the deferred run starts from an empty warehouse too
            plain.execute(f"delete from {t}")
    with connect(warehouse_url) as wh:
        statements: list[str] = []
        query, execute, insert_rows = wh.query, wh.execute, wh.insert_rows
        monkeypatch.setattr(wh, "query", lambda sql, p=(): statements.append(sql) or query(sql, p))
        monkeypatch.setattr(
            wh, "execute", lambda sql, p=(): statements.append(sql) or execute(sql, p)
        )
        monkeypatch.setattr(
            wh, "insert_rows", lambda t, c, r: statements.append(t) or insert_rows(t, c, r)
        )
        with deferred_writes(wh):
            counts = _three_fetches(wh, provider)
            assert _count(wh, "raw.payload") == 0  # held until the block ends
        # a query a fetch for the ids not known yet, this test's count, then one transaction:
        # sightings, a check for payloads stored meanwhile, payloads, rows (+ DuckDB's column types)
        assert len(statements) <= 3 + 1 + 5, statements
        assert counts == expected_counts
        assert {t: _table(wh, sql) for t, sql in tables.items()} == expected


def test_deferred_writes_keep_what_was_fetched_before_a_failure(warehouse_url: str) -> None:
    provider = ReplayProvider(NFL, BUNDLED_GAMES_FILE)
    with connect(warehouse_url) as wh:
        wh.migrate()
        _, payloads = _results(AS_OF)
        with pytest.raises(RuntimeError, match="source down"), deferred_writes(wh):
            store_payloads(wh, "run-1", payloads, provider.parse, StoreResult(), league="nfl")
            raise RuntimeError("source down")
        assert _count(wh, "raw.payload") == len(payloads)


def test_a_batched_ingest_step_reports_the_runs_before_a_failure_with_their_payloads_stored(
    wh: Warehouse,
) -> None:
    provider = ReplayProvider(NFL, BUNDLED_GAMES_FILE)

    def step(ctx: Any) -> StepOutcome:
        if ctx.fail:
            raise RuntimeError(f"source down on {ctx.run_date}")
        result = StoreResult()
        fetched = provider.fetch_results(ctx.run_date, ctx.as_of)
        store_payloads(wh, ctx.run_id, fetched, provider.parse, result, league="nfl")
        return StepOutcome(counts=result.counts())

    ctxs = [
        SimpleNamespace(warehouse=wh, run_id=f"run-{n}", run_date=d.date(), as_of=d, fail=n == 2)
        for n, d in enumerate(AS_OF + timedelta(days=7 * n) for n in range(3))
    ]
    outcomes = []
    with pytest.raises(RuntimeError, match="source down"):
        for outcome in batched(step)(ctxs):  # type: ignore[arg-type]
            assert _count(wh, "raw.payload") > 0  # written before the runs are reported
            outcomes.append(outcome)
    assert len(outcomes) == 2
    # a week on: the week's two new days of games (Monday night's, Sunday's), not the season again
    assert outcomes[1].counts["payloads_new"] == 2
    assert _count(wh, "raw.payload") == len(_results(AS_OF)[1]) + 2
    assert int(wh.scalar("select count(distinct run_id) from raw.payload_sighting")) == 2

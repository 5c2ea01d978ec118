"""The storage seam behaves the same on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from spread_eagle.warehouse import LockHeldError, WarehouseError, connect, duckdb_path
from spread_eagle.warehouse.base import load_migrations


def test_duckdb_urls() -> None:
    assert duckdb_path("duckdb:///data/x.duckdb") == Path("data/x.duckdb")
    assert duckdb_path("duckdb:////var/lib/se/x.duckdb") == Path("/var/lib/se/x.duckdb")
    with pytest.raises(WarehouseError):
        duckdb_path("duckdb://")
    with pytest.raises(WarehouseError, match="unsupported"):
        connect("sqlite:///x.db")


def test_migrations_are_versioned_and_idempotent(warehouse_url: str) -> None:
    with connect(warehouse_url) as wh:
        applied = wh.migrate()
        assert applied == [m.version for m in load_migrations()]
        assert wh.migrate() == []
        assert wh.relation_exists("ops", "run") and wh.relation_exists("raw", "payload")


def test_rows_round_trip_with_nulls_and_utc(warehouse_url: str) -> None:
    eastern = timezone(timedelta(hours=-5))
    kickoff = datetime(2024, 11, 24, 20, 20, tzinfo=eastern)
    with connect(warehouse_url) as wh:
        wh.migrate()
        columns = ["run_id", "league", "run_date", "source", "home_team", "away_team", "kickoff_at"]
        small = [["r", "nfl", date(2024, 11, 24), "test", "LA", "PHI", kickoff]]
        bulk = [["b", "nfl", date(2024, 11, 24), "test", f"H{i}", "A", None] for i in range(300)]
        assert wh.insert_rows("ops.expected_game", columns, small) == 1
        assert wh.insert_rows("ops.expected_game", columns, bulk) == 300
        row = wh.query("select * from ops.expected_game where run_id = ?", ("r",))[0]
        assert row["kickoff_at"] == datetime(2024, 11, 25, 1, 20, tzinfo=UTC)
        assert row["run_date"] == date(2024, 11, 24)
        assert wh.scalar("select count(*) from ops.expected_game where kickoff_at is null") == 300


def test_text_with_quotes_commas_and_newlines_survives_bulk_insert(warehouse_url: str) -> None:
    body = 'a,"b"\nline two, \\N literal'
    with connect(warehouse_url) as wh:
        wh.migrate()
        rows = [
            [f"q{i}", "r", "src", None, None, "reason", body, datetime.now(UTC)] for i in range(120)
        ]
        wh.insert_rows(
            "raw.quarantine",
            [
                "quarantine_id",
                "run_id",
                "source",
                "payload_id",
                "record_ref",
                "reason",
                "record",
                "quarantined_at",
            ],
            rows,
        )
        assert {r["record"] for r in wh.query("select record from raw.quarantine")} == {body}


def test_transaction_rolls_back(warehouse_url: str) -> None:
    with connect(warehouse_url) as wh:
        wh.migrate()
        with pytest.raises(RuntimeError), wh.transaction():
            wh.execute(
                "insert into ops.validation values (?, ?, ?, ?, ?)",
                ("r", "c", True, "d", datetime.now(UTC)),
            )
            raise RuntimeError("boom")
        assert wh.scalar("select count(*) from ops.validation") == 0


def test_run_lock_refuses_a_second_holder(warehouse_url: str) -> None:
    first, second = connect(warehouse_url), connect(warehouse_url)
    try:
        with first.run_lock("nfl_2024-11-24"):
            with (
                pytest.raises(LockHeldError, match="already in progress"),
                second.run_lock("nfl_2024-11-24"),
            ):
                pass
            with second.run_lock("nfl_2024-11-25"):  # another date is independent
                pass
        with second.run_lock("nfl_2024-11-24"):  # released
            pass
    finally:
        first.close()
        second.close()


def test_unreachable_postgres_is_a_clear_error() -> None:
    wh = connect("postgresql://postgres:secret@127.0.0.1:1/nowhere")
    with pytest.raises(WarehouseError, match="cannot connect to PostgreSQL") as info:
        wh.scalar("select 1")
    assert "secret" not in str(info.value)


def test_a_released_run_lock_is_free_before_its_connection_closes(
    warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL frees a closed session's locks only once its server process has exited, after
    close() returns: a run straight after another of the date (a resume, a retry) could find the
    lock still held. So a lock is released before its connection closes; here every close is put
    off until the end, and the next holder still takes the lock at once."""
    import psycopg

    put_off: list[psycopg.Connection] = []
    monkeypatch.setattr(psycopg.Connection, "close", lambda self: put_off.append(self))
    first, second = connect(warehouse_url), connect(warehouse_url)
    try:
        with first.run_lock("nfl_2024-11-24"):
            pass
        with second.run_lock("nfl_2024-11-24"):
            pass
        with first.exclusive("dbt"):  # the lock migrations and dbt builds wait for: alike
            pass
        if warehouse_url.startswith("postgres"):  # (a no-op on DuckDB)
            held = second.scalar(
                "select count(*) from pg_locks where locktype = 'advisory' and database = "
                "(select oid from pg_database where datname = current_database())"
            )
            assert held == 0
    finally:
        first.close()
        second.close()
        monkeypatch.undo()
        for conn in put_off:
            conn.close()

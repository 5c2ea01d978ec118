"""A dbt crash is one line naming its cause. Found by the fault matrix: dbt's "Database Error"
headed a multi-line message, so the run's error line said only "crashed: Database Error" when
PostgreSQL terminated dbt's connection mid-build; and a full log folder (where dbt writes its
target and log) was "crashed: [Errno 28] No space left on device", naming no disk."""

from __future__ import annotations

import contextlib
import errno
from collections.abc import Iterator
from pathlib import Path

import pytest

from spread_eagle.leagues import load_league
from spread_eagle.transform.dbt_runner import DbtError, run_dbt
from spread_eagle.warehouse import connect
from tests.conftest import make_settings

TERMINATED = (
    "Database Error\n  server closed the connection unexpectedly\n"
    "  \tThis probably means the server terminated abnormally\n"
    "  \tbefore or while processing the request."
)


class _Crashed:
    success = False
    result = None

    def __init__(self, crash: BaseException) -> None:
        self.exception = crash


class _Warehouse:
    def __init__(self, url: str) -> None:
        self.url = url

    def close(self) -> None:
        pass

    def dbt_env(self) -> dict[str, str]:
        return {}

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        yield


def _crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, crash: str | BaseException
) -> str:
    class Runner:
        def __init__(self, manifest: object = None) -> None:
            pass

        def invoke(self, args: list[str]) -> _Crashed:
            return _Crashed(RuntimeError(crash) if isinstance(crash, str) else crash)

    monkeypatch.setattr("dbt.cli.main.dbtRunner", Runner)
    with pytest.raises(DbtError) as info:
        run_dbt(_Warehouse(url), ["build"], work_dir=tmp_path)  # type: ignore[arg-type]
    return str(info.value)


def test_a_terminated_postgres_session_under_dbt_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    said = _crash(monkeypatch, tmp_path, "postgresql://se:secret@db.example:5433/se", TERMINATED)
    assert "\n" not in said and "secret" not in said
    assert said.startswith(
        "dbt build crashed: PostgreSQL at db.example:5433 ended this connection (Database Error"
        " server closed the connection unexpectedly"
    )
    assert "spread-eagle doctor" in said and "dbt.log" in said


def test_any_other_dbt_crash_keeps_its_whole_message_on_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    said = _crash(monkeypatch, tmp_path, "duckdb:///w.duckdb", "Compilation Error\n  in model x")
    assert said.startswith("dbt build crashed: Compilation Error in model x (dbt's log: ")
    # the same text on DuckDB is not a PostgreSQL session
    said = _crash(monkeypatch, tmp_path, "duckdb:///w.duckdb", TERMINATED)
    assert "ended this connection" not in said and "\n" not in said


def test_dbt_unable_to_write_its_artifacts_names_the_full_disk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "logs" / "dbt" / "nfl" / "target"
    full = OSError(errno.ENOSPC, "No space left on device", str(target / "manifest.json"))
    said = _crash(monkeypatch, tmp_path, "duckdb:///w.duckdb", full)
    assert said.startswith(
        f"dbt build crashed: the disk holding {target} is full (no space left on device): free"
        " space, then re-run this command"
    )
    assert "run-daily --resume RUN_ID" in said


def test_results_that_cannot_be_written_name_the_full_disk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """dbt's run_results.json is written by run_dbt (dbt runs with --no-write-json)."""
    target = tmp_path / "target"

    class Results:
        results = ()

        def write(self, path: str) -> None:
            raise OSError(errno.ENOSPC, "No space left on device", path)

    class Built:
        success, result, exception = True, Results(), None

    class Runner:
        def __init__(self, manifest: object = None) -> None:
            pass

        def invoke(self, args: list[str]) -> Built:
            return Built()

    monkeypatch.setattr("dbt.cli.main.dbtRunner", Runner)
    with pytest.raises(DbtError) as info:
        run_dbt(_Warehouse("duckdb:///w.duckdb"), ["build"], work_dir=tmp_path)  # type: ignore[arg-type]
    assert str(info.value).startswith(
        f"dbt build crashed: the disk holding {target} is full (no space left on device)"
    )


def test_the_log_a_real_crash_names_holds_its_error(tmp_path: Path) -> None:
    """The message's dbt.log exists: `--log-level none` alone switched dbt's file log off too, so
    the log a crash named was never written."""
    settings = make_settings(tmp_path, f"duckdb:///{tmp_path / 'w.duckdb'}")
    with connect(settings.database_url) as wh:
        wh.migrate()
        with pytest.raises(DbtError) as info:
            run_dbt(
                wh,
                ["run-operation", "no_such_macro"],
                league=load_league("nfl"),
                work_dir=tmp_path / "dbt",
                parse_cache=settings.dbt_parse_cache,  # the test run's kept parse
            )
    said = str(info.value)
    log = tmp_path / "dbt" / "logs" / "dbt.log"
    assert said.endswith(f"(dbt's log: {log})")
    assert "no_such_macro" in said and "no_such_macro" in log.read_text(encoding="utf-8")
    assert isinstance(info.value.__cause__, Exception)  # dbt's own exception, for a traceback

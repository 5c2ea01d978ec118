"""run_dbt keeps dbt's parsed project for the process: parsing costs seconds, and every build of a
process after its first reuses it, as long as nothing a parse depends on has changed (the project's
files, the target and its database name, the vars)."""

from __future__ import annotations

import contextlib
import shutil
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from dbt.contracts.graph.manifest import Manifest

from spread_eagle.transform import dbt_runner
from spread_eagle.transform.dbt_runner import DBT_PROJECT_DIR, run_dbt


@dataclass
class _Result:
    success: bool
    result: Any = None
    exception: BaseException | None = None


class _Warehouse:
    def __init__(self, **env: str) -> None:
        self.url = "fake://"
        self.env = env

    def close(self) -> None:
        pass

    def dbt_env(self) -> dict[str, str]:
        return self.env

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        yield


def _duckdb(path: Path) -> _Warehouse:
    return _Warehouse(SPREAD_EAGLE_DBT_TARGET="duckdb", SPREAD_EAGLE_DUCKDB_PATH=str(path))


def _postgres(database: str) -> _Warehouse:
    return _Warehouse(SPREAD_EAGLE_DBT_TARGET="postgres", SPREAD_EAGLE_PG_DATABASE=database)


@dataclass
class _Dbt:
    """What the fake dbt was asked: (command, manifest given) of every invocation."""

    calls: list[tuple[str, Manifest | None]]
    parse_fails: bool = False
    parse_interrupted: bool = False

    def commands(self) -> list[str]:
        return [command for command, _ in self.calls]


@pytest.fixture
def dbt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> _Dbt:
    """A fake dbtRunner (every command succeeds; `parse` returns a new manifest) over a copy of
    the project."""
    fake = _Dbt(calls=[])

    class Runner:
        def __init__(self, manifest: Manifest | None = None) -> None:
            self.manifest = manifest

        def invoke(self, args: list[str]) -> _Result:
            fake.calls.append((args[0], self.manifest))
            if args[0] == "parse" and fake.parse_interrupted:  # dbtRunner returns a Ctrl-C
                return _Result(success=False, exception=KeyboardInterrupt())
            if args[0] == "parse":
                return _Result(
                    success=not fake.parse_fails, result=None if fake.parse_fails else Manifest()
                )
            return _Result(success=True)

    project = tmp_path / "dbt"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr("dbt.cli.main.dbtRunner", Runner)
    monkeypatch.setattr(dbt_runner, "DBT_PROJECT_DIR", project)
    monkeypatch.setattr(dbt_runner, "_PARSED", OrderedDict())
    monkeypatch.setattr(dbt_runner, "_release_duckdb", lambda: None)
    return fake


def _build(warehouse: _Warehouse, tmp_path: Path, **extra_vars: Any) -> None:
    run_dbt(warehouse, ["build"], work_dir=tmp_path, extra_vars=extra_vars)  # type: ignore[arg-type]


def test_a_process_parses_once_for_every_warehouse_file_of_one_name(
    dbt: _Dbt, tmp_path: Path
) -> None:
    _build(_duckdb(tmp_path / "a" / "warehouse.duckdb"), tmp_path)
    _build(_duckdb(tmp_path / "b" / "warehouse.duckdb"), tmp_path)
    assert dbt.commands() == ["parse", "build", "build"]
    parsed = dbt.calls[1][1]
    assert parsed is not None and dbt.calls[2][1] is parsed


def test_another_database_name_target_or_vars_parses_again(dbt: _Dbt, tmp_path: Path) -> None:
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path)
    _build(_duckdb(tmp_path / "other.duckdb"), tmp_path)  # relation names carry the database
    _build(_postgres("warehouse"), tmp_path)
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path, form_games=3)
    builds = [manifest for command, manifest in dbt.calls if command == "build"]
    assert dbt.commands().count("parse") == 4
    assert len({id(manifest) for manifest in builds}) == 4


def test_the_run_values_are_not_part_of_the_parse(dbt: _Dbt, tmp_path: Path) -> None:
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path, rebuild_from="2024-11-24")
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path, rebuild_from="2024-11-17")
    assert dbt.commands() == ["parse", "build", "build"]


def test_an_edited_project_file_is_parsed_again(dbt: _Dbt, tmp_path: Path) -> None:
    warehouse = _duckdb(tmp_path / "warehouse.duckdb")
    _build(warehouse, tmp_path)
    model = dbt_runner.DBT_PROJECT_DIR / "models" / "facts" / "fct__game.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    _build(warehouse, tmp_path)
    assert dbt.commands() == ["parse", "build", "parse", "build"]
    assert dbt.calls[1][1] is not dbt.calls[3][1]


def test_a_failed_parse_leaves_the_command_to_parse_and_report(dbt: _Dbt, tmp_path: Path) -> None:
    dbt.parse_fails = True
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path)
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path)
    # nothing kept: each build parses (and would report the parse's error) itself
    assert dbt.calls == [("parse", None), ("build", None), ("parse", None), ("build", None)]


def test_a_signal_during_the_parse_stops_before_the_build(dbt: _Dbt, tmp_path: Path) -> None:
    dbt.parse_interrupted = True
    with pytest.raises(KeyboardInterrupt):
        _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path)
    assert dbt.commands() == ["parse"]


def test_what_dbt_writes_in_the_project_folder_is_not_the_project(
    dbt: _Dbt, tmp_path: Path
) -> None:
    warehouse = _duckdb(tmp_path / "warehouse.duckdb")
    _build(warehouse, tmp_path)
    for written in ("target/run_results.json", "logs/dbt.log"):  # dbt run by hand in dbt/
        path = dbt_runner.DBT_PROJECT_DIR / written
        path.parent.mkdir(exist_ok=True)
        path.write_text("{}")
    _build(warehouse, tmp_path)
    assert dbt.commands() == ["parse", "build", "build"]

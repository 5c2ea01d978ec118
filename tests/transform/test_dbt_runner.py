"""run_dbt keeps dbt's parsed project for the process: parsing costs seconds, and every build of a
process after its first reuses it, as long as nothing a parse depends on has changed (the project's
files, the target, the vars); a project parsed for another database is pointed at this one."""

from __future__ import annotations

import contextlib
import os
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


class _Node(dict[str, Any]):
    """A parsed node or source as far as `_retarget` reads and writes it."""

    def __getattr__(self, name: str) -> Any:
        return self[name]

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def to_dict(self, omit_none: bool = False) -> dict[str, Any]:
        return dict(self)


def _parsed_for(database: str, own: str | None = None) -> Manifest:
    """A manifest as a parse for `database` gives it: a model and a source in it (the model in
    database `own` instead, as if the project set one)."""
    manifest = Manifest()
    manifest.nodes["model.p.m"] = _Node(  # type: ignore[assignment]
        database=own or database, relation_name=f'"{own or database}"."facts"."m"'
    )
    manifest.sources["source.p.raw.t"] = _Node(  # type: ignore[assignment]
        database=database, relation_name=f'"{database}"."raw"."t"'
    )
    return manifest


@dataclass
class _Dbt:
    """What the fake dbt was asked: (command, manifest given) of every invocation."""

    calls: list[tuple[str, Manifest | None]]
    parse_fails: bool = False
    parse_interrupted: bool = False
    own_database: str | None = None  # the model's database in what a parse returns

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
                database = dbt_runner._database_name(dict(os.environ))
                parsed = _parsed_for(database, fake.own_database)
                return _Result(
                    success=not fake.parse_fails, result=None if fake.parse_fails else parsed
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


def test_a_process_parses_once_for_every_warehouse(dbt: _Dbt, tmp_path: Path) -> None:
    _build(_duckdb(tmp_path / "a" / "warehouse.duckdb"), tmp_path)
    _build(_duckdb(tmp_path / "b" / "warehouse.duckdb"), tmp_path)
    _build(_duckdb(tmp_path / "other.duckdb"), tmp_path)
    assert dbt.commands() == ["parse", "build", "build", "build"]
    parsed = dbt.calls[1][1]
    assert parsed is not None and dbt.calls[2][1] is parsed and dbt.calls[3][1] is parsed


def test_a_kept_project_is_pointed_at_the_database_it_builds(dbt: _Dbt, tmp_path: Path) -> None:
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path)
    _build(_duckdb(tmp_path / "other.duckdb"), tmp_path)
    kept = dbt.calls[-1][1]
    assert kept is not None
    assert kept.nodes["model.p.m"].database == "other"
    assert kept.nodes["model.p.m"].relation_name == '"other"."facts"."m"'
    assert kept.sources["source.p.raw.t"].relation_name == '"other"."raw"."t"'
    assert kept.flat_graph["nodes"]["model.p.m"]["database"] == "other"  # what `graph` shows
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path)  # and back
    assert kept.sources["source.p.raw.t"].relation_name == '"warehouse"."raw"."t"'
    assert dbt.commands().count("parse") == 1


def test_a_project_naming_a_database_of_its_own_is_parsed_for_each(
    dbt: _Dbt, tmp_path: Path
) -> None:
    dbt.own_database = "elsewhere"  # not a name _retarget can move: it parses instead
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path)
    _build(_duckdb(tmp_path / "other.duckdb"), tmp_path)
    assert dbt.commands() == ["parse", "build", "parse", "build"]
    first, second = dbt.calls[1][1], dbt.calls[3][1]
    assert first is not None and second is not None and first is not second
    assert first.sources["source.p.raw.t"].database == "warehouse"  # left as it was parsed


def test_another_target_or_vars_parses_again(dbt: _Dbt, tmp_path: Path) -> None:
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path)
    _build(_postgres("warehouse"), tmp_path)
    _build(_duckdb(tmp_path / "warehouse.duckdb"), tmp_path, form_games=3)
    builds = [manifest for command, manifest in dbt.calls if command == "build"]
    assert dbt.commands().count("parse") == 3
    assert len({id(manifest) for manifest in builds}) == 3


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


def test_a_retargeted_project_is_what_a_parse_for_that_database_gives(tmp_path: Path) -> None:
    """Against dbt itself: the project parsed for one DuckDB file and pointed at another equals
    the project parsed for the other, node by node and source by source."""
    from dbt.cli.main import dbtRunner

    def parse(name: str) -> Manifest:
        options = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
        options += ["--target-path", str(tmp_path / name), "--log-path", str(tmp_path / name)]
        env = {"SPREAD_EAGLE_DBT_TARGET": "duckdb", "SPREAD_EAGLE_DUCKDB_PATH": f"{name}.duckdb"}
        with dbt_runner.environment({"DO_NOT_TRACK": "1", **env}):
            result = dbtRunner().invoke(["parse", *options, "--quiet", "--log-level", "none"])
        assert result.success and isinstance(result.result, Manifest), result.exception
        return result.result

    def parsed(manifest: Manifest) -> dict[str, Any]:
        items = {**manifest.nodes, **manifest.sources}
        return {
            key: {k: v for k, v in item.to_dict().items() if k != "created_at"}
            for key, item in items.items()
        }

    alpha, beta = parse("alpha"), parse("beta")
    assert parsed(alpha) != parsed(beta)
    assert dbt_runner._retarget(alpha, "alpha", "beta")
    assert parsed(alpha) == parsed(beta)
    assert alpha.nodes["model.spread_eagle.fct__game"].relation_name == '"beta"."facts"."fct__game"'
    assert {k: v.keys() for k, v in alpha.flat_graph.items()} == {
        k: v.keys() for k, v in beta.flat_graph.items()
    }
    graph = alpha.flat_graph["sources"]["source.spread_eagle.raw.payload_sighting"]
    assert graph["database"] == "beta"


def _declared_here(flags: list[dict[str, Any]]) -> Any:
    from dbt_common.behavior_flags import Behavior

    return Behavior(flags, {})  # type: ignore[arg-type]


def test_a_behaviour_flag_names_its_declaring_module_without_reading_the_stack(
    dbt: _Dbt, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build(_duckdb(tmp_path / "x.duckdb"), tmp_path)  # a build installs the shortcut

    def read_the_stack(*args: object, **kwargs: object) -> None:
        raise AssertionError("inspect.stack() read every frame's source")

    monkeypatch.setattr("inspect.stack", read_the_stack)
    flags = [
        {"name": "unsourced", "default": False, "description": "d"},
        {"name": "sourced", "default": True, "description": "d", "source": "dbt-duckdb"},
    ]
    behavior = _declared_here(flags)
    # what dbt_common's inspect.stack() walk finds: the first module outside behavior_flags
    assert behavior.unsourced._behavior_change_event.flag_source == __name__
    assert behavior.sourced._behavior_change_event.flag_source == "dbt-duckdb"


def test_a_parse_kept_on_disk_serves_the_next_process_for_any_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against dbt itself: what one process parsed for one DuckDB file, the next loads from the
    parse cache, pointed at its own file, without parsing; nodes, sources and graph as kept."""
    cache = tmp_path / "parsed"
    options = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    options += ["--target-path", str(tmp_path), "--log-path", str(tmp_path), "--quiet"]
    key = ("duckdb", str(DBT_PROJECT_DIR), "")
    env = {"DO_NOT_TRACK": "1", "SPREAD_EAGLE_DBT_TARGET": "duckdb"}
    monkeypatch.setattr(dbt_runner, "_PARSED", OrderedDict())
    with dbt_runner.environment({**env, "SPREAD_EAGLE_DUCKDB_PATH": "alpha.duckdb"}):
        parsed = dbt_runner._parsed_project(options, key, "alpha", cache)
    assert parsed is not None and len(list(cache.glob("*.msgpack"))) == 1
    assert dbt_runner._retarget(parsed, "alpha", "beta")
    expected = {k: v.to_dict() for k, v in {**parsed.nodes, **parsed.sources}.items()}

    class NoParse:
        def __init__(self, manifest: Manifest | None = None) -> None:
            pass

        def invoke(self, args: list[str]) -> None:
            raise AssertionError(f"dbt {args[0]} ran: the kept parse was not used")

    monkeypatch.setattr(dbt_runner, "_PARSED", OrderedDict())  # the next process
    monkeypatch.setattr("dbt.cli.main.dbtRunner", NoParse)
    loaded = dbt_runner._parsed_project(options, key, "beta", cache)
    assert loaded is not None and loaded is not parsed
    assert {k: v.to_dict() for k, v in {**loaded.nodes, **loaded.sources}.items()} == expected
    assert (
        loaded.nodes["model.spread_eagle.fct__game"].relation_name == '"beta"."facts"."fct__game"'
    )
    assert loaded.flat_graph["nodes"].keys() == parsed.flat_graph["nodes"].keys()
    # another key (other vars) is not served by it
    assert (
        dbt_runner._load_kept(cache, ("duckdb", str(DBT_PROJECT_DIR), '{"form_games": 3}')) is None
    )


def test_a_kept_parse_that_does_not_load_is_ignored_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = ("k",)
    path = dbt_runner._kept_file(tmp_path, key)
    path.write_bytes(b"half a file")
    assert dbt_runner._load_kept(tmp_path, key) is None
    assert "ignoring the kept dbt parse" in caplog.text and str(path) in caplog.text
    assert dbt_runner._load_kept(None, key) is None  # no cache folder: nothing kept


def test_only_the_newest_kept_parses_stay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbt_runner, "_KEPT_FILES", 2)
    monkeypatch.setattr(Manifest, "to_msgpack", lambda self, encoder: b"parsed")
    for n in range(4):
        dbt_runner._keep(tmp_path, (str(n),), Manifest(), "warehouse")
        os.utime(dbt_runner._kept_file(tmp_path, (str(n),)), (n, n))
    # each write keeps the newest two: the one written and the one before it
    kept = {p.name for p in tmp_path.glob("*.msgpack")}
    assert kept == {dbt_runner._kept_file(tmp_path, (str(n),)).name for n in (2, 3)}
    assert not list(tmp_path.glob("*.tmp"))  # no half-written file left behind


def test_a_parse_that_cannot_be_kept_is_said_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def full_disk(self: Path, data: bytes) -> int:
        with open(self, "wb") as half:
            half.write(data[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Manifest, "to_msgpack", lambda self, encoder: b"parsed" * 10)
    monkeypatch.setattr(Path, "write_bytes", full_disk)
    dbt_runner._keep(tmp_path, ("k",), Manifest(), "warehouse")
    assert "could not keep the parsed dbt project" in caplog.text
    assert list(tmp_path.iterdir()) == []  # neither a kept file nor a half-written one

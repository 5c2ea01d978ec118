"""Run dbt in-process (about 0.5 s a call after the first, against 3-5 s for the CLI) and put
each node's result into the run ledger.

The dbt profile reads only environment variables; we set them from the warehouse we are given,
so dbt always builds in the same database the Python steps read and write.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import json
import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spread_eagle.config import PACKAGE_DIR
from spread_eagle.leagues import League
from spread_eagle.run import RunContext, signals
from spread_eagle.warehouse import Warehouse
from spread_eagle.warehouse.errors import disk_full, one_line, session_ended

if TYPE_CHECKING:  # dbt is imported when first run: it costs a second or two
    from dbt.contracts.graph.manifest import Manifest

log = logging.getLogger(__name__)

# src/spread_eagle/../../dbt: the project lives at the repository root beside src/.
DBT_PROJECT_DIR = PACKAGE_DIR.parent.parent / "dbt"


# Values of one run, not of the project: never vars (see run_dbt).
RUN_VALUES = ("as_of", "rebuild_from")


class DbtError(RuntimeError):
    """dbt failed; the message names the failing nodes."""


@dataclass
class NodeResult:
    unique_id: str
    resource_type: str
    status: str
    rows_affected: int | None
    execution_seconds: float
    message: str | None


@dataclass
class DbtOutcome:
    success: bool
    nodes: list[NodeResult]

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self.nodes:
            counts[node.status] = counts.get(node.status, 0) + 1
        return dict(sorted(counts.items()))

    def failures(self) -> list[NodeResult]:
        return [n for n in self.nodes if n.status in ("error", "fail", "runtime error")]


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block (what dbt's profile reads), then restore them."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def dbt_vars(league: League, as_of: datetime | None = None) -> dict[str, Any]:
    """The league's constants the SQL needs (from its config: no league literal lives in a model)
    and the run's clock, which every model reading observations filters by."""
    found = {
        "league_id": league.league,
        "schema_suffix": league.schema(""),
        "game_types": list(league.game_types),
        "spread_line_max": league.bounds["spread_line_max"],
        "total_line_min": league.bounds["total_line_min"],
        "total_line_max": league.bounds["total_line_max"],
        "total_points_max": league.bounds["total_points_max"],
        "league_timezone": league.timezone,
        "default_kickoff_time": league.default_kickoff_time,
        "nflverse_close_minutes_before_kickoff": league.closing_line_minutes_before_kickoff,
        "form_games": 5,
    }
    if as_of is not None:
        found["as_of"] = dbt_clock(as_of)
    return found


def dbt_clock(as_of: datetime) -> str:
    """The run's clock as the project's SQL compares it: naive UTC."""
    return as_of.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _behavior_flag_source() -> str:
    """The module that declared a dbt behaviour flag without naming its source: the first caller
    outside dbt_common's behavior_flags, as `BehaviorFlagRendered._default_source` finds it.

    dbt builds every flag of an adapter each time it registers one (every command) and computes
    this default even for flags that name their source; dbt_common 1.x does it with
    `inspect.stack()`, which reads the source lines of every frame on the stack: under a scheduler,
    a web server or a test runner, whose stacks are deep, that was about half of a daily build's
    time in dbt. The frames' own module names say the same without reading a file."""
    frame = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name and name != "dbt_common.behavior_flags":
            return str(name)
        frame = frame.f_back  # type: ignore[assignment]
    return "Unknown"


@functools.cache
def _spare_dbt_the_stack_walk() -> None:
    """Install `_behavior_flag_source` in dbt_common (once; nothing if its internals moved)."""
    from dbt_common import behavior_flags

    rendered = getattr(behavior_flags, "BehaviorFlagRendered", None)
    if rendered is not None and callable(getattr(rendered, "_default_source", None)):
        rendered._default_source = staticmethod(_behavior_flag_source)


def _release_duckdb() -> None:
    """dbt-duckdb caches its DuckDB instance for the life of the process, which keeps the file
    locked against every other process (a web server, the next cron job). Close it after each call."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


# dbt's parsed project, kept for the life of the process (at most a few): what a parse depends on
# is the project's files, the target (its type, and the database name every relation name carries)
# and the vars, never the run's values (the environment, read only when executing). Parsing costs
# 3-4 s from nothing; a given manifest costs nothing (dbt's documented `dbtRunner(manifest=...)`),
# so every build after the first of a process skips it, whichever warehouse it builds: a project
# parsed for another database is pointed at this one (`_retarget`), as a parse for it would be.
_PARSED: OrderedDict[tuple[str, ...], tuple[Manifest, str]] = OrderedDict()
_PARSED_KEEP = 8
# One dbt command at a time in a process: dbt keeps its flags and adapters in globals, and a kept
# manifest is pointed at the database of the command that uses it.
_IN_PROCESS = threading.Lock()


def _project_files() -> str:
    """The project's files as dbt reads them: name, size and modification time of each (not
    what dbt run by hand in the folder writes there: target/, logs/)."""
    digest = hashlib.sha256()
    for folder, subfolders, files in os.walk(DBT_PROJECT_DIR):
        if Path(folder) == DBT_PROJECT_DIR:
            subfolders[:] = [d for d in subfolders if d not in ("target", "logs")]
        subfolders.sort()
        for name in sorted(files):
            stat = os.stat(os.path.join(folder, name))
            digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _interrupted(result: Any) -> None:
    """dbtRunner returns a Ctrl-C (or our SIGTERM, a KeyboardInterrupt) as a result: re-raise it,
    so the run is recorded as interrupted, not as dbt crashing with an empty message."""
    if isinstance(result.exception, KeyboardInterrupt):
        raise result.exception
    signals.raise_if_interrupted()


def _database_name(env: dict[str, str]) -> str:
    """The database every relation name carries (dbt-duckdb names it after the file)."""
    if env.get("SPREAD_EAGLE_DBT_TARGET") == "duckdb":
        return Path(env.get("SPREAD_EAGLE_DUCKDB_PATH", "")).stem
    return env.get("SPREAD_EAGLE_PG_DATABASE", "")


def _retarget(manifest: Manifest, old: str, new: str) -> bool:
    """Point a project parsed for database `old` at `new`, as a parse for `new` gives it: the
    database is in a node's or source's `database` and at the head of its `relation_name`, and
    nowhere else (the project sets no database of its own). False, and nothing changed, when
    something else is found: the project is then parsed for `new`."""
    if old == new:
        return True
    head, new_head = f'"{old}".', f'"{new}".'
    items = [*manifest.nodes.values(), *manifest.sources.values()]
    for item in items:
        relation = getattr(item, "relation_name", None)
        if getattr(item, "database", None) != old or (relation and not relation.startswith(head)):
            return False
    for item in items:
        item.database = new
        relation = getattr(item, "relation_name", None)
        if relation:
            item.relation_name = new_head + relation[len(head) :]
    manifest.build_flat_graph()  # the `graph` Jinja sees: copied from the nodes at parse time
    return True


@functools.cache  # read once a process: the installed packages do not change under it
def _parse_versions() -> str:
    """What a kept parse is only valid for, beside the project: dbt and its adapters' versions."""
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("dbt-core", "dbt-common", "dbt-adapters", "dbt-duckdb", "dbt-postgres"):
        try:
            found.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            found.append(f"{package} absent")
    return ",".join(found)


_KEPT_MAGIC = b"spread-eagle parsed dbt project 1\n"


def _kept_file(cache_dir: Path, key: tuple[str, ...]) -> Path:
    digest = hashlib.sha256("\x00".join((_parse_versions(), *key)).encode()).hexdigest()
    return cache_dir / f"{digest[:32]}.msgpack"


def _load_kept(cache_dir: Path | None, key: tuple[str, ...]) -> tuple[Manifest, str] | None:
    """The project as another process parsed it with this key (and the database it was parsed
    for), or None: none kept, or one that does not load (it is then parsed again and replaced)."""
    if cache_dir is None:
        return None
    path = _kept_file(cache_dir, key)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    from dbt.contracts.graph.manifest import Manifest
    from dbt.parser.manifest import extended_mashumuro_decoder

    try:
        if not data.startswith(_KEPT_MAGIC):
            raise ValueError("not a kept dbt parse")
        size = int.from_bytes(data[len(_KEPT_MAGIC) : len(_KEPT_MAGIC) + 4], "big")
        start = len(_KEPT_MAGIC) + 4
        database = data[start : start + size].decode()
        manifest = Manifest.from_msgpack(data[start + size :], decoder=extended_mashumuro_decoder)
    except Exception as exc:  # any unreadable copy is parsed again
        log.warning("ignoring the kept dbt parse %s (%s); parsing the project again", path, exc)
        return None
    manifest.build_flat_graph()
    return manifest, database


# Kept parses of other keys (an edited project, another vars set) are removed past this many.
_KEPT_FILES = 16


def _keep(cache_dir: Path | None, key: tuple[str, ...], manifest: Manifest, database: str) -> None:
    """Keep a parse for the next process, as dbt keeps its own partial parse (msgpack). A parse
    that cannot be kept (a full or read-only disk) costs the next process a parse, nothing more,
    and is logged."""
    if cache_dir is None:
        return
    from dbt.parser.manifest import extended_mashumaro_encoder

    path = _kept_file(cache_dir, key)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    name = database.encode()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(
            _KEPT_MAGIC
            + len(name).to_bytes(4, "big")
            + name
            + manifest.to_msgpack(extended_mashumaro_encoder)
        )
        os.replace(partial, path)  # whole or not at all, whoever else writes the same key
    except Exception as exc:  # a full disk, or a project msgpack cannot hold
        partial.unlink(missing_ok=True)  # what a full disk let through
        log.warning("could not keep the parsed dbt project in %s: %s", cache_dir, exc)
        return
    kept = sorted(cache_dir.glob("*.msgpack"), key=_modified, reverse=True)
    for old in kept[_KEPT_FILES:]:
        old.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    """When a kept parse was written; 0 for one another process removed meanwhile."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _parsed_project(
    options: list[str], key: tuple[str, ...], database: str, cache_dir: Path | None = None
) -> Manifest | None:
    """The project parsed with these options (everything after the command) for `database`, kept
    under `key` with the project's files, in this process and (with `cache_dir`) on disk for the
    next one; parsed if need be. None when the parse fails: the command itself then runs, parses
    and reports why."""
    from dbt.cli.main import dbtRunner
    from dbt.contracts.graph.manifest import Manifest

    key = (_project_files(), *key)
    if key not in _PARSED and (kept := _load_kept(cache_dir, key)) is not None:
        _PARSED[key] = kept
    if key in _PARSED:
        _PARSED.move_to_end(key)
        manifest, parsed_for = _PARSED[key]
        if _retarget(manifest, parsed_for, database):
            _PARSED[key] = (manifest, database)
            return manifest
    started = time.perf_counter()
    result = dbtRunner().invoke(["parse", *options])  # it writes manifest.json (builds do not)
    _interrupted(result)  # a signal during the parse stops the run there, not after a build
    if not result.success or not isinstance(result.result, Manifest):
        return None
    took = time.perf_counter() - started
    log.debug("parsed the dbt project for %s database %s in %.1f s", key[1], database, took)
    _keep(cache_dir, key, result.result, database)
    _PARSED[key] = (result.result, database)
    while len(_PARSED) > _PARSED_KEEP:
        _PARSED.popitem(last=False)
    return result.result


def run_dbt(
    warehouse: Warehouse,
    args: Sequence[str],
    *,
    league: League | None = None,
    as_of: datetime | None = None,
    work_dir: Path,
    threads: int = 2,
    extra_vars: dict[str, Any] | None = None,
    profiles_dir: Path | None = None,
    parse_cache: Path | None = None,
) -> DbtOutcome:
    """Invoke one dbt command against `warehouse`; returns per-node results (raises on a crash).

    `extra_vars` override the project's vars (e.g. `incremental_lookback_days`) on top of the
    league's; `profiles_dir` another profiles.yml (doctor's read-only copy); `parse_cache` the
    folder where the parsed project is kept for the next process (`Settings.dbt_parse_cache`)."""
    from dbt.cli.main import dbtRunner

    _spare_dbt_the_stack_walk()
    if not (DBT_PROJECT_DIR / "dbt_project.yml").is_file():
        raise DbtError(
            f"dbt project not found at {DBT_PROJECT_DIR}; install spread-eagle from its repository (pip install -e .)"
        )
    warehouse.close()  # DuckDB: one process may hold the file; let dbt open it.
    env = {
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "SPREAD_EAGLE_DBT_THREADS": str(threads),
        **warehouse.dbt_env(),
    }
    profiles = str(profiles_dir or DBT_PROJECT_DIR)
    options = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", profiles]
    if args[0] != "debug":  # debug takes no target or log path
        options += [
            "--target-path",
            str(work_dir / "target"),
            "--log-path",
            str(work_dir / "logs"),
            "--quiet",
            # Nothing on the console: failures reach the ledger and our log through the results
            # (a crash, a Ctrl-C inside dbt, is one line there, its traceback in our log). dbt's
            # own log, the work dir's logs/dbt.log, keeps its errors: `--log-level none` alone
            # would switch that file off too, and at dbt's default (debug) the file costs a daily
            # run about a tenth more CPU.
            "--log-level",
            "none",
            "--log-level-file",
            "error",
            "--no-use-colors",
            # dbt lists the relations of the schemas it builds in, not of every schema in the
            # project: the publish step's build of ui__* took 0.86 -> 0.69 s warm (DuckDB).
            "--cache-selected-only",
        ]
    # The league's constants are vars (the same for every run of it); the run's own values go in
    # the environment, which the project reads only when executing (macro `run_value`), so dbt's
    # partial parsing reuses the last parse instead of parsing the whole project every call.
    parse_vars = {**(dbt_vars(league) if league is not None else {}), **(extra_vars or {})}
    values = {name: parse_vars.pop(name, None) for name in RUN_VALUES}
    if as_of is not None:
        values["as_of"] = dbt_clock(as_of)
    # every name set, empty when absent, so no value leaks in from the caller's environment
    env.update({f"SPREAD_EAGLE_DBT_{k.upper()}": str(v or "") for k, v in values.items()})
    vars_json = json.dumps(parse_vars, sort_keys=True) if parse_vars else ""
    if vars_json:
        options += ["--vars", vars_json]
    # Concurrent runs of different dates (PostgreSQL) build the same relations: one dbt at a time
    # (`dbt debug`, which builds nothing, never waits for a running build).
    serialize = warehouse.exclusive("dbt") if args[0] != "debug" else contextlib.nullcontext()
    with _IN_PROCESS, serialize, environment(env):
        try:
            if args[0] == "debug":
                result = dbtRunner().invoke([*args, *options])
            else:
                key = (env.get("SPREAD_EAGLE_DBT_TARGET", ""), profiles, vars_json)
                manifest = _parsed_project(options, key, _database_name(env), parse_cache)
                # dbt would write manifest.json again after every build (half a second, the same
                # project each time): the parse writes it, and run_results.json is written below,
                # where a full log disk fails the step loudly.
                result = dbtRunner(manifest=manifest).invoke([*args, *options, "--no-write-json"])
        finally:
            _release_duckdb()
    _interrupted(result)
    crash = result.exception
    written = getattr(result.result, "write", None)
    if crash is None and written is not None:
        try:  # dbt's own run_results.json, as dbt would have written it
            (work_dir / "target").mkdir(parents=True, exist_ok=True)
            written(str(work_dir / "target" / "run_results.json"))
        except OSError as exc:
            crash = exc
    if crash is not None:
        # dbt's message is multi-line ("Database Error" first, the cause after): one line, and
        # a PostgreSQL session ended under dbt (terminated, a restart) said as such
        text = one_line(str(crash))
        detail = session_ended(warehouse.url, text) or text or type(crash).__name__
        if isinstance(crash, OSError) and crash.errno in (errno.ENOSPC, errno.EDQUOT):
            # dbt could not write its artifacts or log (the log folder's disk is full)
            detail = disk_full(Path(crash.filename).parent if crash.filename else work_dir)
        raise DbtError(
            f"dbt {' '.join(args)} crashed: {detail} (dbt's log: {work_dir / 'logs' / 'dbt.log'})"
        ) from crash
    nodes = []
    for item in getattr(result.result, "results", None) or []:
        node = item.node
        response = item.adapter_response or {}
        message = str(item.message) if item.message else None
        if str(item.status) == "fail" and "broken_rules" in (node.compiled_code or ""):
            broken = _broken_rules(warehouse, node.compiled_code)
            message = f"{message}: {broken}" if broken else message
        nodes.append(
            NodeResult(
                unique_id=node.unique_id,
                resource_type=str(node.resource_type),
                status=str(item.status),
                rows_affected=response.get("rows_affected") if isinstance(response, dict) else None,
                execution_seconds=round(float(item.execution_time or 0.0), 3),
                message=message,
            )
        )
    return DbtOutcome(success=bool(result.success), nodes=nodes)


def _broken_rules(warehouse: Warehouse, test_sql: str) -> str | None:
    """Which rules the rows failing an `every_row_holds` test break, and how many rows each (the
    test's own SQL names them): what a failure message and the ledger say instead of a bare count.
    None when that query itself fails: the test's failure is reported all the same."""
    try:
        rows = warehouse.query(
            f"select broken_rules, count(*) as n from ({test_sql}) as failing"
            " group by broken_rules order by n desc, broken_rules"
        )
    except Exception as exc:  # a diagnosis only: never a second failure over the first
        log.warning("could not list the rules a failing test's rows break: %s", one_line(str(exc)))
        return None
    listed = "; ".join(f"{r['n']} row(s) break {r['broken_rules']}" for r in rows[:5])
    return listed + (f"; +{len(rows) - 5} more combinations" if len(rows) > 5 else "")


def record_results(warehouse: Warehouse, run_id: str, step: str, outcome: DbtOutcome) -> None:
    with warehouse.transaction():
        warehouse.execute(
            "delete from ops.dbt_node_result where run_id = ? and step = ?", (run_id, step)
        )
        warehouse.insert_rows(
            "ops.dbt_node_result",
            [
                "run_id",
                "step",
                "unique_id",
                "resource_type",
                "status",
                "rows_affected",
                "execution_seconds",
                "message",
            ],
            [
                [
                    run_id,
                    step,
                    n.unique_id,
                    n.resource_type,
                    n.status,
                    n.rows_affected,
                    n.execution_seconds,
                    (n.message or "")[:2000],
                ]
                for n in outcome.nodes
            ],
        )


def raise_for_failures(outcome: DbtOutcome, what: str) -> None:
    if outcome.success:
        return
    failed = outcome.failures()
    listed = "; ".join(
        f"{n.unique_id}: {(n.message or n.status).strip()[:300]}" for n in failed[:5]
    )
    more = f" (+{len(failed) - 5} more)" if len(failed) > 5 else ""
    raise DbtError(
        f"{what} failed on {len(failed)} node(s): {listed}{more}. "
        "Inspect with `dbt build` from the dbt/ folder (see README)."
    )


def run_dbt_for(
    ctx: RunContext, args: Sequence[str], extra_vars: dict[str, Any] | None = None
) -> DbtOutcome:
    """`run_dbt` as a run's step calls it: the run's warehouse, league and clock, and the
    settings' dbt folder (the league's, under the log folder), threads and kept parse."""
    return run_dbt(
        ctx.warehouse,
        args,
        league=ctx.league,
        as_of=ctx.as_of,
        work_dir=ctx.settings.log_dir / "dbt" / ctx.league.league,
        threads=ctx.settings.dbt_threads,
        extra_vars=extra_vars,
        parse_cache=ctx.settings.dbt_parse_cache,
    )

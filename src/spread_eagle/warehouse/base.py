"""The one storage seam: what Python reads from and writes to the warehouse.

SQL handed to a Warehouse uses `?` placeholders and the portable subset both engines share;
each implementation translates what it must. Timestamps are stored as naive UTC `timestamp`
columns on both engines: aware datetimes are converted on the way in and made aware (UTC) on
the way out, so no caller ever sees a naive or local time.
"""

from __future__ import annotations

import abc
import contextlib
import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

Row = dict[str, Any]


class WarehouseError(RuntimeError):
    """A storage problem with a message a person can act on."""


class WarehouseMissingError(WarehouseError):
    """A reader found no warehouse where the URL points (nothing was created)."""


class LockHeldError(WarehouseError):
    """Another process holds the run lock for this league and date."""


class WarehouseBusyError(WarehouseError):
    """A reader found a run writing the DuckDB warehouse, and did not open it (it could fail the
    run: DuckDB lets one process have the file). `runs`: the runs holding it."""

    def __init__(self, message: str, runs: list[str]) -> None:
        super().__init__(message)
        self.runs = runs


class LockLostError(WarehouseError):
    """The run lock was lost while the run held it (PostgreSQL: its connection was terminated)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The versioned migrations shipped with the package, in order."""
    folder = resources.files("spread_eagle.warehouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(
                Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8"))
            )
    return sorted(found, key=lambda m: m.version)


def marks(values: Sequence[object]) -> str:
    """The `?` placeholders of an `in (...)` list of `values` (a batch's dates, run ids...)."""
    return ", ".join("?" for _ in values)


def where_equal(filters: Mapping[str, object]) -> tuple[str, list[object]]:
    """`where a = ? and b = ?` and its parameters, for the filters a caller gave: one whose value
    is None (or empty) is left out, and no filter at all is no `where` (a listing's options)."""
    given = {column: value for column, value in filters.items() if value}
    clause = " and ".join(f"{column} = ?" for column in given)
    return (f"where {clause}" if clause else ""), list(given.values())


def grouped(rows: Iterable[Row], *keys: str, drop: bool = False) -> dict[Any, list[Row]]:
    """Rows by the value of a key (or the tuple of several), in order; `drop` takes the key
    columns out of the rows."""
    out: dict[Any, list[Row]] = {}
    for r in rows:
        values = tuple(r.pop(k) if drop else r[k] for k in keys)
        out.setdefault(values[0] if len(keys) == 1 else values, []).append(r)
    return out


def to_storage(value: Any) -> Any:
    """Python value -> what the engines store (naive UTC for datetimes)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def from_storage(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def split_statements(sql: str) -> list[str]:
    """Split a migration file on semicolons that end a line (our migrations have no procedures)."""
    statements = []
    for chunk in re.split(r";\s*(?:\n|$)", sql):
        lines = [line for line in chunk.splitlines() if not line.strip().startswith("--")]
        statement = "\n".join(lines).strip()
        if statement:
            statements.append(statement)
    return statements


class Warehouse(abc.ABC):
    """A connection to the DuckDB file or the PostgreSQL database."""

    dialect: str
    url: str

    # -- primitives each engine implements -------------------------------------------------
    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abc.abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abc.abstractmethod
    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
        """Bulk-append rows; returns how many were written."""

    _depth = 0  # open transaction blocks; only the outermost one begins and commits

    @abc.abstractmethod
    def _outermost_transaction(self) -> contextlib.AbstractContextManager[None]:
        """Begin; commit when the block ends, roll back when it raises."""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes in the block commit together or not at all; blocks nest (inner ones join)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self._outermost_transaction():
                yield
        finally:
            self._depth = 0

    @abc.abstractmethod
    def run_lock(self, key: str) -> contextlib.AbstractContextManager[None]:
        """Hold an exclusive lock named `key` for the block, or raise LockHeldError at once."""

    @contextlib.contextmanager
    def run_locks(self, keys: Sequence[str]) -> Iterator[None]:
        """Hold the run locks of many runs (a backfill's batch) for the block."""
        with contextlib.ExitStack() as stack:
            for key in keys:
                stack.enter_context(self.run_lock(key))
            yield

    _conn: Any = None  # the engine's connection, opened on first use

    def relation_exists(self, schema: str, name: str) -> bool:
        return bool(
            self.scalar(
                "select count(*) as n from information_schema.tables"
                " where table_schema = ? and table_name = ?",
                (schema, name),
            )
        )

    def columns(self, table: str) -> list[str]:
        """The columns of `schema.table`, in order."""
        schema, _, name = table.partition(".")
        return [
            r["column_name"]
            for r in self.query(
                "select column_name from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                (schema, name),
            )
        ]

    def check_run_lock(self, key: str) -> None:
        """Raise LockLostError unless this process still holds the run lock `key` (taken with
        `run_lock`). Called before each step and before publish's switch commits. A DuckDB
        lock is a file lock held by this process: it cannot be lost while the process lives."""
        return None

    def run_lock_free(self, key: str) -> bool:
        """Whether no process holds the run lock `key` now (a probe: nothing is kept or written)."""
        return True

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Wait for, then hold, a warehouse-wide lock named `name` for the block: what concurrent
        runs of different dates must not do at once (migrate, dbt builds). A no-op where the engine
        already admits one writing process at a time (DuckDB)."""
        yield

    # -- a failure the ledger cannot take (the disk is full) ---------------------------------
    def keep_reserve(self) -> None:
        """Hold back a little disk space for `note_failure` (DuckDB: a reserve file beside the
        warehouse). PostgreSQL's disk is its server's, and its notes have nowhere else to go."""
        return None

    def note_failure(self, note: Mapping[str, Any]) -> bool:
        """Keep a run's failure that could not be written to the ledger beside the warehouse, in
        the reserved space; whether it was kept. `ledger` reads and applies the notes."""
        return False

    def failure_notes(self) -> list[dict[str, Any]]:
        return []

    def clear_failure_notes(self) -> None:
        return None

    def close(self) -> None:
        """Release the connection (DuckDB: lets dbt open the file in this process)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @abc.abstractmethod
    def dbt_env(self) -> dict[str, str]:
        """Environment variables the dbt profile reads to reach this same warehouse."""

    @abc.abstractmethod
    def describe(self) -> str:
        """A one-line, secret-free description (engine and location)."""

    # -- shared behaviour -------------------------------------------------------------------
    def insert_all(
        self, table: str, rows: Sequence[Mapping[str, Any]], *, ignore_conflicts: bool = False
    ) -> int:
        """Insert rows given as dicts (sqlite-utils' `insert_all`); every row has the same keys.

        `ignore_conflicts`: a row whose primary key is already stored (or being stored by a
        concurrent transaction, which PostgreSQL waits for) is skipped; returns how many rows were
        inserted. The one portable path for idempotent stores (`on conflict do nothing`, which both
        engines accept)."""
        if not rows:
            return 0
        names = list(rows[0])
        values = [[row[n] for n in names] for row in rows]
        if not ignore_conflicts:
            return self.insert_rows(table, names, values)
        inserted = 0
        marks = f"({', '.join('?' for _ in names)})"
        for start in range(0, len(values), 200):
            chunk = values[start : start + 200]
            inserted += len(
                self.query(
                    f"insert into {table} ({', '.join(names)}) values "
                    + ", ".join(marks for _ in chunk)
                    + " on conflict do nothing returning 1 as inserted",
                    [v for row in chunk for v in row],
                )
            )
        return inserted

    def replace(
        self, table: str, where: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]
    ) -> int:
        """In one transaction, delete the rows of `table` matching every `where` column and insert
        `rows`: how a step writes its share of a table, idempotently."""
        clause = " and ".join(f"{name} = ?" for name in where)
        with self.transaction():
            self.execute(f"delete from {table} where {clause}", list(where.values()))
            return self.insert_all(table, rows)

    def copy_run_rows(self, table: str, from_run: str, to_run: str) -> int:
        """Copy `from_run`'s rows of `table` under `to_run` (a resumed run reuses earlier outputs)."""
        names = [c for c in self.columns(table) if c != "run_id"]
        listed = ", ".join(names)
        with self.transaction():
            self.execute(f"delete from {table} where run_id = ?", (to_run,))
            self.execute(
                f"insert into {table} (run_id, {listed}) select ?, {listed} from {table} where run_id = ?",
                (to_run, from_run),
            )
        return int(self.scalar(f"select count(*) from {table} where run_id = ?", (to_run,)))

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.query(sql, params)
        if not rows:
            return None
        return next(iter(rows[0].values()))

    def check_schema(self) -> None:
        """A reader's guard: the warehouse exists and is migrated to what this code reads."""
        latest = max(m.version for m in load_migrations())
        if not self.relation_exists("ops", "schema_migration"):
            raise WarehouseMissingError(
                f"{self.describe()} holds no Spread Eagle warehouse yet: run `spread-eagle demo` or "
                "`spread-eagle run-daily` first (or check SPREAD_EAGLE_DATABASE_URL)"
            )
        current = self.scalar("select max(version) from ops.schema_migration") or 0
        if current < latest:
            raise WarehouseError(
                f"{self.describe()} is at migration {current}, this version reads {latest}: the next "
                "`spread-eagle run-daily` migrates it"
            )

    def migrate(self) -> list[int]:
        """Apply the migrations not yet applied, each in its own transaction; returns their versions."""
        self.execute("create schema if not exists ops")
        self.execute(
            "create table if not exists ops.schema_migration ("
            " version integer primary key, name text not null, applied_at timestamp not null)"
        )
        applied = {r["version"] for r in self.query("select version from ops.schema_migration")}
        done = []
        for migration in load_migrations():
            if migration.version in applied:
                continue
            with self.transaction():
                for statement in split_statements(migration.sql):
                    self.execute(statement)
                self.execute(
                    "insert into ops.schema_migration (version, name, applied_at) values (?, ?, ?)",
                    (migration.version, migration.name, datetime.now(UTC)),
                )
            log.debug("applied migration %04d_%s", migration.version, migration.name)
            done.append(migration.version)
        return done

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def noop() -> Iterator[None]:
    yield

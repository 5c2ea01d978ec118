"""DuckDB: the embedded default, one file on disk."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from spread_eagle.warehouse.base import (
    LockHeldError,
    Row,
    Warehouse,
    WarehouseBusyError,
    WarehouseError,
    WarehouseMissingError,
    from_storage,
    to_storage,
)
from spread_eagle.warehouse.errors import duckdb_cause, one_line

# Kept free beside the warehouse: a run that fills the disk, and so cannot write its failure to the
# ledger, gives it back to note the failure in a small file instead (CockroachDB's "emergency
# ballast"); the next run writes the note to the ledger.
RESERVE_BYTES = 64 << 10

# How long a writer waits for a reader that opened the file just before the run took its lock.
WRITER_WAIT_S = 5.0

# Below this many rows one multi-row `insert ... values` statement beats the JSON bulk path (and
# DuckDB's executemany, ~10x slower for a few dozen rows: it executes once per row).
_BULK_THRESHOLD = 50


def _json_cell(value: Any) -> str | None:
    """Every cell travels as text and is cast to the column's type by DuckDB."""
    value = to_storage(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def runs_in_progress(path: Path) -> list[str]:
    """The runs holding their run lock on the DuckDB warehouse at `path` (each as its lock key and
    holder, "nfl_2024-11-24 (pid 123)"), found from the lock files beside it without opening the
    warehouse: a reader must not open the file while a run has it (DuckDB allows one process)."""
    held = []
    prefix = f".{path.name}."
    for lock in sorted(path.parent.glob(f".{path.name}.*.lock")):
        try:
            handle = open(lock, encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError:
            continue
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                key = lock.name.removeprefix(prefix).removesuffix(".lock")
                held.append(f"{key} ({handle.read().strip() or 'another process'})")
                continue
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return held


class DuckDBWarehouse(Warehouse):
    dialect = "duckdb"

    def __init__(
        self, path: Path, url: str, read_only: bool = False, verify_schema: bool = True
    ) -> None:
        self.path = path
        self.url = url
        self.read_only = read_only
        self.verify_schema = verify_schema
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._types: dict[str, dict[str, str]] = {}  # table -> column -> type, for bulk inserts

    @property
    def conn(self) -> duckdb.DuckDBPyConnection:
        if self._conn is None:
            if self.read_only and not self.path.is_file():  # a reader never creates a warehouse
                raise WarehouseMissingError(
                    f"no DuckDB warehouse at {self.path}: run `spread-eagle demo` or `spread-eagle "
                    "run-daily` first (or check SPREAD_EAGLE_DATABASE_URL)"
                )
            if self.read_only and (busy := runs_in_progress(self.path)):
                raise WarehouseBusyError(
                    f"a run is writing the DuckDB warehouse {self.path} ({', '.join(busy)}): a "
                    "reader never opens it then (it could fail the run); re-run this command when "
                    "the run ends (spread-eagle status shows it; slate and serve read the published "
                    "files meanwhile)",
                    busy,
                )
            try:
                if not self.read_only:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                self._conn = self._connect()
            except (OSError, duckdb.Error) as exc:
                raise self._open_error(exc) from exc
            self._conn.execute("set TimeZone = 'UTC'")
            if self.read_only and self.verify_schema:
                self.check_schema()
        return self._conn

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """Open the file. A writer that finds it held by another process retries for a few
        seconds: a reader that looked before this run took its lock may be finishing a short read
        (readers never open the file while a run holds its lock, `runs_in_progress`)."""
        deadline = time.monotonic() + (0 if self.read_only else WRITER_WAIT_S)
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def _open_error(self, exc: BaseException, doing: str = "open") -> WarehouseError:
        """One line: the OS cause (read-only folder, a file in the way, a full disk) with what to
        do, else the lock another process holds on the file."""
        cause = duckdb_cause(self.path, exc, doing)
        if cause is not None:
            return WarehouseError(cause)
        return WarehouseError(
            f"cannot open the DuckDB file {self.path}: {one_line(str(exc))}. Another spread-eagle "
            "process (or a dbt or DuckDB shell) probably has it open; wait for it or stop it, then "
            "re-run this command (spread-eagle status shows what is running)"
        )

    def _beside(self, suffix: str) -> Path:
        return self.path.with_name(self.path.name + suffix)

    def keep_reserve(self) -> None:
        """Allocate the reserve file (again, after a full disk used it) when there is room; a disk
        already too full for it is the run's to find."""
        reserve = self._beside(".reserve")
        if self.read_only or reserve.exists():
            return
        try:
            with open(reserve, "wb") as f:
                os.posix_fallocate(f.fileno(), 0, RESERVE_BYTES)
        except OSError:
            with contextlib.suppress(OSError):
                reserve.unlink()

    def note_failure(self, note: Mapping[str, Any]) -> bool:
        with contextlib.suppress(FileNotFoundError):
            self._beside(".reserve").unlink()  # the room the note is written in
        try:
            with open(self._beside(".failures.jsonl"), "a", encoding="utf-8") as f:
                f.write(json.dumps(dict(note), default=str, sort_keys=True) + "\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            return False
        return True

    def failure_notes(self) -> list[dict[str, Any]]:
        try:
            lines = self._beside(".failures.jsonl").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        notes = []
        for line in lines:
            with contextlib.suppress(ValueError):  # a line cut short by the full disk
                notes.append(json.loads(line))
        return notes

    def clear_failure_notes(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._beside(".failures.jsonl").unlink()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(sql, [to_storage(p) for p in params])

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self.conn.execute(sql, [to_storage(p) for p in params])
        names = [d[0] for d in cursor.description or []]
        return [
            {n: from_storage(v) for n, v in zip(names, row, strict=True)}
            for row in cursor.fetchall()
        ]

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        column_list = ", ".join(columns)
        if len(rows) < _BULK_THRESHOLD:
            row_marks = "(" + ", ".join("?" for _ in columns) + ")"
            self.conn.execute(
                f"insert into {table} ({column_list}) values " + ", ".join(row_marks for _ in rows),
                [to_storage(v) for row in rows for v in row],
            )
            return len(rows)
        # More rows go through DuckDB's JSON reader (unlike CSV, JSON keeps nulls, quotes
        # and newlines in text unambiguous).
        types = self._column_types(table)
        with tempfile.NamedTemporaryFile(
            "w", suffix=".ndjson", delete=False, encoding="utf-8"
        ) as handle:
            for row in rows:
                handle.write(
                    json.dumps({c: _json_cell(v) for c, v in zip(columns, row, strict=True)})
                )
                handle.write("\n")
        try:
            spec = ", ".join(f"'{c}': 'VARCHAR'" for c in columns)
            casts = ", ".join(f"cast({c} as {types.get(c, 'VARCHAR')})" for c in columns)
            self.conn.execute(
                f"insert into {table} ({column_list}) select {casts} from read_json(?,"
                f" format='newline_delimited', columns={{{spec}}})",
                [handle.name],
            )
        finally:
            os.unlink(handle.name)
        return len(rows)

    def _column_types(self, table: str) -> dict[str, str]:
        """A table's column types, read once per connection (a backfill inserts thousands of
        times into the same few tables); forgotten when the connection closes or migrates."""
        if table not in self._types:
            self._types[table] = {
                r["column_name"]: r["data_type"]
                for r in self.query(
                    "select column_name, data_type from information_schema.columns"
                    " where table_schema || '.' || table_name = ?",
                    (table,),
                )
            }
        return self._types[table]

    def close(self) -> None:
        self._types.clear()
        super().close()

    def migrate(self) -> list[int]:
        self._types.clear()
        return super().migrate()

    @contextlib.contextmanager
    def _outermost_transaction(self) -> Iterator[None]:
        self.conn.execute("begin transaction")
        try:
            yield
        except BaseException:
            self.conn.execute("rollback")
            raise
        self.conn.execute("commit")

    def _lock_path(self, key: str) -> Path:
        return self.path.parent / f".{self.path.name}.{key}.lock"

    def run_lock_free(self, key: str) -> bool:
        try:
            handle = open(self._lock_path(key), encoding="utf-8")  # noqa: SIM115
        except (FileNotFoundError, NotADirectoryError):
            return True  # never taken
        with handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return True

    @contextlib.contextmanager
    def run_lock(self, key: str) -> Iterator[None]:
        lock_path = self._lock_path(key)
        try:
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the block
        except OSError as exc:
            raise self._open_error(exc, "lock") from exc
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise LockHeldError(
                    f"a run for {key} is already in progress ({holder}); wait for it to finish"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            yield
        finally:
            handle.close()

    def dbt_env(self) -> dict[str, str]:
        return {"SPREAD_EAGLE_DBT_TARGET": "duckdb", "SPREAD_EAGLE_DUCKDB_PATH": str(self.path)}

    def describe(self) -> str:
        return f"DuckDB file {self.path}"

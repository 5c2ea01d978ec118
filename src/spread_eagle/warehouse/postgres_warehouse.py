"""PostgreSQL (AWS RDS in production), through psycopg 3."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.rows import dict_row

from spread_eagle.redact import redact_url
from spread_eagle.warehouse.base import (
    LockHeldError,
    LockLostError,
    Row,
    Warehouse,
    WarehouseError,
    from_storage,
    to_storage,
)
from spread_eagle.warehouse.errors import one_line, postgres_cause

log = logging.getLogger(__name__)


def _translate(sql: str) -> str:
    """`?` placeholders -> psycopg's `%s` (a literal % must be doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _lock_id(key: str) -> int:
    """A lock name -> the signed 64-bit key of pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def _lock_parts(lock_id: int) -> tuple[int, int]:
    """How pg_locks shows a 64-bit advisory key: (classid, objid) = (high, low) 32 bits."""
    unsigned = lock_id & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF


def _release(lock_conn: psycopg.Connection[Any]) -> None:
    """Release a lock connection's advisory locks, then close it. Unlocked first: a closed
    session's locks go only when its server process has exited, after close() returns, and the
    next holder (a resume or retry of the date straight after) would find them still held. A dead
    connection's locks went with it."""
    with contextlib.suppress(psycopg.Error):
        lock_conn.execute("select pg_advisory_unlock_all()")
    with contextlib.suppress(psycopg.Error):
        lock_conn.close()


def normalize_url(url: str) -> str:
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


class PostgresWarehouse(Warehouse):
    dialect = "postgres"

    def __init__(self, url: str, read_only: bool = False, verify_schema: bool = True) -> None:
        self.url = normalize_url(url)
        self.read_only = read_only
        self.verify_schema = verify_schema
        self._conn: psycopg.Connection[dict[str, Any]] | None = None
        self._run_locks: dict[str, psycopg.Connection[Any]] = {}

    @property
    def conn(self) -> psycopg.Connection[dict[str, Any]]:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(
                    self.url, autocommit=True, row_factory=dict_row, connect_timeout=10
                )
            except psycopg.OperationalError as exc:
                raise WarehouseError(postgres_cause(self.url, str(exc))) from exc
            self._conn.execute("set time zone 'UTC'")
            if self.read_only:
                self._conn.execute("set default_transaction_read_only = on")
                if self.verify_schema:
                    self.check_schema()
        return self._conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(
            _translate(sql) if params else sql, [to_storage(p) for p in params] or None
        )

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self.conn.execute(
            _translate(sql) if params else sql, [to_storage(p) for p in params] or None
        )
        return [{k: from_storage(v) for k, v in row.items()} for row in cursor.fetchall()]

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
        if not rows:
            return 0
        with (
            self.conn.cursor() as cursor,
            cursor.copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy,
        ):
            for row in rows:
                copy.write_row([to_storage(v) for v in row])
        return len(rows)

    @contextlib.contextmanager
    def _outermost_transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def _connect_aside(self) -> psycopg.Connection[Any]:
        """A connection of its own (locks), with the same one-line error as the main one."""
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise WarehouseError(postgres_cause(self.url, str(exc))) from exc

    @contextlib.contextmanager
    def run_lock(self, key: str) -> Iterator[None]:
        with self.run_locks([key]):
            yield

    @contextlib.contextmanager
    def run_locks(self, keys: Sequence[str]) -> Iterator[None]:
        # Session-level advisory locks on a connection of their own (one for a batch's locks), so
        # they outlive transactions and are released by PostgreSQL if this process dies. The run
        # checks its lock is still held (check_run_lock) before each step and before publish
        # commits: a terminated lock connection would otherwise admit a second run of the date.
        lock_conn = self._connect_aside()
        taken: list[str] = []
        try:
            for key in keys:
                row = lock_conn.execute(
                    "select pg_try_advisory_lock(%s)", [_lock_id(key)]
                ).fetchone()
                if not row or not row[0]:
                    raise LockHeldError(
                        f"a run for {key} is already in progress in this database; wait for it to"
                        " finish (spread-eagle status shows it)"
                    )
                taken.append(key)
                self._run_locks[key] = lock_conn
            yield
        finally:
            for key in taken:
                self._run_locks.pop(key, None)
            _release(lock_conn)

    def check_run_lock(self, key: str) -> None:
        lock_conn = self._run_locks.get(key)
        if lock_conn is None:
            return  # not taken by this warehouse object (a test driving steps by hand)
        classid, objid = _lock_parts(_lock_id(key))
        try:
            row = lock_conn.execute(
                "select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()"
                " and classid = %s::bigint::oid and objid = %s::bigint::oid and objsubid = 1"
                " and granted",
                [classid, objid],
            ).fetchone()
        except psycopg.Error as exc:
            raise LockLostError(
                f"lost the run lock for {key}: its PostgreSQL connection is gone "
                f"({one_line(str(exc))[:200]}); another run of the date may have started, so this "
                "one stops before publishing"
            ) from exc
        if not row or not row[0]:
            raise LockLostError(
                f"lost the run lock for {key}: PostgreSQL no longer holds it for this run; "
                "this run stops before publishing"
            )

    def run_lock_free(self, key: str) -> bool:
        classid, objid = _lock_parts(_lock_id(key))
        held = self.scalar(
            "select count(*) as n from pg_locks where locktype = 'advisory'"
            " and database = (select oid from pg_database where datname = current_database())"
            " and classid = ?::bigint::oid and objid = ?::bigint::oid and objsubid = 1 and granted",
            (classid, objid),
        )
        return not held

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        lock_id = _lock_id(f"exclusive:{name}")
        lock_conn = self._connect_aside()
        try:
            row = lock_conn.execute("select pg_try_advisory_lock(%s)", [lock_id]).fetchone()
            if not row or not row[0]:
                log.info("waiting for another run's %s to finish", name)
                lock_conn.execute("select pg_advisory_lock(%s)", [lock_id])
            yield
        finally:
            _release(lock_conn)

    def migrate(self) -> list[int]:
        # Two first runs at once must not both create the schemas and apply the same migration.
        with self.exclusive("migrate"):
            return super().migrate()

    def dbt_env(self) -> dict[str, str]:
        parts = urlsplit(self.url)
        return {
            "SPREAD_EAGLE_DBT_TARGET": "postgres",
            "SPREAD_EAGLE_PG_HOST": parts.hostname or "localhost",
            "SPREAD_EAGLE_PG_PORT": str(parts.port or 5432),
            "SPREAD_EAGLE_PG_USER": unquote(parts.username or "postgres"),
            "SPREAD_EAGLE_PG_PASSWORD": unquote(parts.password or ""),
            "SPREAD_EAGLE_PG_DATABASE": (parts.path or "/postgres").lstrip("/") or "postgres",
        }

    def describe(self) -> str:
        return f"PostgreSQL {redact_url(self.url)}"

"""PostgreSQL (AWS RDS in production), through psycopg 3."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg.rows import dict_row

from spread_eagle.redact import redact_url
from spread_eagle.warehouse.base import (
    LockHeldError,
    Row,
    Warehouse,
    WarehouseError,
    from_storage,
    to_storage,
)


def _translate(sql: str) -> str:
    """`?` placeholders -> psycopg's `%s` (a literal % must be doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


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

    @property
    def conn(self) -> psycopg.Connection[dict[str, Any]]:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(
                    self.url, autocommit=True, row_factory=dict_row, connect_timeout=10
                )
            except psycopg.OperationalError as exc:
                raise WarehouseError(
                    f"cannot connect to PostgreSQL at {redact_url(self.url)}: {str(exc).strip()}"
                ) from exc
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

    @contextlib.contextmanager
    def run_lock(self, key: str) -> Iterator[None]:
        # A session-level advisory lock on a connection of its own, so it outlives transactions
        # and is released by PostgreSQL if this process dies.
        lock_id = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        lock_conn = psycopg.connect(self.url, autocommit=True)
        try:
            row = lock_conn.execute("select pg_try_advisory_lock(%s)", [lock_id]).fetchone()
            if not row or not row[0]:
                raise LockHeldError(
                    f"a run for {key} is already in progress in this database; wait for it to finish"
                )
            try:
                yield
            finally:
                lock_conn.execute("select pg_advisory_unlock(%s)", [lock_id])
        finally:
            lock_conn.close()

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

"""The warehouse seam: `connect(url)` returns the DuckDB or PostgreSQL implementation."""

from __future__ import annotations

from pathlib import Path

from spread_eagle.warehouse.base import (
    LockHeldError,
    LockLostError,
    Row,
    Warehouse,
    WarehouseBusyError,
    WarehouseError,
    WarehouseMissingError,
    grouped,
    marks,
    where_equal,
)


def duckdb_path(url: str) -> Path:
    """duckdb:///relative/file.duckdb -> relative path; duckdb:////abs/file.duckdb -> absolute."""
    rest = url[len("duckdb://") :]
    if not rest.startswith("/") or rest == "/":
        raise WarehouseError(
            f"a DuckDB URL looks like duckdb:///data/spread_eagle.duckdb, got {url!r}"
        )
    return Path(rest[1:])


def connect(url: str, read_only: bool = False, verify_schema: bool = True) -> Warehouse:
    """The warehouse at `url`. `read_only` (every reading command): never create, migrate or write;
    a missing or out-of-date warehouse is a clear error instead (`verify_schema=False`: a missing
    one only, for `doctor`, which reports the migration level itself)."""
    if url.startswith("duckdb://"):
        from spread_eagle.warehouse.duckdb_warehouse import DuckDBWarehouse

        return DuckDBWarehouse(
            duckdb_path(url).resolve(), url, read_only=read_only, verify_schema=verify_schema
        )
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        from spread_eagle.warehouse.postgres_warehouse import PostgresWarehouse

        return PostgresWarehouse(url, read_only=read_only, verify_schema=verify_schema)
    raise WarehouseError(
        f"unsupported database URL scheme in {url.split(':', 1)[0]!r}: use duckdb:/// or postgresql://"
    )


__all__ = [
    "LockHeldError",
    "LockLostError",
    "Row",
    "Warehouse",
    "WarehouseBusyError",
    "WarehouseError",
    "WarehouseMissingError",
    "connect",
    "duckdb_path",
    "grouped",
    "marks",
    "where_equal",
]

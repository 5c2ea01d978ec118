"""What went wrong at the storage level, said in one line with what to do next.

The causes a person meets at the front door (PostgreSQL down, the database missing, a DuckDB file
in a read-only folder, a path whose parent is a file, a full disk) arrive as psycopg, DuckDB or OS
errors whose text is long, multi-line or about the wrong thing. `explain` turns any of them into
one line naming the cause and the next command, or None when it is not a storage problem.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path
from urllib.parse import urlsplit

from spread_eagle.redact import redact_url

DOCTOR = "then check with: spread-eagle doctor"

# DuckDB reports OS errors inside its own message; map the telling words to an errno.
_DUCKDB_CAUSES = (
    ("no space left", errno.ENOSPC),
    ("disk full", errno.ENOSPC),
    ("read-only file system", errno.EROFS),
    ("permission denied", errno.EACCES),
    ("not a directory", errno.ENOTDIR),
)


# The OS causes a person fixes outside the program: a full disk or quota, a read-only or
# unwritable folder, a file where a folder should be.
STORAGE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR}
)


def one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def postgres_cause(url: str, message: str) -> str:
    """One line for a failed PostgreSQL connection (message: psycopg's, possibly multi-line)."""
    shown = redact_url(url)
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    text = one_line(message)
    low = text.lower()
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        name = missing.group(1)
        return (
            f'PostgreSQL at {where} has no database "{name}": create it (createdb -h '
            f"{parts.hostname or 'localhost'} -p {parts.port or 5432}"
            f"{' -U ' + parts.username if parts.username else ''} {name}) or fix "
            f"SPREAD_EAGLE_DATABASE_URL, {DOCTOR}"
        )
    if "terminating connection" in low or "connection has been closed" in low:
        return (
            f"PostgreSQL at {where} ended this connection ({text[:120]}): an administrator or a "
            f"restart terminated it; {DOCTOR}"
        )
    if "password authentication failed" in low or "no password supplied" in low:
        return (
            f"PostgreSQL at {where} refused the login: fix the user or password in "
            f"SPREAD_EAGLE_DATABASE_URL, {DOCTOR}"
        )
    if "role" in low and "does not exist" in low:
        return (
            f"PostgreSQL at {where} has no such user: fix the user in SPREAD_EAGLE_DATABASE_URL, "
            f"{DOCTOR}"
        )
    if any(
        w in low
        for w in (
            "connection refused",
            "could not connect",
            "timeout expired",
            "no route to host",
            "could not translate host name",
            "name or service not known",
            "server closed the connection",
            "connection to server",
        )
    ):
        cause = "connection refused" if "refused" in low else "not reachable"
        return (
            f"cannot connect to PostgreSQL at {shown} ({cause}): start the server or fix "
            f"SPREAD_EAGLE_DATABASE_URL, {DOCTOR}"
        )
    return f"PostgreSQL at {shown}: {text[:300]}; {DOCTOR}"


# An established PostgreSQL session ended under a client (pg_terminate_backend, a restart, a
# failover), as psycopg and the drivers built on it (dbt-postgres) word it.
_SESSION_ENDED = (
    "terminating connection",
    "server closed the connection unexpectedly",
    "connection has been closed",
    "connection already closed",
)


def session_ended(url: str, message: str) -> str | None:
    """One line for an open PostgreSQL session that the server ended (message: any client's
    error text, possibly multi-line), else None. Unlike `postgres_cause`, never "cannot connect":
    the connection was up, and the next run connects afresh."""
    if not url.startswith("postgresql"):
        return None
    text = one_line(message)
    low = text.lower()
    if not any(words in low for words in _SESSION_ENDED):
        return None
    parts = urlsplit(url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    return (
        f"PostgreSQL at {where} ended this connection ({text[:120]}): an administrator or a "
        f"restart terminated it; {DOCTOR}"
    )


def os_errno(exc: BaseException) -> int | None:
    """The OS cause of an OSError or of a DuckDB error that wraps one."""
    if isinstance(exc, OSError) and exc.errno:
        return exc.errno
    low = str(exc).lower()
    for words, code in _DUCKDB_CAUSES:
        if words in low:
            return code
    return None


def _file_in_the_way(path: Path) -> Path | None:
    for parent in [path, *path.parents]:
        if parent.exists() and not parent.is_dir() and parent != path:
            return parent
    return None


def duckdb_cause(path: Path, exc: BaseException, doing: str = "open") -> str | None:
    """One line for an OS-level failure on the DuckDB file at `path`, or None if it is not one."""
    code = os_errno(exc)
    fix_url = "or set SPREAD_EAGLE_DATABASE_URL=duckdb:////a/writable/folder/spread_eagle.duckdb"
    if code in (errno.ENOTDIR, errno.EEXIST) or (code is None and _file_in_the_way(path)):
        blocker = _file_in_the_way(path)
        if blocker is not None:
            return (
                f"cannot {doing} the DuckDB warehouse {path}: {blocker} is a file, not a folder; "
                f"move it away {fix_url}, then re-run this command"
            )
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        what = "read-only" if code == errno.EROFS else "not writable"
        return (
            f"cannot {doing} the DuckDB warehouse {path}: its folder {path.parent} is {what}; "
            f"make it writable {fix_url}, then re-run this command"
        )
    if code in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(path.parent)
    return None


def disk_full(folder: Path) -> str:
    """One line for a full disk under `folder` (the warehouse's, or the log folder dbt writes)."""
    return (
        f"the disk holding {folder} is full (no space left on device): free space, "
        "then re-run this command (a failed run: spread-eagle status names it, "
        "spread-eagle run-daily --resume RUN_ID continues it)"
    )


def _missing_relation(exc: BaseException) -> str | None:
    """The relation a reader found missing (DuckDB CatalogException, PostgreSQL UndefinedTable)."""
    name = type(exc).__name__
    if name not in ("CatalogException", "UndefinedTable"):
        return None
    found = re.search(r'(?:Table with name|relation) "?([\w.]+)"? does not exist', str(exc))
    return found.group(1) if found else "relation it needs"


def explain(exc: BaseException, database_url: str | None = None) -> str | None:
    """One line for a storage failure that escaped to the front door, or None."""
    from spread_eagle.warehouse.base import WarehouseError

    if isinstance(exc, WarehouseError):
        return one_line(str(exc))
    path: Path | None = None
    if database_url and database_url.startswith("duckdb://"):
        from spread_eagle.warehouse import duckdb_path

        try:
            path = duckdb_path(database_url).resolve()
        except WarehouseError:
            path = None
    missing = _missing_relation(exc)
    if missing:
        return (
            f"the warehouse has no {missing} yet (no run has built it): run `spread-eagle "
            "run-daily --date D` first (spread-eagle status shows how far runs got)"
        )
    try:
        import psycopg

        if isinstance(exc, psycopg.OperationalError) and database_url:
            # raised on an open session (a failed connect is a WarehouseError above): a session
            # the server ended is never "cannot connect ... start the server"
            return session_ended(database_url, str(exc)) or postgres_cause(database_url, str(exc))
        if isinstance(exc, psycopg.Error):
            return f"PostgreSQL error: {one_line(str(exc))[:300]}; {DOCTOR}"
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    code = os_errno(exc)
    if path is not None and (isinstance(exc, OSError) or code is not None):
        found = duckdb_cause(path, exc)
        if found:
            return found
    if code in (errno.ENOSPC, errno.EDQUOT):
        return (
            "the disk is full (no space left on device): free space, then re-run this command "
            "(a failed run: spread-eagle run-daily --resume RUN_ID continues it)"
        )
    if isinstance(exc, OSError):
        return f"{one_line(str(exc))}; {DOCTOR}"
    return None

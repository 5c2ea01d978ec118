"""The published documents, for every reader (`serve`, `slate`), and their export by publish.

Readers never read facts or outputs, only what publish made visible, and they never block a run:

- DuckDB: a DuckDB file is locked by the process that opens it, so a reader that opens the
  warehouse, even read-only and even briefly, can fail a running pipeline between two dbt calls.
  Publish therefore exports its documents to a sidecar folder beside the file
  (`<db file>.published/`), each file written to a temporary name and `os.replace`d after the
  transaction commits; readers on DuckDB read only those files and never open the warehouse.
- PostgreSQL: readers read `publish.*` over a few pooled connections: one cheap query for the
  publication's identity, then the cached document unless that identity changed.

Either way a document is cached in-process and re-read only when the publication changed (file
identity on DuckDB, run id + document hash + publish time on PostgreSQL), so a request costs what
reading a cached document costs and a replaced slate is never served.

Sidecar layout:
    index.json                        every published slate header, newest date first
    slates/<league>/<date>.json       exactly what `slate --date D --json` prints
    games/<league>/<game_id>.json     the game's detail document (its newest published date)
    runs.json                         a snapshot of the recent runs, written at each run's end
    history/<league>/<date>/<run>.json   every publication of the date, as `slate --json` printed
                                      it then (`slate --date D --run RUN_ID`)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import queue
import re
import tempfile
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from spread_eagle.publish.slate import SlateNotFoundError, iso_z
from spread_eagle.run.ledger import recent_runs
from spread_eagle.warehouse import Warehouse, WarehouseError, duckdb_path, grouped, marks

log = logging.getLogger(__name__)

RUNS_SNAPSHOT = 100  # runs kept in runs.json (and served by /api/runs)
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,120}")


class GameNotFoundError(LookupError):
    pass


def slate_text(doc: dict[str, Any]) -> str:
    """The slate document as `slate --json` prints it and `/api/slates/{date}` serves it."""
    return json.dumps(doc, indent=2) + "\n"


def not_published(league: str, day: date) -> SlateNotFoundError:
    return SlateNotFoundError(
        f"no slate is published for {league} {day}; run `spread-eagle run-daily --date {day}` first"
    )


def sidecar_dir(database_url: str) -> Path | None:
    """`<db file>.published/` for a DuckDB warehouse; None for PostgreSQL (readers use tables)."""
    if not database_url.startswith("duckdb://"):
        return None
    path = duckdb_path(database_url).resolve()
    return path.with_name(path.name + ".published")


def file_name(key: str) -> str:
    """A stored id as a file name: as-is when plain, else a digest (ids are untrusted text)."""
    if _SAFE_NAME.fullmatch(key) and ".." not in key:
        return key
    return "h-" + hashlib.sha256(key.encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_z(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _seconds(started: datetime | None, ended: datetime | None) -> float | None:
    return None if not (started and ended) else round((ended - started).total_seconds(), 3)


# -- documents built from the warehouse (the writer on DuckDB, every reader on PostgreSQL) ------


def read_index(
    wh: Warehouse, league: str | None = None, limit: int = 10_000
) -> list[dict[str, Any]]:
    """Published slate headers, newest date first."""
    where = "where league = ?" if league else ""
    rows = wh.query(
        "select league, run_date, run_id, as_of, games, document_hash, published_at"
        f" from publish.slate {where} order by run_date desc, league limit {int(limit)}",
        (league,) if league else (),
    )
    return [
        {
            "league": r["league"],
            "date": r["run_date"].isoformat(),
            "run_id": r["run_id"],
            "as_of": iso_z(r["as_of"]),
            "games": int(r["games"]),
            "document_hash": r["document_hash"],
            "published_at": iso_z(r["published_at"]),
        }
        for r in rows
    ]


def read_slate_snapshot(wh: Warehouse, league: str, day: date) -> tuple[tuple[Any, ...], str]:
    """(identity, slate text) read in ONE statement, so header and cards are one snapshot."""
    rows = _published_rows(wh, league, [day]).get(day)
    if not rows:
        raise not_published(league, day)
    head = rows[0]
    identity = (head["run_id"], head["document_hash"], head["published_at"])
    return identity, _slate_document(league, day, rows)


def _published_rows(
    wh: Warehouse, league: str, days: list[date]
) -> dict[date, list[dict[str, Any]]]:
    """date -> the current publication's header and cards (one row a card, in order)."""
    return grouped(
        wh.query(
            "select s.run_date, s.run_id, s.document_hash, s.published_at, g.card_json"
            " from publish.slate s"
            " left join publish.slate_game g on g.league = s.league and g.run_date = s.run_date"
            f" where s.league = ? and s.run_date in ({marks(days)}) order by s.run_date, g.ordinal",
            (league, *days),
        ),
        "run_date",
    )


def _history_rows(wh: Warehouse, run_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """run id -> its publication's header and cards (one row a card, in order)."""
    return grouped(
        wh.query(
            "select s.run_id, s.league, s.run_date, s.published_at, g.card_json"
            " from publish.slate_history s"
            " left join publish.slate_history_game g on g.run_id = s.run_id"
            f" where s.run_id in ({marks(run_ids)}) order by s.run_id, g.ordinal",
            run_ids,
        ),
        "run_id",
    )


def _slate_document(league: str, day: date, rows: list[dict[str, Any]]) -> str:
    """A publication's slate text from its rows (run_id, published_at and each card, in order)."""
    return slate_text(
        {
            "date": day.isoformat(),
            "league": league,
            "run_id": rows[0]["run_id"],
            "published_at": iso_z(rows[0]["published_at"]),
            "games": [json.loads(r["card_json"]) for r in rows if r["card_json"] is not None],
        }
    )


def read_slate_history(wh: Warehouse, league: str, day: date, run_id: str) -> str:
    """The slate text a past publication (by `run_id`) made visible, in one statement."""
    rows = _history_rows(wh, [run_id]).get(run_id)
    if not rows or (rows[0]["league"], rows[0]["run_date"]) != (league, day):
        raise not_published_by(league, day, run_id, publication_runs(wh, league, day))
    return _slate_document(league, day, rows)


def publication_runs(wh: Warehouse, league: str, day: date) -> list[str]:
    """The runs that published (league, day), oldest first."""
    return [
        r["run_id"]
        for r in wh.query(
            "select run_id from publish.slate_history where league = ? and run_date = ?"
            " order by published_at, run_id",
            (league, day),
        )
    ]


def not_published_by(league: str, day: date, run_id: str, runs: list[str]) -> SlateNotFoundError:
    if not runs:
        return not_published(league, day)
    return SlateNotFoundError(
        f"run {run_id} did not publish {league} {day}; the runs that did, oldest first: "
        f"{', '.join(runs)}"
    )


def read_game_detail(wh: Warehouse, league: str, game_id: str) -> dict[str, Any]:
    rows = wh.query(
        "select detail_json from publish.game_detail where league = ? and game_id = ?"
        " order by run_date desc limit 1",
        (league, game_id),
    )
    if not rows:
        raise GameNotFoundError(f"no published game {game_id!r} for {league}")
    detail: dict[str, Any] = json.loads(rows[0]["detail_json"])
    return detail


def runs_document(wh: Warehouse, limit: int = RUNS_SNAPSHOT) -> list[dict[str, Any]]:
    """Recent runs (the ledger, newest first) with each step and the publication they made."""
    runs = recent_runs(wh, limit=limit)
    published: dict[str, dict[str, Any]] = {}
    if runs:
        ids = [r["run_id"] for r in runs]
        for p in wh.query(
            "select run_id, league, run_date, games, document_hash, published_at"
            f" from ops.publication where run_id in ({', '.join('?' for _ in ids)})",
            ids,
        ):
            run_id = p.pop("run_id")
            published[run_id] = _jsonable(p)
    out = []
    for run in runs:
        steps = [
            _jsonable({**step, "seconds": _seconds(step["started_at"], step["ended_at"])})
            for step in run.pop("steps")
        ]
        document = _jsonable({**run, "seconds": _seconds(run["started_at"], run["ended_at"])})
        document["publication"] = published.get(run["run_id"])
        document["steps"] = steps
        out.append(document)
    return out


# -- the sidecar export (DuckDB) ----------------------------------------------------------------


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, then rename over: readers see old or new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def export_published(wh: Warehouse, folder: Path, league: str, *days: date) -> int:
    """Export the slates of `league` on `days` (one date, or a backfill's batch) and any
    publication the sidecar lacks or has stale (a crash between commit and export heals at the
    next publish), then the index, last. Call after the publish transactions committed. Returns
    how many slates were written. A batch is read in a few statements, not a few a date."""
    index = read_index(wh)
    previous = {
        (s["league"], s["date"]): s
        for s in _load_json(folder / "index.json", {"slates": []})["slates"]
    }
    fresh = {(league, day.isoformat()) for day in days}
    stale: dict[str, list[date]] = {}
    for header in reversed(index):  # oldest first: a game on two dates keeps its newest detail
        key = (header["league"], header["date"])
        path = folder / "slates" / file_name(header["league"]) / f"{header['date']}.json"
        if key not in fresh and previous.get(key) == header and path.exists():
            continue
        stale.setdefault(header["league"], []).append(date.fromisoformat(header["date"]))
    written = 0
    current: dict[str, str] = {}  # run id -> its slate text (its history entry is the same)
    for stale_league, stale_days in stale.items():
        for part in _batches(stale_days):
            published = _published_rows(wh, stale_league, part)
            _export_details(wh, folder, stale_league, part)
            for day in part:
                rows = published[day]
                text = _slate_document(stale_league, day, rows)
                write_atomic(folder / "slates" / file_name(stale_league) / f"{day}.json", text)
                current[rows[0]["run_id"]] = text
                written += 1
    written += _export_history(wh, folder, current)
    write_atomic(folder / "index.json", json.dumps({"slates": index}, indent=1) + "\n")
    log.info("exported %d published slate(s) to %s", written, folder)
    return written


_BATCH = 500  # dates or runs read in one statement


def _batches(items: list[Any]) -> list[list[Any]]:
    return [items[n : n + _BATCH] for n in range(0, len(items), _BATCH)]


def history_path(folder: Path, league: str, day: date, run_id: str) -> Path:
    return folder / "history" / file_name(league) / day.isoformat() / f"{file_name(run_id)}.json"


def _export_history(wh: Warehouse, folder: Path, current: dict[str, str]) -> int:
    """Every kept publication the sidecar lacks (written once: a publication never changes); those
    in `current` (run id -> slate text: the publications just exported as current slates) are
    not read again."""
    written, missing = 0, []
    for r in wh.query("select league, run_date, run_id from publish.slate_history"):
        path = history_path(folder, r["league"], r["run_date"], r["run_id"])
        if path.exists():
            continue
        if r["run_id"] in current:
            write_atomic(path, current[r["run_id"]])
            written += 1
        else:
            missing.append(r)
    for part in _batches(missing):
        cards = _history_rows(wh, [r["run_id"] for r in part])
        for r in part:
            path = history_path(folder, r["league"], r["run_date"], r["run_id"])
            write_atomic(path, _slate_document(r["league"], r["run_date"], cards[r["run_id"]]))
            written += 1
    return written


def _export_details(wh: Warehouse, folder: Path, league: str, days: list[date]) -> None:
    """The detail document of each game of `days` whose newest published date is among them."""
    newest = {
        r["game_id"]: r["newest"]
        for r in wh.query(
            "select game_id, max(run_date) as newest from publish.game_detail where league = ?"
            " and game_id in (select game_id from publish.game_detail where league = ?"
            f" and run_date in ({marks(days)})) group by game_id",
            (league, league, *days),
        )
    }
    for r in wh.query(
        "select run_date, game_id, detail_json from publish.game_detail where league = ?"
        f" and run_date in ({marks(days)})",
        (league, *days),
    ):
        if newest.get(r["game_id"]) == r["run_date"]:
            path = folder / "games" / file_name(league) / f"{file_name(r['game_id'])}.json"
            write_atomic(path, r["detail_json"])


class ExportError(RuntimeError):
    """The publication committed but its documents could not be exported for DuckDB readers."""


def export_after_publish(wh: Warehouse, league: str, *days: date) -> None:
    """After the publish transactions of `days` (one date, or a backfill's batch, exported once):
    export for DuckDB readers (PostgreSQL readers need nothing).

    A failure fails the step loudly: the warehouse has the new slate but readers still see the
    previous one until a publish exports again (re-running --from-step publish does)."""
    folder = sidecar_dir(wh.url)
    if folder is None or not days:
        return
    try:
        export_published(wh, folder, league, *days)
        export_runs(wh, folder)
    except OSError as exc:
        which = str(days[0]) if len(days) == 1 else f"{days[0]}..{days[-1]} ({len(days)} dates)"
        raise ExportError(
            f"published {league} {which} in the warehouse but could not export it to {folder}: "
            f"{exc}; readers still see the previous slate. Fix it, then re-run with --from-step "
            "publish"
        ) from exc


def export_runs(wh: Warehouse, folder: Path) -> None:
    write_atomic(folder / "runs.json", json.dumps({"runs": runs_document(wh)}, indent=1) + "\n")


def export_runs_quietly(wh: Warehouse) -> None:
    """The runs snapshot at a run's end; a failure here must not change the run's outcome."""
    folder = sidecar_dir(wh.url)
    if folder is None:
        return
    try:
        export_runs(wh, folder)
    except (OSError, WarehouseError) as exc:
        log.warning("could not write the runs snapshot to %s: %s", folder, exc)


def _load_json(path: Path, default: Any) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return default


# -- readers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slate:
    """A published slate: its exact text, the parsed document and an identity for caches."""

    text: str
    doc: dict[str, Any]
    version: tuple[Any, ...]


class PublishedReader(Protocol):
    def slate(self, league: str, day: date) -> Slate: ...
    def past_slate(self, league: str, day: date, run_id: str) -> str: ...
    def index(self, league: str) -> tuple[tuple[Any, ...], list[dict[str, Any]]]: ...
    def game(self, league: str, game_id: str) -> dict[str, Any]: ...
    def runs(self) -> list[dict[str, Any]]: ...
    def health(self) -> dict[str, str]: ...
    def close(self) -> None: ...


Identity = tuple[int, int, int]  # a file's (inode, mtime ns, size): os.replace changes it
Reads = list[tuple[Path, Identity | None]]
_read_log: ContextVar[Reads | None] = ContextVar("published_reads", default=None)


def file_identity(path: Path) -> Identity | None:
    """The identity of the file at `path` now; None when there is none."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def note_read(path: Path, ident: Identity | None) -> None:
    """Record that what was just read came from `path` as it was at `ident` (None: absent)."""
    log = _read_log.get()
    if log is not None:
        log.append((path, ident))


def observe_file(path: Path) -> Identity | None:
    """`file_identity`, noted as a read: for what a response shows about a file's existence."""
    ident = file_identity(path)
    note_read(path, ident)
    return ident


@contextlib.contextmanager
def recording_reads() -> Iterator[Reads]:
    """Every published file read inside the block (by this task and the threads it hands work
    to), with the identity it had: what a response built in the block depends on."""
    log: Reads = []
    token = _read_log.set(log)
    try:
        yield log
    finally:
        _read_log.reset(token)


def unchanged(reads: Reads) -> bool:
    """Every file still has the identity it had when it was read (absent ones still absent)."""
    return all(file_identity(path) == ident for path, ident in reads)


class SidecarReader:
    """DuckDB: reads the exported files only; never opens (or creates) the warehouse. Each read
    is noted (`recording_reads`), so a response built from the files can be cached exactly as
    long as they stay as they were."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[Path, tuple[Identity, str, Any]] = {}
        self._lock = threading.Lock()

    def _read(self, path: Path) -> tuple[Identity, str, Any] | None:
        """(identity, text, parsed) of a file, re-read only when os.replace swapped it."""
        ident = file_identity(path)
        if ident is None:
            note_read(path, None)
            return None
        cached = self._cache.get(path)
        if cached is not None and cached[0] == ident:
            note_read(path, ident)
            return cached
        try:
            with open(path, encoding="utf-8") as handle:
                fresh = os.fstat(handle.fileno())
                text = handle.read()
        except FileNotFoundError:
            note_read(path, None)
            return None
        entry = ((fresh.st_ino, fresh.st_mtime_ns, fresh.st_size), text, json.loads(text))
        note_read(path, entry[0])
        with self._lock:
            if len(self._cache) > 4096:  # bounded: drop everything rather than track recency
                self._cache.clear()
            self._cache[path] = entry
        return entry

    def slate(self, league: str, day: date) -> Slate:
        entry = self._read(self.folder / "slates" / file_name(league) / f"{day.isoformat()}.json")
        if entry is None:
            raise not_published(league, day)
        return Slate(entry[1], entry[2], entry[0])

    def past_slate(self, league: str, day: date, run_id: str) -> str:
        """The slate text a past publication made visible (`slate --date D --run RUN_ID`)."""
        path = history_path(self.folder, league, day, run_id)
        try:
            return path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            pass
        try:
            names = [p for p in path.parent.iterdir() if p.suffix == ".json"]
        except (FileNotFoundError, NotADirectoryError):
            names = []
        runs = [p.stem for p in sorted(names, key=lambda p: (p.stat().st_mtime_ns, p.name))]
        raise not_published_by(league, day, run_id, runs)

    def index(self, league: str) -> tuple[tuple[Any, ...], list[dict[str, Any]]]:
        entry = self._read(self.folder / "index.json")
        if entry is None:
            return (), []
        return entry[0], [s for s in entry[2]["slates"] if s["league"] == league]

    def game(self, league: str, game_id: str) -> dict[str, Any]:
        path = self.folder / "games" / file_name(league) / f"{file_name(game_id)}.json"
        entry = self._read(path)
        if entry is None:
            raise GameNotFoundError(f"no published game {game_id!r} for {league}")
        detail: dict[str, Any] = entry[2]
        return detail

    def runs(self) -> list[dict[str, Any]]:
        entry = self._read(self.folder / "runs.json")
        return [] if entry is None else list(entry[2]["runs"])

    def health(self) -> dict[str, str]:
        if not (self.folder / "index.json").exists():
            return {"status": "ok", "published": "nothing published yet"}
        return {"status": "ok", "published": "ok"}

    def close(self) -> None:
        self._cache.clear()


class WarehouseReader:
    """PostgreSQL: reads publish.* (and the ledger) over a few pooled autocommit connections."""

    def __init__(self, url: str, pool_size: int = 4) -> None:
        self.url = url
        self._idle: queue.LifoQueue[Warehouse] = queue.LifoQueue()
        # At most pool_size connections: a burst of requests waits for one rather than each
        # opening (and then closing) its own, which cost more than the queries.
        self._slots = threading.BoundedSemaphore(pool_size)
        self._slates: dict[tuple[str, date], Slate] = {}

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Warehouse]:
        from spread_eagle.warehouse import connect

        with self._slots:
            try:
                wh = self._idle.get_nowait()
            except queue.Empty:
                # Read-only sessions; no migration check: publish.* reads the same across
                # versions, so a server keeps serving after an upgrade until the next run migrates.
                wh = connect(self.url, read_only=True, verify_schema=False)
            try:
                yield wh
            except BaseException:
                wh.close()  # a failed connection is not put back
                raise
            self._idle.put(wh)

    def slate(self, league: str, day: date) -> Slate:
        import psycopg

        with self._connection() as wh:
            try:
                head = wh.query(
                    "select run_id, document_hash, published_at from publish.slate"
                    " where league = ? and run_date = ?",
                    (league, day),
                )
            except psycopg.errors.UndefinedTable:  # a database never published to
                head = []
        if not head:
            raise not_published(league, day)
        version = (head[0]["run_id"], head[0]["document_hash"], head[0]["published_at"])
        cached = self._slates.get((league, day))
        if cached is not None and cached.version == version:
            return cached
        with self._connection() as wh:
            version, text = read_slate_snapshot(wh, league, day)
        fresh = Slate(text, json.loads(text), version)
        if len(self._slates) > 1024:
            self._slates.clear()
        self._slates[(league, day)] = fresh
        return fresh

    def past_slate(self, league: str, day: date, run_id: str) -> str:
        import psycopg

        with self._connection() as wh:
            try:
                return read_slate_history(wh, league, day, run_id)
            except psycopg.errors.UndefinedTable:  # a database never published to
                raise not_published(league, day) from None

    def index(self, league: str) -> tuple[tuple[Any, ...], list[dict[str, Any]]]:
        import psycopg

        with self._connection() as wh:
            try:
                slates = read_index(wh, league)
            except psycopg.errors.UndefinedTable:
                return (), []
        return tuple((s["date"], s["run_id"], s["document_hash"]) for s in slates), slates

    def game(self, league: str, game_id: str) -> dict[str, Any]:
        import psycopg

        with self._connection() as wh:
            try:
                return read_game_detail(wh, league, game_id)
            except psycopg.errors.UndefinedTable:
                raise GameNotFoundError(f"no published game {game_id!r} for {league}") from None

    def runs(self) -> list[dict[str, Any]]:
        import psycopg

        with self._connection() as wh:
            try:
                return runs_document(wh)
            except psycopg.errors.UndefinedTable:
                return []

    def version(self, tables: tuple[str, ...]) -> tuple[Any, ...] | None:
        """Each table's row count and the sum of its rows' `xmin` (the id of the transaction
        that wrote each row version), in ONE statement; None when it cannot be read.

        Any committed insert, update or delete changes it: a write leaves row versions stamped
        with its own transaction id, newer than every id it replaces (so with the count
        unchanged the sum grows), whichever columns it touches and whatever clock its writer
        had. The response cache compares it with the one a response was built after."""
        import psycopg

        stamps = ", ".join(
            f"(select count(*) from {t}) as n{i}, (select sum(xmin::text::bigint) from {t}) as x{i}"
            for i, t in enumerate(tables)
        )
        try:
            with self._connection() as wh:
                rows = wh.query(f"select {stamps}")
        except (psycopg.Error, WarehouseError):  # down, or never migrated: nothing is cached
            return None
        return tuple(rows[0].values())

    def health(self) -> dict[str, str]:
        with self._connection() as wh:
            wh.scalar("select 1")
        return {"status": "ok", "published": "ok"}

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get_nowait().close()


def reader_for(database_url: str) -> PublishedReader:
    folder = sidecar_dir(database_url)
    if folder is not None:
        return SidecarReader(folder)
    return WarehouseReader(database_url)

"""Raw storage: append-only, verbatim, deduplicated by content, every row traceable to a run."""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from spread_eagle.ingest.payload import ExpectedGame, ParsedPayload, Payload, QuarantinedRecord
from spread_eagle.warehouse import Warehouse, marks, where_equal

log = logging.getLogger(__name__)

Parser = Callable[[Payload], ParsedPayload]

# Every source's raw table starts with these, so each row is traceable to its payload and run.
META_COLUMNS = ["payload_id", "row_number", "fetched_at", "run_id"]


@dataclass
class StoreResult:
    payloads_new: int = 0
    payloads_seen: int = 0
    rows: int = 0
    rows_unchanged: int = 0
    quarantined: int = 0
    expected_games: list[ExpectedGame] = field(default_factory=list)
    # per source: usable payloads, and why the others were rejected as a whole
    usable: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, list[str]] = field(default_factory=dict)
    # per source: rows a parser found usable in the payloads it was handed (new or not)
    parsed_rows: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line for the log: what was stored and what was kept aside."""
        return (
            f"{self.payloads_new} new payloads, {self.payloads_seen} unchanged, {self.rows} rows"
            f" ({self.rows_unchanged} unchanged lines skipped), {self.quarantined} quarantined"
        )

    def counts(self) -> dict[str, int]:
        return {
            "payloads_new": self.payloads_new,
            "payloads_unchanged": self.payloads_seen,
            "rows": self.rows,
            "rows_unchanged": self.rows_unchanged,
            "quarantined": self.quarantined,
        }


def _quarantine_rows(
    run_id: str, items: list[QuarantinedRecord], payload_id: str | None
) -> dict[str, dict[str, Any]]:
    """quarantine id -> row; ids are content-derived, so the same record twice in one payload is
    kept once and re-runs add nothing."""
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        qid = hashlib.sha256(
            "\x1f".join(
                [item.source, payload_id or "", item.record_ref or "", item.reason, item.record]
            ).encode()
        ).hexdigest()[:32]
        rows[qid] = {
            "quarantine_id": qid,
            "run_id": run_id,
            "source": item.source,
            "payload_id": payload_id,
            "record_ref": item.record_ref,
            "reason": item.reason,
            "record": item.record,
            "quarantined_at": datetime.now(UTC),
        }
        log.warning(
            "quarantined %s record %s: %s", item.source, item.record_ref or "(payload)", item.reason
        )
    return rows


def quarantine(
    wh: Warehouse, run_id: str, items: list[QuarantinedRecord], payload_id: str | None
) -> int:
    """Keep what could not be used, with the reason; ids are content-derived so re-runs add nothing."""
    # Content-derived ids and `on conflict do nothing`: a re-run, or a concurrent run storing the
    # same record, adds nothing (and never fails on the primary key).
    rows = _quarantine_rows(run_id, items, payload_id)
    return wh.insert_all("raw.quarantine", list(rows.values()), ignore_conflicts=True)


def _changed_rows(wh: Warehouse, parsed: ParsedPayload) -> tuple[list[list[Any]], int]:
    """Drop rows whose line equals the newest stored row with the same key (line history)."""
    if not parsed.key_columns or not parsed.rows:
        return parsed.rows, 0
    index = {c: i for i, c in enumerate(parsed.columns)}
    keys, changes = parsed.key_columns, parsed.change_columns
    first = keys[0]
    firsts = sorted({str(row[index[first]]) for row in parsed.rows})
    stored = wh.query(
        f"select {', '.join(keys + changes)} from {parsed.table}"
        f" where {first} in ({', '.join('?' for _ in firsts)}) order by fetched_at, payload_id, row_number",
        firsts,
    )
    newest: dict[tuple[str, ...], tuple[str, ...]] = {}
    for r in stored:  # ordered oldest first, so the last one written per key wins
        newest[tuple(str(r[k]) for k in keys)] = tuple(str(r[c]) for c in changes)
    fresh, unchanged = [], 0
    for row in parsed.rows:
        key = tuple(str(row[index[k]]) for k in keys)
        value = tuple(str(row[index[c]]) for c in changes)
        if newest.get(key) == value:
            unchanged += 1
            continue
        newest[key] = value
        fresh.append(row)
    return fresh, unchanged


_parses: ContextVar[OrderedDict[tuple[str, str], ParsedPayload] | None] = ContextVar(
    "parses", default=None
)
PARSES_KEPT = 64  # more than a backfill's finished seasons, which every date fetches again


@contextlib.contextmanager
def reuse_parses() -> Iterator[None]:
    """Within the block, an already-stored payload is parsed once, however often it is fetched
    again: a backfill is served every finished season's results for each of its dates. Of such a
    payload only what depends on its id (source, request, bytes) is read, its usable rows, the
    games it schedules and the records it quarantines, so one parse serves every fetch; the
    `PARSES_KEPT` most recently used parses are kept."""
    token = _parses.set(OrderedDict())
    try:
        yield
    finally:
        _parses.reset(token)


def _parse(payload: Payload, parser: Parser, stored: bool) -> ParsedPayload:
    """The payload's parse: inside `reuse_parses`, an already-stored payload's is looked up (a new
    payload is always parsed: its rows are landed from this parse), and every parse is kept."""
    cache = _parses.get()
    if cache is None:
        return parser(payload)
    key = (payload.payload_id, getattr(parser, "__qualname__", repr(parser)))
    if stored and key in cache:
        cache.move_to_end(key)
        return cache[key]
    parsed = cache[key] = parser(payload)
    cache.move_to_end(key)
    if len(cache) > PARSES_KEPT:
        cache.popitem(last=False)
    return parsed


def _tally(result: StoreResult, payload: Payload, parsed: ParsedPayload) -> None:
    result.expected_games.extend(parsed.expected_games)
    if parsed.rejected:
        result.rejected.setdefault(payload.source, []).append(
            f"{payload.endpoint}: {parsed.rejected}"
        )
    else:
        result.usable[payload.source] = result.usable.get(payload.source, 0) + 1
        result.parsed_rows[payload.source] = result.parsed_rows.get(payload.source, 0) + len(
            parsed.rows
        )


def _sightings(run_id: str, league: str, payloads: list[Payload]) -> list[dict[str, Any]]:
    """That each payload was fetched at `fetched_at` (once per payload and time).

    The body is stored once, at its first fetch; a run whose clock is earlier than that first fetch
    (re-running a date with an earlier --as-of on a warm warehouse) must still see it, so dbt reads
    payloads by their sightings, never by their first fetch alone."""
    unique = {(p.payload_id, p.fetched_at): p for p in payloads}
    return [
        {"payload_id": payload_id, "fetched_at": fetched_at, "run_id": run_id, "league": league}
        for payload_id, fetched_at in unique
    ]


_HTTP_COLUMNS = [
    "payload_id",
    "source",
    "url",
    "status_code",
    "etag",
    "last_modified",
    "requests_remaining",
    "requests_used",
    "requests_last",
    "fetched_at",
    "run_id",
]


@dataclass
class _Pending:
    """What `deferred_writes` holds until its block ends: new payloads with their sightings, http
    responses, parsed rows and quarantined records, and every sighting of an already-stored one."""

    known: set[str] = field(default_factory=set)  # payload ids stored, or pending here
    sightings: dict[tuple[str, datetime], dict[str, Any]] = field(default_factory=dict)
    payloads: dict[str, dict[str, Any]] = field(default_factory=dict)
    http: dict[str, list[Any]] = field(default_factory=dict)
    rows: dict[str, tuple[str, list[str], list[list[Any]]]] = field(default_factory=dict)
    quarantine: dict[str, dict[str, Any]] = field(default_factory=dict)

    def flush(self, wh: Warehouse) -> None:
        """Write everything held, in one transaction and one statement per table; then forget it
        (what it knows is stored stays known)."""
        if not self.sightings and not self.payloads:
            return
        with wh.transaction():
            wh.insert_all(
                "raw.payload_sighting", list(self.sightings.values()), ignore_conflicts=True
            )
            ids = sorted(self.payloads)
            # A payload stored meanwhile by another process came with its own rows: skip ours.
            taken = {
                r["payload_id"]
                for r in (
                    wh.query(
                        f"select payload_id from raw.payload where payload_id in ({marks(ids)})",
                        ids,
                    )
                    if ids
                    else []
                )
            }
            if taken:
                log.warning("%d payloads were stored meanwhile by another run", len(taken))
            wh.insert_all(
                "raw.payload",
                [row for pid, row in self.payloads.items() if pid not in taken],
                ignore_conflicts=True,
            )
            http = [row for pid, row in self.http.items() if pid not in taken]
            if http:
                wh.insert_rows("raw.http_response", _HTTP_COLUMNS, http)
            by_table: dict[tuple[str, tuple[str, ...]], list[list[Any]]] = {}
            for pid, (table, columns, rows) in self.rows.items():
                if pid not in taken:
                    by_table.setdefault((table, tuple(columns)), []).extend(rows)
            for (table, names), landed in by_table.items():
                wh.insert_rows(table, META_COLUMNS + list(names), landed)
            wh.insert_all(
                "raw.quarantine",
                [q for q in self.quarantine.values() if q["payload_id"] not in taken],
                ignore_conflicts=True,
            )
        self.sightings, self.payloads, self.http, self.rows, self.quarantine = {}, {}, {}, {}, {}


_pending: ContextVar[_Pending | None] = ContextVar("pending", default=None)


@contextlib.contextmanager
def deferred_writes(wh: Warehouse) -> Iterator[None]:
    """Within the block, `store_payloads` holds what it would write and the block's end writes it
    all in one transaction, one statement per table (a backfill's chunk of dates: a few statements
    instead of a dozen a date). What is stored is the same, row for row: a payload is new when
    neither the warehouse nor the block holds it; a payload whose rows are kept as line history
    (`key_columns`) reads the stored lines, so what is held is written first and it is stored at
    once. The block's end writes what is held even when the block raises (every payload fetched
    before a failure is kept), unless writing it fails too."""
    pending = _Pending()
    token = _pending.set(pending)
    try:
        yield
    except BaseException:
        try:
            pending.flush(wh)
        except Exception as exc:
            log.warning("could not store the payloads held before the failure: %s", exc)
        raise
    finally:
        _pending.reset(token)
    pending.flush(wh)


def store_payloads(
    wh: Warehouse,
    run_id: str,
    payloads: list[Payload],
    parser: Parser,
    result: StoreResult,
    *,
    league: str,
    parse_stored: bool = True,
) -> list[ParsedPayload]:
    """Store a fetch's payloads verbatim (each once) and land their parsed rows; returns each
    payload's parse, in order.

    `parse_stored=False`: a payload already in the warehouse is not parsed again; its outcome is
    what was recorded when it was stored (usable, or rejected as a whole with the reason kept in
    raw.quarantine), and its parse is returned without rows, games or records. For a caller that
    needs only the counts: the results step, served every finished season's file again each day.

    The payloads already stored are found in one query and their sightings written in one insert;
    each new payload is stored with its rows in a transaction of its own (inside `deferred_writes`,
    held until the block ends). A payload is kept even
    when it is unusable as a whole (it is then quarantined with the reason), so what a source sent
    is never lost. Each sighting records the `league` whose run fetched it (dbt reads only its own
    league's)."""
    if not payloads:
        return []
    pending = _pending.get()
    known = pending.known if pending is not None else set()
    ids = sorted({p.payload_id for p in payloads} - known)
    stored = known & {p.payload_id for p in payloads}
    if ids:
        stored |= {
            r["payload_id"]
            for r in wh.query(
                f"select payload_id from raw.payload where payload_id in ({marks(ids)})",
                ids,
            )
        }
    seen = _sightings(run_id, league, [p for p in payloads if p.payload_id in stored])
    if pending is not None:
        pending.known |= stored
        for row in seen:
            pending.sightings.setdefault((row["payload_id"], row["fetched_at"]), row)
    else:
        # Seen at this time already (by this run or a concurrent one): nothing is added.
        wh.insert_all("raw.payload_sighting", seen, ignore_conflicts=True)
    in_warehouse = stored - known  # not those a backfill chunk holds back to write later
    recorded = None if parse_stored else _stored_outcomes(wh, sorted(in_warehouse))
    out = []
    for payload in payloads:
        held = payload.payload_id in stored or payload.payload_id in known
        if recorded is not None and payload.payload_id in in_warehouse:
            parsed = ParsedPayload(table="", columns=[], rejected=recorded.get(payload.payload_id))
        else:
            parsed = _parse(payload, parser, held)
        if held:  # stored, or held here (fetched twice)
            result.payloads_seen += 1
        elif pending is not None and not parsed.key_columns:
            _hold_new(pending, _New(run_id, league, payload, parsed), result)
        else:
            if pending is not None:  # line history reads what is stored: write what is held
                pending.flush(wh)
                pending.known.add(payload.payload_id)
            _store_new(wh, _New(run_id, league, payload, parsed), result)
        _tally(result, payload, parsed)
        out.append(parsed)
    return out


def _stored_outcomes(wh: Warehouse, payload_ids: list[str]) -> dict[str, str]:
    """payload id -> the reason it was rejected as a whole, of those stored payloads that were."""
    if not payload_ids:
        return {}
    return {
        r["payload_id"]: r["reason"]
        for r in wh.query(
            "select payload_id, min(reason) as reason from raw.quarantine"
            f" where payload_id in ({marks(payload_ids)}) and record_ref is null"
            " group by payload_id",
            payload_ids,
        )
    }


@dataclass(frozen=True)
class _New:
    """A payload not stored yet: the run and league it is stored under, and its parse."""

    run_id: str
    league: str
    payload: Payload
    parsed: ParsedPayload


def _hold_new(pending: _Pending, new: _New, result: StoreResult) -> None:
    """What `_store_new` writes, held for `deferred_writes` to write."""
    run_id, league, payload, parsed = new.run_id, new.league, new.payload, new.parsed
    payload_id = payload.payload_id
    pending.known.add(payload_id)
    for row in _sightings(run_id, league, [payload]):
        pending.sightings.setdefault((row["payload_id"], row["fetched_at"]), row)
    pending.payloads[payload_id] = _payload_row(run_id, payload)
    if payload.http is not None:
        pending.http[payload_id] = _http_row(run_id, payload)
    rows = _numbered(run_id, payload, parsed.rows)
    if rows:
        pending.rows[payload_id] = (parsed.table, parsed.columns, rows)
        result.rows += len(rows)
    held = _quarantine_rows(run_id, parsed.quarantined, payload_id)
    fresh = {qid: row for qid, row in held.items() if qid not in pending.quarantine}
    pending.quarantine.update(fresh)
    result.quarantined += len(fresh)
    result.payloads_new += 1


def _numbered(run_id: str, payload: Payload, rows: list[list[Any]]) -> list[list[Any]]:
    """Parsed rows as stored: the META_COLUMNS (payload, row number from 1, fetched_at, run) first."""
    return [
        [payload.payload_id, n, payload.fetched_at, run_id, *row]
        for n, row in enumerate(rows, start=1)
    ]


def _payload_row(run_id: str, payload: Payload) -> dict[str, Any]:
    return {
        "payload_id": payload.payload_id,
        "source": payload.source,
        "endpoint": payload.endpoint,
        "request_params": payload.request_params,
        "content_type": payload.content_type,
        "body": payload.body,
        "content_hash": payload.content_hash,
        "fetched_at": payload.fetched_at,
        "run_id": run_id,
    }


def _http_row(run_id: str, payload: Payload) -> list[Any]:
    h = payload.http
    assert h is not None
    return [
        payload.payload_id,
        payload.source,
        h.url,
        h.status_code,
        h.etag,
        h.last_modified,
        h.requests_remaining,
        h.requests_used,
        h.requests_last,
        payload.fetched_at,
        run_id,
    ]


def _store_new(wh: Warehouse, new: _New, result: StoreResult) -> None:
    """A payload and its parsed rows, in one transaction."""
    run_id, league, payload, parsed = new.run_id, new.league, new.payload, new.parsed
    payload_id = payload.payload_id
    with wh.transaction():
        wh.insert_all(
            "raw.payload_sighting", _sightings(run_id, league, [payload]), ignore_conflicts=True
        )
        # Two first runs of different dates may fetch the same payload at once: the second insert
        # waits for the first transaction (PostgreSQL) and then stores nothing, and this run
        # treats the payload as already stored (its rows came with it).
        stored = wh.insert_all(
            "raw.payload", [_payload_row(run_id, payload)], ignore_conflicts=True
        )
        if not stored:
            result.payloads_seen += 1
            return
        if payload.http is not None:
            wh.insert_rows("raw.http_response", _HTTP_COLUMNS, [_http_row(run_id, payload)])
        fresh, unchanged = _changed_rows(wh, parsed)
        result.rows_unchanged += unchanged
        rows = _numbered(run_id, payload, fresh)
        if rows:
            result.rows += wh.insert_rows(parsed.table, META_COLUMNS + parsed.columns, rows)
        result.quarantined += quarantine(wh, run_id, parsed.quarantined, payload_id)
    result.payloads_new += 1


def quarantined(wh: Warehouse, run_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """What was quarantined (newest first), optionally for one run, with source, payload and reason."""
    where, params = where_equal({"q.run_id": run_id})
    return wh.query(
        "select q.run_id, q.source, q.payload_id, p.endpoint, q.record_ref, q.reason, q.record, q.quarantined_at"
        f" from raw.quarantine q left join raw.payload p on p.payload_id = q.payload_id {where}"
        f" order by q.quarantined_at desc, q.quarantine_id limit {int(limit)}",
        params,
    )

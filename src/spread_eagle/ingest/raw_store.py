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
from spread_eagle.warehouse import Warehouse

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


def quarantine(
    wh: Warehouse, run_id: str, items: list[QuarantinedRecord], payload_id: str | None
) -> int:
    """Keep what could not be used, with the reason; ids are content-derived so re-runs add nothing."""
    rows = []
    for item in items:
        qid = hashlib.sha256(
            "\x1f".join(
                [item.source, payload_id or "", item.record_ref or "", item.reason, item.record]
            ).encode()
        ).hexdigest()[:32]
        rows.append(
            [
                qid,
                run_id,
                item.source,
                payload_id,
                item.record_ref,
                item.reason,
                item.record,
                datetime.now(UTC),
            ]
        )
        log.warning(
            "quarantined %s record %s: %s", item.source, item.record_ref or "(payload)", item.reason
        )
    # Content-derived ids and `on conflict do nothing`: a re-run, or a concurrent run storing the
    # same record, adds nothing (and never fails on the primary key).
    names = [
        "quarantine_id",
        "run_id",
        "source",
        "payload_id",
        "record_ref",
        "reason",
        "record",
        "quarantined_at",
    ]
    unique = {r[0]: r for r in rows}  # the same record twice in one payload is kept once
    return wh.insert_all(
        "raw.quarantine",
        [dict(zip(names, r, strict=True)) for r in unique.values()],
        ignore_conflicts=True,
    )


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


def store_payloads(
    wh: Warehouse,
    run_id: str,
    payloads: list[Payload],
    parser: Parser,
    result: StoreResult,
    *,
    league: str,
) -> list[ParsedPayload]:
    """Store a fetch's payloads verbatim (each once) and land their parsed rows; returns each
    payload's parse, in order.

    The payloads already stored are found in one query and their sightings written in one insert;
    each new payload is stored with its rows in a transaction of its own. A payload is kept even
    when it is unusable as a whole (it is then quarantined with the reason), so what a source sent
    is never lost. Each sighting records the `league` whose run fetched it (dbt reads only its own
    league's)."""
    if not payloads:
        return []
    ids = sorted({p.payload_id for p in payloads})
    stored = {
        r["payload_id"]
        for r in wh.query(
            f"select payload_id from raw.payload where payload_id in ({', '.join('?' for _ in ids)})",
            ids,
        )
    }
    # Seen at this time already (by this run or a concurrent one): nothing is added.
    wh.insert_all(
        "raw.payload_sighting",
        _sightings(run_id, league, [p for p in payloads if p.payload_id in stored]),
        ignore_conflicts=True,
    )
    out = []
    for payload in payloads:
        parsed = _parse(payload, parser, payload.payload_id in stored)
        if payload.payload_id in stored:
            result.payloads_seen += 1
        else:
            _store_new(wh, run_id, league, payload, parsed, result)
        _tally(result, payload, parsed)
        out.append(parsed)
    return out


def _store_new(
    wh: Warehouse,
    run_id: str,
    league: str,
    payload: Payload,
    parsed: ParsedPayload,
    result: StoreResult,
) -> None:
    """A payload and its parsed rows, in one transaction."""
    payload_id = payload.payload_id
    with wh.transaction():
        wh.insert_all(
            "raw.payload_sighting", _sightings(run_id, league, [payload]), ignore_conflicts=True
        )
        # Two first runs of different dates may fetch the same payload at once: the second insert
        # waits for the first transaction (PostgreSQL) and then stores nothing, and this run
        # treats the payload as already stored (its rows came with it).
        stored = wh.insert_all(
            "raw.payload",
            [
                {
                    "payload_id": payload_id,
                    "source": payload.source,
                    "endpoint": payload.endpoint,
                    "request_params": payload.request_params,
                    "content_type": payload.content_type,
                    "body": payload.body,
                    "content_hash": payload.content_hash,
                    "fetched_at": payload.fetched_at,
                    "run_id": run_id,
                }
            ],
            ignore_conflicts=True,
        )
        if not stored:
            result.payloads_seen += 1
            return
        if payload.http is not None:
            h = payload.http
            wh.insert_rows(
                "raw.http_response",
                [
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
                ],
                [
                    [
                        payload_id,
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
                ],
            )
        fresh, unchanged = _changed_rows(wh, parsed)
        result.rows_unchanged += unchanged
        rows = [
            [payload_id, n, payload.fetched_at, run_id, *row]
            for n, row in enumerate(fresh, start=1)
        ]
        if rows:
            result.rows += wh.insert_rows(parsed.table, META_COLUMNS + parsed.columns, rows)
        result.quarantined += quarantine(wh, run_id, parsed.quarantined, payload_id)
    result.payloads_new += 1


def quarantined(wh: Warehouse, run_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """What was quarantined (newest first), optionally for one run, with source, payload and reason."""
    where, params = ("where q.run_id = ?", [run_id]) if run_id else ("", [])
    return wh.query(
        "select q.run_id, q.source, q.payload_id, p.endpoint, q.record_ref, q.reason, q.record, q.quarantined_at"
        f" from raw.quarantine q left join raw.payload p on p.payload_id = q.payload_id {where}"
        f" order by q.quarantined_at desc, q.quarantine_id limit {int(limit)}",
        params,
    )

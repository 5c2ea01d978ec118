"""Raw storage: append-only, verbatim, deduplicated by content, every row traceable to a run."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
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


def _record_sighting(wh: Warehouse, run_id: str, payload: Payload) -> None:
    """Note that the payload was fetched at `payload.fetched_at` (once per payload and time).

    The body is stored once, at its first fetch; a run whose clock is earlier than that first fetch
    (re-running a date with an earlier --as-of on a warm warehouse) must still see it, so dbt reads
    payloads by their sightings, never by their first fetch alone."""
    wh.insert_all(
        "raw.payload_sighting",
        [{"payload_id": payload.payload_id, "fetched_at": payload.fetched_at, "run_id": run_id}],
        ignore_conflicts=True,  # seen at this time already (by this run or a concurrent one)
    )


def store_payload(
    wh: Warehouse, run_id: str, payload: Payload, parser: Parser, result: StoreResult
) -> ParsedPayload:
    """Store a payload verbatim (once) and land its parsed rows in the same transaction.

    A payload is kept even when it is unusable as a whole (it is then quarantined with the reason),
    so what a source sent is never lost.
    """
    payload_id = payload.payload_id
    parsed = parser(payload)
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
    if wh.scalar("select count(*) from raw.payload where payload_id = ?", (payload_id,)):
        result.payloads_seen += 1
        _record_sighting(wh, run_id, payload)
        return parsed
    with wh.transaction():
        _record_sighting(wh, run_id, payload)
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
            return parsed
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
    return parsed


def quarantined(wh: Warehouse, run_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """What was quarantined (newest first), optionally for one run, with source, payload and reason."""
    where, params = ("where q.run_id = ?", [run_id]) if run_id else ("", [])
    return wh.query(
        "select q.run_id, q.source, q.payload_id, p.endpoint, q.record_ref, q.reason, q.record, q.quarantined_at"
        f" from raw.quarantine q left join raw.payload p on p.payload_id = q.payload_id {where}"
        f" order by q.quarantined_at desc, q.quarantine_id limit {int(limit)}",
        params,
    )

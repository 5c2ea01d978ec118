"""Raw storage: append-only, verbatim, deduplicated by content, every row traceable to a run."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from spread_eagle.ingest.payload import ParsedPayload, Payload, QuarantinedRecord
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
    quarantined: int = 0
    expected_games: list = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "payloads_new": self.payloads_new,
            "payloads_unchanged": self.payloads_seen,
            "rows": self.rows,
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
    if not rows:
        return 0
    existing = {
        r["quarantine_id"]
        for r in wh.query(
            f"select quarantine_id from raw.quarantine where quarantine_id in ({', '.join('?' for _ in rows)})",
            [r[0] for r in rows],
        )
    }
    fresh = [r for r in rows if r[0] not in existing]
    return wh.insert_rows(
        "raw.quarantine",
        [
            "quarantine_id",
            "run_id",
            "source",
            "payload_id",
            "record_ref",
            "reason",
            "record",
            "quarantined_at",
        ],
        fresh,
    )


def store_payload(
    wh: Warehouse, run_id: str, payload: Payload, parser: Parser, result: StoreResult
) -> None:
    """Store a payload verbatim (once) and land its parsed rows in the same transaction."""
    payload_id = payload.payload_id
    parsed = parser(payload)
    result.expected_games.extend(parsed.expected_games)
    if wh.scalar("select count(*) from raw.payload where payload_id = ?", (payload_id,)):
        result.payloads_seen += 1
        return
    with wh.transaction():
        wh.insert_rows(
            "raw.payload",
            [
                "payload_id",
                "source",
                "endpoint",
                "request_params",
                "content_type",
                "body",
                "content_hash",
                "fetched_at",
                "run_id",
            ],
            [
                [
                    payload_id,
                    payload.source,
                    payload.endpoint,
                    payload.request_params,
                    payload.content_type,
                    payload.body,
                    payload.content_hash,
                    payload.fetched_at,
                    run_id,
                ]
            ],
        )
        rows = [
            [payload_id, n, payload.fetched_at, run_id, *row]
            for n, row in enumerate(parsed.rows, start=1)
        ]
        result.rows += wh.insert_rows(parsed.table, META_COLUMNS + parsed.columns, rows)
        result.quarantined += quarantine(wh, run_id, parsed.quarantined, payload_id)
    result.payloads_new += 1

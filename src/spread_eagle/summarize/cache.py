"""Grounded TL;DRs cached in the warehouse (ops.llm_cache) by payload hash, prompt version,
provider and model: a re-run of an unchanged game pays for nothing and writes the same bytes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from spread_eagle.warehouse import Warehouse

_BATCH = 500


class _Cost(Protocol):
    tokens_in: int
    tokens_out: int


def lookup(
    wh: Warehouse, hashes: Sequence[str], prompt_version: str, provider: str, model: str
) -> dict[str, str]:
    """payload hash -> cached TL;DR text, for the hashes that have one."""
    found: dict[str, str] = {}
    for start in range(0, len(hashes), _BATCH):
        batch = list(hashes[start : start + _BATCH])
        rows = wh.query(
            "select payload_hash, tldr_text from ops.llm_cache where prompt_version = ?"
            " and provider = ? and llm_model = ?"
            f" and payload_hash in ({', '.join('?' for _ in batch)})",
            [prompt_version, provider, model, *batch],
        )
        found.update((r["payload_hash"], r["tldr_text"]) for r in rows)
    return found


def store(
    wh: Warehouse,
    entries: Sequence[tuple[str, str, _Cost, str]],
    prompt_version: str,
    provider: str,
    model: str,
) -> None:
    """Cache (payload hash, grounded text, its cost, the run that wrote it) entries, replacing any
    older text."""
    if not entries:
        return
    now = datetime.now(UTC)
    hashes = [payload_hash for payload_hash, _, _, _ in entries]
    for start in range(0, len(hashes), _BATCH):
        batch = hashes[start : start + _BATCH]
        wh.execute(
            "delete from ops.llm_cache where prompt_version = ? and provider = ? and llm_model = ?"
            f" and payload_hash in ({', '.join('?' for _ in batch)})",
            (prompt_version, provider, model, *batch),
        )
    rows: list[list[Any]] = [
        [
            payload_hash,
            prompt_version,
            provider,
            model,
            text,
            cost.tokens_in,
            cost.tokens_out,
            run_id,
            now,
        ]
        for payload_hash, text, cost, run_id in entries
    ]
    wh.insert_rows(
        "ops.llm_cache",
        [
            "payload_hash",
            "prompt_version",
            "provider",
            "llm_model",
            "tldr_text",
            "tokens_in",
            "tokens_out",
            "run_id",
            "created_at",
        ],
        rows,
    )

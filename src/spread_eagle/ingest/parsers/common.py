"""Checks the parsers share: of a JSON API's payload as a whole, times, odds and lines; and of a
games file's row (its required cells, its teams, its numbers), worded alike in every quarantine."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from spread_eagle.ingest.payload import ParsedPayload, Payload, QuarantinedRecord
from spread_eagle.leagues import League

MAX_ABS_SPREAD = 60.0


def csv_reader(
    payload: Payload, parsed: ParsedPayload, required: Sequence[str], what: str
) -> csv.DictReader[str] | None:
    """A CSV payload's rows, or None after rejecting it as a whole: an empty body, or a header
    without the `required` columns (`what` the file should have been, for the reason)."""
    text = payload.body.lstrip("\ufeff")  # a UTF-8 byte-order mark is not part of the header
    if not text.strip():
        parsed.reject(payload.source, "empty body", payload.body)
        return None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        parsed.reject(payload.source, f"not {what}: header lacks {', '.join(missing[:5])}", text)
        return None
    return reader


def csv_rows(
    reader: csv.DictReader[str], parsed: ParsedPayload, source: str
) -> Iterator[tuple[int, dict[str, str], str]]:
    """A games file's rows with their line number and their text; a row with more cells than the
    header is quarantined here, never yielded."""
    for line_no, row in enumerate(reader, start=2):
        raw_line = ",".join(row.get(c) or "" for c in (reader.fieldnames or []))
        if None in row:  # csv.DictReader files the extra cells under the key None
            parsed.quarantined.append(
                QuarantinedRecord(
                    source, "row has more cells than the header", raw_line, f"line {line_no}"
                )
            )
            continue
        yield line_no, row, raw_line


def row_teams_problem(
    row: dict[str, str], league: League, required: Sequence[str], home: str, away: str
) -> str | None:
    """A games-file row without a required cell, or whose teams are unknown or the same team."""
    for name in required:
        if not (row.get(name) or "").strip():
            return f"missing {name}"
    for side in (home, away):
        if league.team_id(row[side]) is None:
            return f"unknown team {row[side]!r} in {side}"
    if league.team_id(row[home]) == league.team_id(row[away]):
        return "home and away are the same team"
    return None


def row_cells_problem(
    row: dict[str, str], names: Sequence[str], check: Callable[[str, str], str | None]
) -> str | None:
    """The first problem `check(name, value)` finds in the filled-in cells of `names`, in order
    (an empty cell is not checked: which cells are required is `row_teams_problem`'s)."""
    for name in names:
        value = (row.get(name) or "").strip()
        if value and (problem := check(name, value)):
            return problem
    return None


def parses(value: str, parse: Callable[[str], object]) -> bool:
    """Whether `parse` takes `value` (does not raise ValueError)."""
    try:
        parse(value)
    except ValueError:
        return False
    return True


def number_problem(name: str, value: str) -> str | None:
    return None if parses(value, float) else f"{name} is not a number: {value!r}"


def row_numbers_problem(row: dict[str, str], numeric: Sequence[str]) -> str | None:
    """The first of `numeric` that is filled in but not a number."""
    return row_cells_problem(row, numeric, number_problem)


def load_json(payload: Payload, parsed: ParsedPayload, expect: type) -> Any | None:
    """The decoded body, or None after rejecting the payload (empty, HTML, truncated, wrong shape)."""
    body = payload.body
    if not body.strip():
        parsed.reject(payload.source, "empty body", body)
        return None
    content_type = (payload.content_type or "").split(";")[0].strip().lower()
    if content_type and "json" not in content_type:
        parsed.reject(
            payload.source,
            f"wrong content type {content_type!r} (expected JSON): {body[:80]!r}",
            body,
        )
        return None
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        parsed.reject(
            payload.source,
            f"truncated or invalid JSON: {exc.msg} at char {exc.pos} of {len(body)}",
            body,
        )
        return None
    if not isinstance(data, expect):
        parsed.reject(
            payload.source,
            f"unexpected JSON shape: a {type(data).__name__}, not a {expect.__name__}",
            body,
        )
        return None
    return data


def parse_time(value: Any) -> datetime:
    """ISO-8601 (with Z or an offset, with or without seconds) or unix seconds -> aware UTC."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        return datetime.fromtimestamp(int(value), UTC)
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    text = value.strip().replace("Z", "+00:00")
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def price_problem(price: Any, odds_format: str) -> str | None:
    """None when `price` is valid odds in `odds_format`; else why not."""
    try:
        value = float(price)
    except (TypeError, ValueError):
        return f"price {price!r} is not a number"
    if odds_format == "decimal":
        return None if value > 1.0 else f"decimal price {price!r} is not above 1.0"
    if value == 0 or -100 < value < 100:
        return f"price {price!r} is not valid American odds (0 or between -100 and +100)"
    return None


def spread_problem(point: Any) -> str | None:
    try:
        value = float(point)
    except (TypeError, ValueError):
        return f"spread point {point!r} is not a number"
    return (
        None
        if abs(value) <= MAX_ABS_SPREAD
        else f"spread {point!r} is outside +/-{MAX_ABS_SPREAD:g}"
    )


def text(value: Any) -> str | None:
    """A JSON scalar as the text we land (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

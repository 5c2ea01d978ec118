"""The Odds API v4: /sports/{sport}/odds into raw.odds_api_outcome, /scores into raw.odds_api_score.

Values are landed as sent (price and point as text, in the requested odds format); times are landed
both as sent and typed (UTC), since the API sends ISO-8601 or unix seconds depending on `dateFormat`.
Team names are landed as sent and resolved through the league's one alias table.

Sign: a spreads outcome's `point` is THAT team's handicap (negative = that team favored); staging
takes the home outcome's point as `spread_home`.
"""

from __future__ import annotations

from typing import Any

from spread_eagle.ingest.parsers.common import (
    load_json,
    parse_time,
    price_problem,
    spread_problem,
    text,
)
from spread_eagle.ingest.payload import ParsedPayload, Payload, QuarantinedRecord
from spread_eagle.leagues import League

ODDS_TABLE = "raw.odds_api_outcome"
ODDS_COLUMNS = [
    "event_id",
    "sport_key",
    "commence_time",
    "commence_at",
    "home_team",
    "away_team",
    "home_team_id",
    "away_team_id",
    "bookmaker_key",
    "bookmaker_last_update",
    "market_key",
    "market_last_update",
    "captured_at",
    "outcome_name",
    "price",
    "point",
    "odds_format",
]
SCORES_TABLE = "raw.odds_api_score"
SCORES_COLUMNS = [
    "event_id",
    "sport_key",
    "commence_time",
    "commence_at",
    "completed",
    "home_team",
    "away_team",
    "home_team_id",
    "away_team_id",
    "home_score",
    "away_score",
    "last_update",
]
MARKETS = ("h2h", "spreads", "totals")
EVENT_FIELDS = ("id", "commence_time", "home_team", "away_team")


def _dump(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)[:4000]


def _event_problem(event: Any, league: League, seen: set[str]) -> str | None:
    if not isinstance(event, dict):
        return f"event is a {type(event).__name__}, not an object"
    for name in EVENT_FIELDS:
        if event.get(name) in (None, ""):
            return f"missing field {name}"
    for side in ("home_team", "away_team"):
        if league.team_id(str(event[side])) is None:
            return f"unknown team {event[side]!r} in {side}"
    try:
        parse_time(event["commence_time"])
    except ValueError:
        return f"bad commence_time {event['commence_time']!r}"
    if event["id"] in seen:
        return f"duplicate event {event['id']}"
    return None


def _market_problem(market: Any, event: dict[str, Any], odds_format: str) -> str | None:
    if not isinstance(market, dict) or market.get("key") not in MARKETS:
        return f"unsupported market {market.get('key') if isinstance(market, dict) else market!r}"
    outcomes = market.get("outcomes")
    if not isinstance(outcomes, list) or not outcomes:
        return "market has no outcomes"
    names = (
        {event["home_team"], event["away_team"]} if market["key"] != "totals" else {"Over", "Under"}
    )
    for outcome in outcomes:
        if not isinstance(outcome, dict) or outcome.get("name") in (None, ""):
            return "outcome without a name"
        if outcome["name"] not in names:
            return f"outcome {outcome['name']!r} is neither side of the event"
        if outcome.get("price") is None:
            return f"missing field price for {outcome['name']!r}"
        problem = price_problem(outcome["price"], odds_format)
        if problem:
            return f"{problem} for {outcome['name']!r}"
        if market["key"] == "spreads":
            problem = spread_problem(outcome.get("point"))
            if problem:
                return f"{problem} for {outcome['name']!r}"
        if market["key"] == "totals":
            try:
                total = float(outcome.get("point"))  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return f"total point {outcome.get('point')!r} is not a number"
            if not 0 < total <= 120:
                return f"total {total:g} is outside (0, 120]"
    return None


def _quarantine_event(
    parsed: ParsedPayload, payload: Payload, problem: str, event: Any, n: int
) -> None:
    """Keep an event that does not parse, named by its id or, lacking one, its position."""
    ref = event.get("id") if isinstance(event, dict) else None
    parsed.quarantined.append(
        QuarantinedRecord(payload.source, problem, _dump(event), str(ref or f"event {n}"))
    )


def parse_odds(payload: Payload, league: League) -> ParsedPayload:
    parsed = ParsedPayload(
        table=ODDS_TABLE,
        columns=list(ODDS_COLUMNS),
        key_columns=["event_id", "bookmaker_key", "market_key", "outcome_name"],
        change_columns=["price", "point"],
    )
    events = load_json(payload, parsed, list)
    if events is None:
        return parsed
    odds_format = str(payload.params.get("oddsFormat", "american"))
    seen: set[str] = set()
    for n, event in enumerate(events):
        problem = _event_problem(event, league, seen)
        if problem:
            _quarantine_event(parsed, payload, problem, event, n)
            continue
        seen.add(event["id"])
        commence_at = parse_time(event["commence_time"])
        home_id, away_id = league.team_id(event["home_team"]), league.team_id(event["away_team"])
        for book in event.get("bookmakers") or []:
            if not isinstance(book, dict) or not book.get("key"):
                parsed.quarantined.append(
                    QuarantinedRecord(
                        payload.source, "bookmaker without a key", _dump(book), event["id"]
                    )
                )
                continue
            for market in book.get("markets") or []:
                problem = _market_problem(market, event, odds_format)
                ref = f"{event['id']}/{book['key']}/{market.get('key') if isinstance(market, dict) else '?'}"
                if problem:
                    parsed.quarantined.append(
                        QuarantinedRecord(payload.source, problem, _dump(market), ref)
                    )
                    continue
                stamp = market.get("last_update") or book.get("last_update")
                try:
                    captured_at = parse_time(stamp) if stamp else payload.fetched_at
                except ValueError:
                    parsed.quarantined.append(
                        QuarantinedRecord(
                            payload.source, f"bad last_update {stamp!r}", _dump(market), ref
                        )
                    )
                    continue
                for outcome in market["outcomes"]:
                    parsed.rows.append(
                        [
                            event["id"],
                            text(event.get("sport_key")),
                            text(event["commence_time"]),
                            commence_at,
                            event["home_team"],
                            event["away_team"],
                            home_id,
                            away_id,
                            book["key"],
                            text(book.get("last_update")),
                            market["key"],
                            text(market.get("last_update")),
                            captured_at,
                            outcome["name"],
                            text(outcome["price"]),
                            text(outcome.get("point")),
                            odds_format,
                        ]
                    )
    return parsed


def parse_scores(payload: Payload, league: League) -> ParsedPayload:
    parsed = ParsedPayload(table=SCORES_TABLE, columns=list(SCORES_COLUMNS))
    events = load_json(payload, parsed, list)
    if events is None:
        return parsed
    seen: set[str] = set()
    for n, event in enumerate(events):
        problem = _event_problem(event, league, seen)
        scores: dict[str, str] = {}
        if problem is None:
            for item in event.get("scores") or []:
                if isinstance(item, dict) and item.get("name") is not None:
                    scores[str(item["name"])] = str(item.get("score"))
            if event.get("completed") is True:
                for side in ("home_team", "away_team"):
                    value = scores.get(event[side])
                    if value is None:
                        problem = f"missing field score for {event[side]!r} of a completed event"
                    elif not value.strip().lstrip("-").isdigit():
                        problem = f"score {value!r} of {event[side]!r} is not a whole number"
        if problem:
            _quarantine_event(parsed, payload, problem, event, n)
            continue
        seen.add(event["id"])
        parsed.rows.append(
            [
                event["id"],
                text(event.get("sport_key")),
                text(event["commence_time"]),
                parse_time(event["commence_time"]),
                text(event.get("completed")),
                event["home_team"],
                event["away_team"],
                league.team_id(event["home_team"]),
                league.team_id(event["away_team"]),
                scores.get(event["home_team"]),
                scores.get(event["away_team"]),
                text(event.get("last_update")),
            ]
        )
    return parsed

"""ESPN's site API scoreboard (`/apis/site/v2/sports/{sport}/scoreboard?dates=YYYYMMDD`) into
raw.espn_event: one row per event, with its status and ESPN's own odds when present.

Landed as sent (text), with the kickoff typed (UTC) and both teams resolved through the league's one
alias table. ESPN `spread` is the HOME team's handicap (negative = home favored): the same sign as
our `spread_home`, kept as sent here and renamed in staging. Only events whose status is final
become results (staging decides that from `status_name`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from spread_eagle.ingest.parsers.common import (
    load_json,
    parse_time,
    price_problem,
    spread_problem,
    text,
)
from spread_eagle.ingest.payload import ExpectedGame, ParsedPayload, Payload, QuarantinedRecord
from spread_eagle.leagues import League

TABLE = "raw.espn_event"
COLUMNS = [
    "event_id",
    "event_date",
    "kickoff_at",
    "season_year",
    "season_type",
    "week",
    "status_name",
    "status_state",
    "status_completed",
    "neutral_site",
    "home_team_abbr",
    "home_team_name",
    "away_team_abbr",
    "away_team_name",
    "home_team_id",
    "away_team_id",
    "home_score",
    "away_score",
    "odds_provider",
    "odds_details",
    "odds_spread",
    "odds_over_under",
    "home_moneyline",
    "away_moneyline",
]
# ESPN status names -> ours (fct__game.status); anything else is quarantined, never guessed.
STATUSES = {
    "STATUS_SCHEDULED": "scheduled",
    "STATUS_IN_PROGRESS": "in_progress",
    "STATUS_HALFTIME": "in_progress",
    "STATUS_END_PERIOD": "in_progress",
    "STATUS_END_OF_REGULATION": "in_progress",
    "STATUS_OVERTIME": "in_progress",
    "STATUS_DELAYED": "in_progress",
    "STATUS_RAIN_DELAY": "in_progress",
    "STATUS_FINAL": "final",
    "STATUS_FINAL_OVERTIME": "final",
    "STATUS_FINAL_OT": "final",
    "STATUS_POSTPONED": "postponed",
    "STATUS_CANCELED": "cancelled",
    "STATUS_CANCELLED": "cancelled",
}


def _get(data: Any, *path: Any) -> Any:
    for key in path:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def _team(competitor: dict[str, Any], league: League) -> tuple[str | None, str | None, str | None]:
    abbr, name = _get(competitor, "team", "abbreviation"), _get(competitor, "team", "displayName")
    team_id = league.team_id(abbr) or league.team_id(name)
    return abbr, name, team_id


def _row(event: dict[str, Any], league: League) -> tuple[list[Any] | None, str | None]:
    for name in ("id", "date"):
        if event.get(name) in (None, ""):
            return None, f"missing field {name}"
    competitors = _get(event, "competitions", 0, "competitors")
    if not isinstance(competitors, list):
        return None, "missing field competitions[0].competitors"
    sides = {c.get("homeAway"): c for c in competitors if isinstance(c, dict)}
    if set(sides) != {"home", "away"}:
        return None, "competitors are not one home and one away team"
    home, away = _team(sides["home"], league), _team(sides["away"], league)
    for label, team in (("home", home), ("away", away)):
        if team[2] is None:
            return None, f"unknown team {team[1] or team[0]!r} ({label})"
    status = _get(event, "status", "type", "name") or _get(
        event, "competitions", 0, "status", "type", "name"
    )
    if status not in STATUSES:
        return None, f"unknown status {status!r}"
    try:
        kickoff = parse_time(event["date"])
    except ValueError:
        return None, f"bad date {event['date']!r}"
    odds = _get(event, "competitions", 0, "odds", 0) or {}
    spread = odds.get("spread")
    if spread is not None and spread_problem(spread):
        return None, f"ESPN odds: {spread_problem(spread)}"
    moneylines = [_get(odds, f"{side}TeamOdds", "moneyLine") for side in ("home", "away")]
    for value in moneylines:
        if value is not None and price_problem(value, "american"):
            return None, f"ESPN odds: {price_problem(value, 'american')}"
    return [
        event["id"],
        text(event["date"]),
        kickoff,
        text(_get(event, "season", "year")),
        text(_get(event, "season", "type")),
        text(_get(event, "week", "number")),
        status,
        text(_get(event, "status", "type", "state")),
        text(_get(event, "status", "type", "completed")),
        text(_get(event, "competitions", 0, "neutralSite")),
        home[0],
        home[1],
        away[0],
        away[1],
        home[2],
        away[2],
        text(sides["home"].get("score")),
        text(sides["away"].get("score")),
        text(_get(odds, "provider", "name")),
        text(odds.get("details")),
        text(spread),
        text(odds.get("overUnder")),
        text(moneylines[0]),
        text(moneylines[1]),
    ], None


def parse_scoreboard(
    payload: Payload, league: League, on_date: date | None = None
) -> ParsedPayload:
    """`on_date`: the league-local date the schedule is for (its events become expected games)."""
    parsed = ParsedPayload(table=TABLE, columns=list(COLUMNS))
    data = load_json(payload, parsed, dict)
    if data is None:
        return parsed
    events = data.get("events")
    if not isinstance(events, list):
        return parsed.reject(payload.source, "missing field events", payload.body)
    seen: set[str] = set()
    for n, event in enumerate(events):
        row, problem = (
            _row(event, league) if isinstance(event, dict) else (None, "event is not an object")
        )
        ref = str(event.get("id") or f"event {n}") if isinstance(event, dict) else f"event {n}"
        if row is not None and row[0] in seen:
            problem, row = f"duplicate event {row[0]}", None
        if row is None:
            parsed.quarantined.append(
                QuarantinedRecord(
                    payload.source, problem or "unusable", json.dumps(event)[:4000], ref
                )
            )
            continue
        seen.add(row[0])
        parsed.rows.append(row)
        kickoff = row[2]
        if on_date is not None and kickoff.astimezone(league.tz).date() == on_date:
            parsed.expected_games.append(ExpectedGame(payload.source, row[14], row[15], kickoff))
    return parsed

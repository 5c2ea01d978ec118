"""The retrieval payload of one game: every fact a TL;DR may state, and nothing else.

Read from the warehouse as it stood before kickoff: the market's lines (open, current, best;
never the close or anything later), the model's numbers of this run, each team's form and season
to date from games final before kickoff, rest, and the last meetings of the two teams. The game's
own score and status are never read. Bump PAYLOAD_VERSION when the document's shape changes.
"""

from __future__ import annotations

import hashlib
import json
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from spread_eagle.leagues import League
from spread_eagle.warehouse import Warehouse

PAYLOAD_VERSION = 3  # 3: every model's numbers, starting quarterbacks and coaches
MEETINGS = 5


def _r(value: Any, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _market_line(features: dict[str, Any], line: str, move: str, **best: str) -> dict[str, Any]:
    """One line of the market: open, current, the best of each side and how far it moved."""
    return {
        "open": _r(features.get(f"{line}_open")),
        "current": _r(features.get(f"{line}_current")),
        **{side: _r(features.get(column)) for side, column in best.items()},
        "move": _r(features.get(move)),
    }


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _season_to_date(team: str, games: list[dict[str, Any]]) -> dict[str, Any]:
    """Straight-up and against-the-spread (closing line) record of the team's final games."""
    wins = losses = ties = covers = fails = pushes = points_for = points_against = 0
    results = []
    for g in games:
        home = g["home_team_id"] == team
        scored, allowed = (
            (g["home_score"], g["away_score"]) if home else (g["away_score"], g["home_score"])
        )
        points_for, points_against = points_for + scored, points_against + allowed
        outcome = "W" if scored > allowed else "L" if scored < allowed else "T"
        wins, losses, ties = (
            wins + (outcome == "W"),
            losses + (outcome == "L"),
            ties + (outcome == "T"),
        )
        results.append(outcome)
        if g["spread_home_close"] is not None:
            line = g["spread_home_close"] if home else -g["spread_home_close"]
            cover = scored - allowed + line
            covers, fails, pushes = covers + (cover > 0), fails + (cover < 0), pushes + (cover == 0)
    played = len(games)
    return {
        "games": played,
        "wins": wins,
        "losses": losses,
        "ties": ties,
        "points_for": _r(points_for / played) if played else None,
        "points_against": _r(points_against / played) if played else None,
        "ats": {"w": covers, "l": fails, "p": pushes},
        "last_results": "".join(results[-5:]) or None,
    }


def _team(
    side: str, f: dict[str, Any], games: list[dict[str, Any]], names: dict[str, str]
) -> dict[str, Any]:
    team = f[f"{side}_team_id"]
    return {
        "team": team,
        "name": names.get(team),
        "rest_days": _int(f.get(f"{side}_rest_days")),
        "season": _season_to_date(team, games),
        "last_n": {
            "games": _int(f.get(f"{side}_games_last_n")),
            "points_for": _r(f.get(f"{side}_points_for_last_n")),
            "points_against": _r(f.get(f"{side}_points_against_last_n")),
            "ats_cover_rate": _r(f.get(f"{side}_ats_cover_rate_last_n"), 2),
        },
    }


def _local(kickoff: datetime, league: League) -> str:
    local = kickoff.astimezone(league.tz)
    return f"{local:%a %b} {local.day}, {local:%I:%M %p %Z}".replace(" 0", " ")


def _model(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": p.get("model"),
        "model_version": p.get("model_version"),
        "margin_home": _r(p.get("margin_home")),
        "total": _r(p.get("total")),
        "p_home_win": _r(p.get("p_home_win"), 3),
        "p_home_cover": _r(p.get("p_home_cover"), 3),
        "p_over": _r(p.get("p_over"), 3),
        "edge": _r(p.get("edge"), 3),
        "play": p.get("play"),
    }


def _people(side: str, game: dict[str, Any]) -> dict[str, Any]:
    """The side's starting quarterback and head coach, where the source names them (nflverse)."""
    found = {"quarterback": game.get(f"{side}_qb_name"), "coach": game.get(f"{side}_coach")}
    return {k: v for k, v in found.items() if v}


def build_payload(
    features: dict[str, Any],
    prediction: dict[str, Any],
    league: League,
    venue: dict[str, Any] | None = None,
    team_games: dict[str, list[dict[str, Any]]] | None = None,
    meetings: list[dict[str, Any]] | None = None,
    models: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The payload from rows already read (see `retrieve`): pure, so tests need no warehouse.
    `prediction` is the headline model's (what a TL;DR says); `models` every configured model's."""
    names = league.names
    kickoff: datetime = features["kickoff_at"]
    team_games = team_games or {}
    home, away = features["home_team_id"], features["away_team_id"]
    venue = venue or {}
    series: dict[str, int] = {home: 0, away: 0, "ties": 0}
    for m in meetings or []:
        diff = m["home_score"] - m["away_score"]
        if diff == 0:
            series["ties"] += 1
        else:
            series[m["home_team_id"] if diff > 0 else m["away_team_id"]] += 1
    return {
        "payload_version": PAYLOAD_VERSION,
        "game": {
            "game_id": features["game_id"],
            "league": league.league,
            "season": _int(features.get("season")),
            "week": _int(features.get("week")),
            "home_team": home,
            "away_team": away,
            "kickoff_at": kickoff.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "kickoff_local": _local(kickoff, league),
            "neutral_site": bool(features["is_neutral_site"]),
            "divisional": bool(features["is_divisional"]),
            "playoff": bool(features["is_playoff"]),
        },
        "venue": {
            k: v
            for k, v in {
                "stadium": venue.get("stadium_name"),
                "roof": venue.get("roof"),
                "surface": venue.get("surface"),
                "temperature_f": _int(venue.get("temperature_f")),
                "wind_mph": _int(venue.get("wind_mph")),
            }.items()
            if v is not None
        },
        "market": {
            "spread": _market_line(
                features,
                "spread_home",
                "spread_move",
                best_home="spread_home_best",
                best_away="spread_away_best",
            ),
            "total": _market_line(
                features,
                "total",
                "total_move",
                best_over="total_over_best",
                best_under="total_under_best",
            ),
            "moneyline_home": _int(features.get("moneyline_home_current")),
            "moneyline_away": _int(features.get("moneyline_away_current")),
            "p_home_vigfree": _r(features.get("p_home_vigfree"), 3),
            "books": _int(features.get("books")),
        },
        "model": _model(prediction),
        "models": [_model(p) for p in sorted(models or [], key=lambda p: str(p.get("model")))],
        "teams": {
            side: {
                **_team(side, features, team_games.get(team, []), names),
                **_people(side, venue),
            }
            for side, team in (("home", home), ("away", away))
        },
        "meetings": [
            {
                "season": _int(m["season"]),
                "game_date": str(m["game_date"]),
                "home_team": m["home_team_id"],
                "away_team": m["away_team_id"],
                "home_score": _int(m["home_score"]),
                "away_score": _int(m["away_score"]),
            }
            for m in meetings or []
        ],
        "series": series if meetings else {},
    }


def retrieve(
    wh: Warehouse,
    league: League,
    games: Sequence[tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]],
) -> list[dict[str, Any]]:
    """The payloads of many games (a slate; a backfill's batch; a season in tests), each from what
    was final before its own kickoff. `games`: (features, headline prediction, every model's prediction) per game.

    Two reads, however many games: their facts, and every final game before the latest kickoff,
    filtered here per game (four queries a game took ~10 s for a season, ~0.2 s this way)."""
    if not games:
        return []
    ids = [f["game_id"] for f, _, _ in games]
    venues = {
        r["game_id"]: r
        for r in wh.query(
            "select game_id, stadium_name, roof, surface, temperature_f, wind_mph, home_qb_name,"
            f" away_qb_name, home_coach, away_coach from {league.schema('facts')}.fct__game"
            f" where game_id in ({', '.join('?' for _ in ids)})",
            ids,
        )
    }
    finals = wh.query(
        "select g.game_id, g.season, g.game_date, g.kickoff_at, g.home_team_id, g.away_team_id,"
        f" g.home_score, g.away_score, l.spread_home_close from {league.schema('facts')}.fct__game g"
        f" left join {league.schema('facts')}.fct__game_line l on l.game_id = g.game_id"
        " where g.league_id = ? and g.status = 'final' and g.kickoff_at < ?"
        " order by g.kickoff_at, g.game_id",
        (league.league, max(f["kickoff_at"] for f, _, _ in games)),
    )
    # The finals by season and by pair of teams, each in the finals' order: a game's share is the
    # part of its list before its kickoff (a batch's thousands of games never rescan the history).
    seasons: dict[Any, list[dict[str, Any]]] = {}
    pairs: dict[frozenset[str], list[dict[str, Any]]] = {}
    for g in finals:
        seasons.setdefault(g["season"], []).append(g)
        pairs.setdefault(frozenset((g["home_team_id"], g["away_team_id"])), []).append(g)

    def before(listed: list[dict[str, Any]], kickoff: datetime) -> list[dict[str, Any]]:
        return listed[: bisect_left(listed, kickoff, key=lambda g: g["kickoff_at"])]

    payloads = []
    for features, prediction, models in games:
        home, away = features["home_team_id"], features["away_team_id"]
        kickoff = features["kickoff_at"]
        season = before(seasons.get(features["season"], []), kickoff)
        team_games = {
            team: [g for g in season if team in (g["home_team_id"], g["away_team_id"])]
            for team in (home, away)
        }
        pair = before(pairs.get(frozenset((home, away)), []), kickoff)
        # newest first; a stable sort keeps game_id order among equal kickoffs
        meetings = sorted(pair, key=lambda g: g["kickoff_at"], reverse=True)[:MEETINGS]
        payloads.append(
            build_payload(
                features,
                prediction,
                league,
                venues.get(features["game_id"]),
                team_games,
                meetings,
                models,
            )
        )
    return payloads


def context_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def context_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(context_json(payload).encode()).hexdigest()


def stored_payload(wh: Warehouse, game_id: str, day: date | None = None) -> list[dict[str, Any]]:
    """The payload stored beside a game's TL;DR: the date's validated run's, else the newest."""
    sql = (
        "select t.context_json, t.tldr_text from outputs.game_tldr t"
        " left join outputs.validated_run v on v.run_id = t.run_id"
        " where t.game_id = ?"
    )
    params: list[object] = [game_id]
    if day is not None:
        sql += " and t.run_date = ?"
        params.append(day)
    order = (
        " order by case when v.run_id is null then 1 else 0 end, t.generated_at desc, t.run_id desc"
    )
    return wh.query(sql + order + " limit 1", params)

"""What the templates show, derived from the published documents (pure functions, no I/O)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from spread_eagle.odds import format_line
from spread_eagle.web import charts


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def local_kickoff(kickoff_at: str | None, tz: ZoneInfo) -> str:
    """'2024-11-24T18:00:00Z' -> '1:00 PM EST' in the league's time zone."""
    if not kickoff_at:
        return "TBD"
    local = parse_ts(kickoff_at).astimezone(tz)
    return f"{local.strftime('%I:%M %p').lstrip('0')} {local.strftime('%Z')}"


def long_date(day: str) -> str:
    return datetime.fromisoformat(day).strftime("%A, %B %-d, %Y")


def book_line(team: str, handicap: float | None) -> str:
    """A team's handicap as a sportsbook prints it: 'CAR +11', 'KC -3.5', 'BUF pk'."""
    return "off the board" if handicap is None else f"{team} {format_line(handicap)}"


def american(odds: int | None) -> str:
    if odds is None:
        return "-"
    return f"+{odds}" if odds > 0 else str(odds)


def pct(p: float | None) -> str:
    return "-" if p is None else f"{p * 100:.0f}%"


def stake(share: float | None) -> str:
    """The fractional-Kelly stake as a share of bankroll: 0.02 -> '2.0% of bankroll'."""
    return "-" if share is None else f"{share * 100:.1f}% of bankroll"


def lean(prediction: dict[str, Any], home: str, away: str) -> str:
    margin = prediction.get("margin_home")
    if margin is None:
        return "-"
    if margin == 0:
        return "even"
    return f"{home if margin > 0 else away} by {abs(margin):.1f}"


def record(detail: dict[str, Any] | None, side: str) -> str:
    """'9-1' from the TL;DR's payload (the season record before this game), '' when unknown."""
    payload = (detail or {}).get("tldr_context") or {}
    season = ((payload.get("teams") or {}).get(side) or {}).get("season") or {}
    wins, losses = season.get("wins"), season.get("losses")
    return "" if wins is None or losses is None else f"{wins}-{losses}"


def latest_by_book(
    detail: dict[str, Any] | None,
) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """{(market, side): {book: newest snapshot}} from the published line history."""
    out: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for s in (detail or {}).get("line_history", []):
        seen = out[(s["market"], s["side"])].get(s["book"])
        if seen is None or s["captured_at"] >= seen["captured_at"]:
            out[(s["market"], s["side"])][s["book"]] = s
    return out


def best_lines(detail: dict[str, Any] | None, home: str, away: str) -> list[str]:
    """The best number for each side across books: most points taken, best price."""
    latest = latest_by_book(detail)
    found = []
    for (market, side), label, key in (
        (("spreads", "home"), home, "line"),
        (("spreads", "away"), away, "line"),
        (("h2h", "home"), f"{home} ML", "price"),
        (("h2h", "away"), f"{away} ML", "price"),
    ):
        books = [s for s in latest.get((market, side), {}).values() if s[key] is not None]
        if not books:
            continue
        best = max(books, key=lambda s: s[key])
        shown = (
            book_line(label, best["line"])
            if key == "line"
            else f"{label} {american(best['price'])}"
        )
        found.append(f"{shown} ({best['book']})")
    return found


def spread_path(game: dict[str, Any], detail: dict[str, Any] | None) -> list[float]:
    """The home spread from the opener through every published capture to the current line."""
    market = game["market"]
    by_time: dict[str, list[float]] = defaultdict(list)
    for s in (detail or {}).get("line_history", []):
        if s["market"] == "spreads" and s["side"] == "home" and s["line"] is not None:
            by_time[s["captured_at"]].append(s["line"])
    path = [sum(v) / len(v) for _, v in sorted(by_time.items())]
    if market.get("open_spread_home") is not None:
        path.insert(0, market["open_spread_home"])
    if market.get("spread_home") is not None and (not path or path[-1] != market["spread_home"]):
        path.append(market["spread_home"])
    return path


def movement(game: dict[str, Any], detail: dict[str, Any] | None) -> Markup:
    home, market = game["home_team"], game["market"]
    path = spread_path(game, detail)
    label = (
        f"{home} spread: open {book_line(home, market.get('open_spread_home'))}, "
        f"now {book_line(home, market.get('spread_home'))}"
    )
    return charts.sparkline(path, label)


def grading(game: dict[str, Any]) -> dict[str, str] | None:
    """How the line, the total and each play graded once the game is final."""
    result = game.get("result")
    if result is None:
        return None
    home, away, market = game["home_team"], game["away_team"], game["market"]
    covered = result["home_covered"]
    line = "push" if covered is None else f"{home if covered else away} covered"
    if market.get("spread_home") is not None:
        line += f" ({book_line(home, market['spread_home'])})"
    points = result["home_score"] + result["away_score"]
    total = ""
    if market.get("total") is not None:
        total = (
            "push"
            if points == market["total"]
            else f"{'over' if points > market['total'] else 'under'} {market['total']:g} ({points})"
        )
    plays = {}
    for p in game["predictions"]:
        play = p.get("play")
        if not play:
            continue
        team = play.split(" ", 1)[0]
        if covered is None:
            plays[p["model"]] = f"{play}: push"
        elif team in (home, away):
            won = (team == home) == covered
            plays[p["model"]] = f"{play}: {'won' if won else 'lost'}"
    return {"line": line, "total": total, **{f"play:{k}": v for k, v in plays.items()}}


def history_series(
    detail: dict[str, Any], market: str, side: str
) -> dict[str, list[tuple[datetime, float]]]:
    series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for s in detail.get("line_history", []):
        if s["market"] == market and s["side"] == side and s["line"] is not None:
            series[s["book"]].append((parse_ts(s["captured_at"]), s["line"]))
    return dict(series)


def flatten(payload: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """A nested payload as (dotted key, value) rows, for a readable table."""
    if isinstance(payload, dict):
        rows: list[tuple[str, Any]] = []
        for key, value in payload.items():
            rows.extend(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if isinstance(payload, list):
        return [(prefix, ", ".join(str(v) for v in payload))]
    return [(prefix, "-" if payload is None else payload)]

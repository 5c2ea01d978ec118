"""Slate pages: `/` (the newest published date), `/slates/{date}` and the list at `/slates`."""

from __future__ import annotations

from datetime import date, datetime
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from spread_eagle.leagues import League
from spread_eagle.publish.documents import GameNotFoundError
from spread_eagle.publish.slate import SlateNotFoundError
from spread_eagle.web import views
from spread_eagle.web.state import Web, WebDep, parse_day

router = APIRouter(include_in_schema=False)
LeagueQuery = Annotated[str | None, Query()]


def card(game: dict[str, Any], detail: dict[str, Any] | None, league: League) -> dict[str, Any]:
    """One game card's values, as the template shows them."""
    home, away, market = game["home_team"], game["away_team"], game["market"]
    tldr = game.get("tldr") or {}
    return {
        "game": game,
        "home_record": views.record(detail, "home"),
        "away_record": views.record(detail, "away"),
        "kickoff": views.local_kickoff(game["kickoff_at"], league.tz),
        "spread": views.book_line(home, market["spread_home"]),
        "open": views.book_line(home, market.get("open_spread_home")),
        "moved": market.get("open_spread_home") != market["spread_home"],
        "total": "-" if market["total"] is None else f"{market['total']:g}",
        "ml_away": views.american(market["moneyline_away"]),
        "ml_home": views.american(market["moneyline_home"]),
        "best": views.best_lines(detail, home, away),
        "spark": views.movement(game, detail),
        "predictions": [
            {
                **p,
                "lean": views.lean(p, home, away),
                "p_home_win": views.pct(p["p_home_win"]),
                "p_home_cover": views.pct(p["p_home_cover"]),
                "p_over": views.pct(p["p_over"]),
                "edge_text": "-" if p["edge"] is None else f"{p['edge'] * 100:+.1f}%",
                "stake_text": views.stake(p.get("stake")),  # absent from early publications
            }
            for p in game["predictions"]
        ],
        "tldr": tldr.get("text") or "",
        "grading": views.grading(game),
    }


def _neighbours(dates: list[str], day: str) -> tuple[str | None, str | None]:
    older = [d for d in dates if d < day]
    newer = [d for d in dates if d > day]
    return (max(older) if older else None), (min(newer) if newer else None)


def slate_page(web: Web, league: League, day: date | None) -> Response:
    _, index = web.reader.index(league.league)
    dates = sorted(s["date"] for s in index)
    if day is None and not dates:
        html = web.render("slates.html", league=league.league, slates=[], title="Slates")
        return HTMLResponse(html)
    day = day or date.fromisoformat(dates[-1])
    older, newer = _neighbours(dates, day.isoformat())
    picker = {"day": day.isoformat(), "dates": dates, "older": older, "newer": newer}
    try:
        slate = web.reader.slate(league.league, day)
    except SlateNotFoundError as exc:
        today = datetime.now(league.tz).date()
        message = (
            f"{day} is in the future: its slate is published by the daily run on that day."
            if day > today
            else str(exc)
        )
        html = web.render(
            "missing.html", league=league.league, message=message, picker=picker, title=str(day)
        )
        return HTMLResponse(html, HTTPStatus.NOT_FOUND)

    def build() -> str:
        cards = []
        for game in slate.doc["games"]:
            try:
                detail: dict[str, Any] | None = web.reader.game(league.league, game["game_id"])
            except GameNotFoundError:
                detail = None  # published before game details existed
            if detail is not None and detail.get("date") != slate.doc["date"]:
                detail = None
            cards.append(card(game, detail, league))
        return web.render(
            "slate.html",
            doc=slate.doc,
            cards=cards,
            league=league.league,
            tz=str(league.tz),
            long_date=views.long_date(slate.doc["date"]),
            picker=picker,
            title=f"{league.league.upper()} slate {slate.doc['date']}",
        )

    return web.page(build)


@router.get("/")
async def home(web: WebDep, league: LeagueQuery = None) -> Response:
    return await web.call(slate_page, web, web.league(league), None)


@router.get("/slates")
def slate_list(
    web: WebDep, date: Annotated[str | None, Query()] = None, league: LeagueQuery = None
) -> Response:
    """The date picker submits here; without a date, the list of published slates."""
    found = web.league(league)
    if date:
        day = parse_day(date)
        return RedirectResponse(f"/slates/{day.isoformat()}?league={found.league}", 303)
    _, index = web.reader.index(found.league)
    return HTMLResponse(
        web.render("slates.html", league=found.league, slates=index, title="Slates")
    )


@router.get("/slates/{day}")
async def slate(day: str, web: WebDep, league: LeagueQuery = None) -> Response:
    return await web.call(slate_page, web, web.league(league), parse_day(day))

"""The game page: line history by book, the TL;DR and the payload behind it, the predictions
with their model_version, and the run that published it."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from spread_eagle.publish.documents import GameNotFoundError
from spread_eagle.web import charts, views
from spread_eagle.web.routers.slates import card
from spread_eagle.web.state import WebDep, WebError

router = APIRouter(include_in_schema=False)


@router.get("/games/{game_id}")
def game_page(game_id: str, web: WebDep, league: Annotated[str | None, Query()] = None) -> Response:
    found = web.league(league)
    try:
        detail = web.reader.game(found.league, game_id)
    except GameNotFoundError as exc:
        raise WebError(HTTPStatus.NOT_FOUND, str(exc)) from None
    game = detail["card"]
    home = game["home_team"]
    spread = charts.history_chart(
        views.history_series(detail, "spreads", "home"),
        f"{home} spread by book",
        opener=game["market"].get("open_spread_home"),
    )
    total = charts.history_chart(
        views.history_series(detail, "totals", "over"),
        "Total by book",
        opener=game["market"].get("open_total"),
    )
    c = card(game, detail, found)
    html = web.render(
        "game.html",
        detail=detail,
        c=c,
        stakes={p["model"]: p["stake_text"] for p in c["predictions"]},  # on the card only
        league=found.league,
        spread_chart=spread,
        total_chart=total,
        context_rows=views.flatten(detail.get("tldr_context") or {}),
        history=sorted(
            detail["line_history"], key=lambda s: (s["captured_at"], s["book"], s["market"])
        ),
        title=f"{game['away_team']} @ {home}",
    )
    return HTMLResponse(html)

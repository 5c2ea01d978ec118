"""HTML pages of the web UI, rendered from the published slate documents (pure functions).

Every value that came from data goes through `html.escape`; the page has its CSS inline and loads
nothing from anywhere else.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from spread_eagle.odds import format_line


def _css() -> str:
    return (resources.files("spread_eagle.web") / "static" / "style.css").read_text(
        encoding="utf-8"
    )


def page(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_css()}</style></head>\n"
        f'<body><header class="top"><a class="brand" href="/">Spread Eagle</a></header>\n'
        f"<main>{body}</main></body></html>\n"
    )


def local_kickoff(kickoff_at: str | None, tz: ZoneInfo) -> str:
    """'2024-11-24T18:00:00Z' -> '1:00 PM EST' in the league's time zone."""
    if not kickoff_at:
        return "TBD"
    local = datetime.fromisoformat(kickoff_at.replace("Z", "+00:00")).astimezone(tz)
    return f"{local.strftime('%I:%M %p').lstrip('0')} {local.strftime('%Z')}"


def book_line(team: str, handicap: float | None) -> str:
    """A team's handicap as a sportsbook prints it: 'CAR +11', 'KC -3.5', 'BUF pk'."""
    return "off the board" if handicap is None else f"{team} {format_line(handicap)}"


def american(odds: int | None) -> str:
    if odds is None:
        return "-"
    return f"+{odds}" if odds > 0 else str(odds)


def _prediction_html(game: dict[str, Any]) -> str:
    if not game["predictions"]:
        return '<p class="muted">No prediction.</p>'
    home, away = game["home_team"], game["away_team"]
    rows = []
    for p in game["predictions"]:
        margin = p["margin_home"]
        if margin is None:
            lean = "-"
        elif margin == 0:
            lean = "even"
        else:
            lean = f"{home if margin > 0 else away} by {abs(margin):.1f}"
        win = "" if p["p_home_win"] is None else f"{home} wins {p['p_home_win'] * 100:.0f}%"
        total = "" if p["total"] is None else f"total {p['total']:.1f}"
        play = p["play"]
        play_html = (
            f'<span class="play">Play: {escape(play)}</span>'
            if play
            else '<span class="noplay">No play</span>'
        )
        edge = (
            ""
            if p["edge"] is None
            else f' <span class="muted">· edge {p["edge"] * 100:+.1f}%</span>'
        )
        rows.append(
            f'<div class="model"><div><span class="label">{escape(p["model"])}</span> '
            f"{escape(lean)} · {escape(total)} · {escape(win)}</div>"
            f"<div>{play_html}{edge}</div>"
            f'<div class="version">{escape(p["model_version"])}</div></div>'
        )
    return "".join(rows)


def _result_html(game: dict[str, Any]) -> str:
    result = game["result"]
    if result is None:
        return f'<p class="status">{escape(game["status"])}</p>'
    home, away = game["home_team"], game["away_team"]
    covered = result["home_covered"]
    ats = "push" if covered is None else f"{home if covered else away} covered"
    return (
        f'<p class="result"><strong>Final: {escape(away)} {result["away_score"]} - '
        f"{result['home_score']} {escape(home)}</strong> · {escape(ats)}</p>"
    )


def game_card(game: dict[str, Any], tz: ZoneInfo) -> str:
    home, away = game["home_team"], game["away_team"]
    market = game["market"]
    sep = "vs" if game.get("neutral_site") else "@"
    total = "-" if market["total"] is None else f"{market['total']:g}"
    opener = ""
    if (
        market.get("open_spread_home") is not None
        and market["open_spread_home"] != market["spread_home"]
    ):
        opener = f' <span class="muted">(open {escape(book_line(home, market["open_spread_home"]))})</span>'
    neutral = ' <span class="tag">neutral site</span>' if game.get("neutral_site") else ""
    tldr = game["tldr"]["text"] if game.get("tldr") else ""
    return f"""<article class="game" id="{escape(game["game_id"])}">
<div class="head"><h2>{escape(away)} {sep} {escape(home)}{neutral}</h2>
<time datetime="{escape(game["kickoff_at"] or "")}">{escape(local_kickoff(game["kickoff_at"], tz))}</time></div>
<dl class="market">
<div><dt>Spread</dt><dd class="line">{escape(book_line(home, market["spread_home"]))}{opener}</dd></div>
<div><dt>Total</dt><dd>O/U {escape(total)}</dd></div>
<div><dt>Moneyline</dt><dd><span class="nw">{escape(away)} {escape(american(market["moneyline_away"]))}</span> · <span class="nw">{escape(home)} {escape(american(market["moneyline_home"]))}</span></dd></div>
</dl>
{_prediction_html(game)}
<p class="tldr">{escape(tldr)}</p>
{_result_html(game)}
</article>"""


def slate_page(doc: dict[str, Any], tz: ZoneInfo) -> str:
    day = datetime.fromisoformat(doc["date"]).strftime("%A, %B %-d, %Y")
    league = doc["league"].upper()
    games = doc["games"]
    cards = (
        "\n".join(game_card(g, tz) for g in games) or '<p class="muted">No games on this date.</p>'
    )
    body = (
        f'<p class="crumbs"><a href="/">All slates</a> · <a href="/api/slates/{escape(doc["date"])}'
        f'?league={escape(doc["league"])}">JSON</a></p>'
        f"<h1>{escape(league)} · {escape(day)}</h1>"
        f'<p class="muted">{len(games)} game{"s" if len(games) != 1 else ""} · kickoffs in {escape(str(tz))} time · '
        f"published {escape(doc['published_at'] or '')} by run {escape(doc['run_id'])}. "
        "Lines are the home team's handicap as a book prints it (CAR +11 = CAR getting 11).</p>"
        f'<section class="games">{cards}</section>'
    )
    return page(f"{league} slate {doc['date']} - Spread Eagle", body)


def index_page(slates: list[dict[str, Any]], league: str) -> str:
    if slates:
        items = "\n".join(
            f'<li><a href="/slates/{escape(s["date"])}?league={escape(s["league"])}">'
            f"{escape(datetime.fromisoformat(s['date']).strftime('%a %b %-d, %Y'))}</a>"
            f' <span class="muted">{s["games"]} game{"s" if s["games"] != 1 else ""} · '
            f"published {escape(s['published_at'] or '')}</span></li>"
            for s in slates
        )
        listing = f'<ul class="slates">{items}</ul>'
    else:
        listing = (
            '<p class="muted">No slate is published yet. Run <code>spread-eagle run-daily --date D</code> '
            "(or <code>spread-eagle demo</code>) and reload.</p>"
        )
    body = f"<h1>{escape(league.upper())} slates</h1>{listing}"
    return page(f"{league.upper()} slates - Spread Eagle", body)


def error_page(status: int, message: str) -> str:
    body = (
        f'<h1>{status}</h1><p class="error">{escape(message)}</p><p><a href="/">All slates</a></p>'
    )
    return page(f"{status} - Spread Eagle", body)

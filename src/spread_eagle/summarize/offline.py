"""The default TL;DR writer: deterministic sentences from the payload. No key, no network.

Each sentence has a few phrasings; which one a game gets is chosen from the payload's hash, so a
slate does not read like a form letter and a re-run writes the same bytes. Every number is
written next to the words the grounding gate reads it by ("favorites", "total", "to cover").
"""

from __future__ import annotations

from typing import Any

from spread_eagle.odds import format_line
from spread_eagle.summarize.context import context_hash
from spread_eagle.summarize.grounding import MAX_WORDS


class _Picker:
    """Deterministic choices drawn from the payload hash, a few bits per choice."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self._bits = int(context_hash(payload), 16)

    def pick(self, options: list[str]) -> str:
        self._bits, index = divmod(self._bits, len(options))
        return options[index]


def _record(season: dict[str, Any]) -> str:
    ties = season.get("ties") or 0
    return f"{season['wins']}-{season['losses']}" + (f"-{ties}" if ties else "")


def _opener(p: _Picker, payload: dict[str, Any]) -> str:
    game, teams = payload["game"], payload["teams"]
    home, away = teams["home"], teams["away"]
    h, a = home["team"], away["team"]
    if not home["season"]["games"] and not away["season"]["games"]:
        return p.pick([f"{a} open the season at {h}.", f"{h} host {a} to start the season."])
    hr, ar = _record(home["season"]), _record(away["season"])
    if game["neutral_site"]:
        return f"{a} ({ar}) and {h} ({hr}) meet at a neutral site."
    return p.pick(
        [
            f"{a} ({ar}) visit {h} ({hr}).",
            f"{h} ({hr}) host {a} ({ar}).",
            f"{a}, {ar}, travel to face {h}, {hr}.",
        ]
    )


def _market(p: _Picker, payload: dict[str, Any]) -> str | None:
    game, spread, total = (
        payload["game"],
        payload["market"]["spread"]["current"],
        payload["market"]["total"]["current"],
    )
    if spread is None:
        return None
    favorite, line = (game["home_team"], spread) if spread <= 0 else (game["away_team"], -spread)
    tail = "" if total is None else p.pick([f" with a total of {total:g}", f", total {total:g}"])
    if line == 0:
        return f"The line is a pick'em{tail}."
    return p.pick(
        [
            f"The market has {favorite} {format_line(line)}{tail}.",
            f"{favorite} are {-line:g}-point favorites{tail}.",
            f"Books make {favorite} {format_line(line)}{tail}.",
        ]
    )


def _model(p: _Picker, payload: dict[str, Any]) -> str:
    game, model = payload["game"], payload["model"]
    margin = model["margin_home"]
    leader, by = (game["home_team"], margin) if margin >= 0 else (game["away_team"], -margin)
    if round(by, 1) == 0:  # "by 0.0" names no leader: say it is even instead
        head = p.pick(
            [
                f"The model makes it a toss-up with a {model['total']:.1f}-point total",
                f"Our model sees an even game and a total of {model['total']:.1f}",
            ]
        )
    else:
        head = p.pick(
            [
                f"The model makes it {leader} by {by:.1f} with a {model['total']:.1f}-point total",
                f"Our model has {leader} by {by:.1f} and a total of {model['total']:.1f}",
                f"The model projects {leader} by {by:.1f}, total {model['total']:.1f}",
            ]
        )
    play = model.get("play")
    if not play:
        return head + p.pick([", no edge against the spread.", "; it passes on the spread."])
    cover = (
        model["p_home_cover"] if play.startswith(game["home_team"]) else 1 - model["p_home_cover"]
    )
    pct = round(cover * 100)
    return head + p.pick(
        [f", a lean to {play} ({pct}% to cover).", f"; it likes {play} at {pct}% to cover."]
    )


def _form(p: _Picker, side: dict[str, Any]) -> str | None:
    last = side["last_n"]
    if not last["games"] or last["points_for"] is None:
        return None
    team, pf, pa, n = side["team"], last["points_for"], last["points_against"], last["games"]
    return p.pick(
        [
            f"{team} scored {pf:.1f} and allowed {pa:.1f} a game over its last {n}.",
            f"Over the last {n}, {team} averaged {pf:.1f} scored and allowed {pa:.1f}.",
        ]
    )


def _ats(p: _Picker, side: dict[str, Any]) -> str | None:
    ats = side["season"]["ats"]
    if not (ats["w"] or ats["l"]):
        return None
    record = f"{ats['w']}-{ats['l']}" + (f"-{ats['p']}" if ats["p"] else "")
    return p.pick(
        [
            f"{side['team']} are {record} against the spread this season.",
            f"{side['team']} stand {record} ATS this season.",
        ]
    )


def write_tldr(payload: dict[str, Any]) -> str:
    p = _Picker(payload)
    home, away = payload["teams"]["home"], payload["teams"]["away"]
    core = [_opener(p, payload), _market(p, payload), _model(p, payload)]
    extras = [_form(p, away), _form(p, home), _ats(p, away), _ats(p, home)]
    # the core always; then as many extras as fit the word limit, in an order the hash picks
    first = p.pick(["form", "ats"])
    ordered = extras if first == "form" else extras[2:] + extras[:2]
    sentences = [s for s in core if s]
    for extra in ordered:
        if extra and len(" ".join([*sentences, extra]).split()) <= MAX_WORDS:
            sentences.append(extra)
    return " ".join(sentences)

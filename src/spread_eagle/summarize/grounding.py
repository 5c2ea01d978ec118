"""Check every claim of a TL;DR against its context payload.

Claims we can check mechanically: every number must be a value of the payload (as written,
rounded, as a magnitude, or a probability as a percentage); every team code must be one of the
game's teams; every "TEAM +N" handicap must be that team's line in the market; "TEAM by N" must
be the model's margin for that team. A TL;DR with any unsupported claim is not grounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?%?")
_HANDICAP = re.compile(r"\b([A-Z]{2,4}) ([+-]\d+(?:\.\d+)?|pk)\b")
_MARGIN = re.compile(r"\b([A-Z]{2,4}) by (\d+(?:\.\d+)?)\b")
_TEAM = re.compile(r"\b[A-Z]{2,4}\b")


@dataclass
class GroundingResult:
    grounded: bool
    claims: int
    unsupported: list[str] = field(default_factory=list)

    def detail(self) -> str:
        if self.grounded:
            return f"{self.claims} claims checked, all supported"
        return f"{len(self.unsupported)} of {self.claims} claims unsupported: " + "; ".join(
            self.unsupported[:10]
        )


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    if isinstance(value, str):
        return [float(m.rstrip("%")) for m in _NUMBER.findall(value)]
    return []


def _supported_values(context: dict[str, Any]) -> set[float]:
    values: set[float] = set()
    for n in _numbers(context):
        for v in (n, abs(n)):
            values.update({round(v, 1), round(v, 0)})
        if 0 <= n <= 1:
            values.add(round(n * 100, 0))
            values.add(round((1 - n) * 100, 0))
    return values


def check_grounding(
    text: str, context: dict[str, Any], known_teams: frozenset[str]
) -> GroundingResult:
    game, market, pred = context["game"], context["market"], context["prediction"]
    teams = {game["home_team"], game["away_team"]}
    supported = _supported_values(context)
    unsupported: list[str] = []
    claims = 0
    for token in _NUMBER.findall(text):
        claims += 1
        if round(abs(float(token.rstrip("%"))), 1) not in supported:
            unsupported.append(f"number {token} is not in the context")
    for token in _TEAM.findall(text):
        if token in known_teams:
            claims += 1
            if token not in teams:
                unsupported.append(f"team {token} is not in this game")
    spread = market.get("spread_home")
    for team, line in _HANDICAP.findall(text):
        if team not in teams:
            continue
        claims += 1
        value = 0.0 if line == "pk" else float(line)
        expected = None if spread is None else (spread if team == game["home_team"] else -spread)
        # The text prints the line to one decimal; a consensus of several books (an average) may not
        # be a whole half point, so a printed line within rounding of the market's is supported.
        if expected is None or abs(value - expected) > 0.05 + 1e-9:
            unsupported.append(f"handicap {team} {line} does not match the market line")
    for team, by in _MARGIN.findall(text):
        if team not in teams:
            continue
        claims += 1
        margin = pred["margin_home"] if team == game["home_team"] else -pred["margin_home"]
        if abs(float(by) - margin) > 0.05:
            unsupported.append(f"{team} by {by} does not match the model margin {margin:.1f}")
    return GroundingResult(grounded=not unsupported, claims=claims, unsupported=unsupported)

"""The grounding gate: a TL;DR may state only what its game's payload says.

Checked mechanically, claim by claim:
- every number is the payload's value of the thing it is said of. A number's kind comes from the
  cue words nearest to it in its clause ("favorites" -> a spread, "total" -> a total, "to cover"
  -> a cover probability, "scored" -> points for, W-L -> a record); its team is the nearest team
  named before it in the sentence. A number whose kind cannot be told is rejected: so "DAL are 45
  point favorites" fails when 45 is the total, not DAL's line. Formats: -3.5, 3½, 47%, 0.47.
- every team, player or coach named belongs to the game: a capitalized word must be one of the
  game's team codes or names, a word of the payload (stadium, weekday), or a common word
  (`common_words.txt`); anything else is a name the payload does not have ("Mahomes").
- no forbidden claims (locks, guarantees, "can't lose"), no injury news (the payload has none).
- at most MAX_WORDS words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from spread_eagle.leagues import League

MAX_WORDS = 60

FORBIDDEN = re.compile(
    r"\b(?:lock(?:s|ed)?\b(?! in)|guarantee[sd]?|can[\u2019']?t (?:lose|miss)|cannot (?:lose|miss)|"
    r"sure (?:thing|bet)|free money|easy money|risk[- ]free|no[- ]brainer|slam dunk|"
    r"bet the house|must[- ]bet)",
    re.IGNORECASE,
)
INJURY = re.compile(
    r"\b(?:injur\w*|questionable|doubtful|ruled out|sidelined|suspended|inactive|concussion)\b",
    re.IGNORECASE,
)

PLAIN, PERCENT, RECORD = "plain", "percent", "record"
PROBABILITY_KINDS = frozenset(
    {"p_win", "p_cover", "p_over", "p_under", "p_implied", "edge", "ats_rate"}
)
RECORD_KINDS = frozenset({"record", "ats_record", "h2h"})
# Kinds whose values a writer must print exactly (to one decimal); the others may be rounded.
EXACT_KINDS = frozenset(
    {"spread", "total", "moneyline", "games", "rest", "week", "year", "day", "meetings", "move"}
)

# Cue words -> the kinds a nearby number may be. Longer phrases first, so "against the spread"
# is read as ATS, not as a spread.
_CUES: list[tuple[str, frozenset[str]]] = [
    (r"against the spread|\bats\b|cover\w*", frozenset({"ats_rate", "p_cover", "ats_record"})),
    (r"points? total|over/under|o/u|\btotals?\b", frozenset({"total"})),
    (r"money ?line|\bml\b|outright", frozenset({"moneyline", "p_win"})),
    (
        r"favou?rites?|favou?red|underdogs?|\bdogs?\b|laying|getting|handicap|spread|\bline\b",
        frozenset({"spread"}),
    ),
    (r"\bover\b", frozenset({"p_over", "total"})),
    (r"\bunder\b", frozenset({"p_under", "total"})),
    (r"\bby\b", frozenset({"margin"})),
    (r"implied|vig", frozenset({"p_implied"})),
    (r"\bedge\b", frozenset({"edge"})),
    (r"\bwin\w*|victory", frozenset({"p_win"})),
    (
        r"allow\w*|conced\w*|gave up|giving up|surrender\w*|defen[cs]e|\bagainst\b",
        frozenset({"pa"}),
    ),
    (r"scor\w*|averag\w*|\bppg\b|per game|a game|offen[cs]e|put(?:s|ting)? up", frozenset({"pf"})),
    (r"meetings?|\bmet\b|head-to-head|series", frozenset({"h2h", "meetings"})),
    (r"\blast\b|\bpast\b|straight|\bgames\b|outings", frozenset({"games"})),
    (r"\brest\w*|days? off|\bdays?\b", frozenset({"rest"})),
    (r"°|degrees|temperature", frozenset({"temp"})),
    (r"\bmph\b|wind", frozenset({"wind"})),
    (r"moved|\bmove\w*|shift\w*|drift\w*|opened|\bopen\b", frozenset({"move", "spread", "total"})),
    (r"\bweek\b", frozenset({"week"})),
]
_CUE = re.compile("|".join(f"(?P<c{i}>{p})" for i, (p, _) in enumerate(_CUES)))

_RECORD = re.compile(r"(?<![\w.-])(\d{1,2})-(\d{1,2})(?:-(\d{1,2}))?(?!\w|\.\d|-\d)")
_NUMBER = re.compile(r"(?<![\w.])([+\-\u2212]?)(\d+(?:\.\d+)?|\.\d+)?(½)?(%| ?percent)?")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?)?", re.IGNORECASE)
_PICK = re.compile(r"\b(pk|pick(?:'em|em)?)\b", re.IGNORECASE)
# a cue word belongs to the number in its own clause: "win and DAL a 0.54 chance to cover"
_CLAUSE_END = re.compile(r"[,;:!?()\u2014\u2013]|\.(?!\d)|\b(?:and|but|while|with|whereas)\b")
_SENTENCE_END = re.compile(r"[!?]|\.(?!\d)")
_CAPITALIZED = re.compile(r"(?<![\w'\u2019])[A-Z][A-Za-z'\u2019]*")


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


@cache
def common_words() -> frozenset[str]:
    text = (resources.files("spread_eagle.summarize") / "common_words.txt").read_text("utf-8")
    return frozenset(
        w for line in text.splitlines() if not line.startswith("#") for w in line.split()
    )


# -- what the payload says ----------------------------------------------------------------------
Facts = dict[tuple[str, str | None], list[Any]]


def _add(facts: Facts, kind: str, team: str | None, value: Any) -> None:
    if value is not None:
        facts.setdefault((kind, team), []).append(value)


def _neg(value: float | None) -> float | None:
    return None if value is None else -value


def _flip(p: float | None) -> float | None:
    return None if p is None else 1 - p


def payload_facts(payload: dict[str, Any]) -> Facts:
    """Every checkable value of the payload, by (kind, team); team None for game-level values."""
    facts: Facts = {}
    game, market, model = payload["game"], payload["market"], payload.get("model") or {}
    home, away = game["home_team"], game["away_team"]
    spread, total = market.get("spread") or {}, market.get("total") or {}
    for team, sign, best in ((home, 1, "best_home"), (away, -1, "best_away")):
        for key in ("open", "current"):
            _add(facts, "spread", team, None if spread.get(key) is None else sign * spread[key])
        _add(facts, "spread", team, spread.get(best))
    for key in ("open", "current", "best_over", "best_under"):
        _add(facts, "total", None, total.get(key))
    _add(facts, "total", None, model.get("total"))
    for move in (spread.get("move"), total.get("move")):
        _add(facts, "move", None, None if move is None else abs(move))
    _add(facts, "moneyline", home, market.get("moneyline_home"))
    _add(facts, "moneyline", away, market.get("moneyline_away"))
    _add(facts, "p_implied", home, market.get("p_home_vigfree"))
    _add(facts, "p_implied", away, _flip(market.get("p_home_vigfree")))
    margin = model.get("margin_home")
    _add(facts, "margin", home, margin)
    _add(facts, "margin", away, _neg(margin))
    _add(facts, "p_win", home, model.get("p_home_win"))
    _add(facts, "p_win", away, _flip(model.get("p_home_win")))
    _add(facts, "p_cover", home, model.get("p_home_cover"))
    _add(facts, "p_cover", away, _flip(model.get("p_home_cover")))
    _add(facts, "p_over", None, model.get("p_over"))
    _add(facts, "p_under", None, _flip(model.get("p_over")))
    _add(facts, "edge", None, model.get("edge"))
    for side in ("home", "away"):
        t = payload["teams"][side]
        team = t["team"]
        _add(facts, "rest", team, t.get("rest_days"))
        for window in ("season", "last_n"):
            w = t.get(window) or {}
            _add(facts, "pf", team, w.get("points_for"))
            _add(facts, "pa", team, w.get("points_against"))
            _add(facts, "games", team, w.get("games"))
            _add(facts, "ats_rate", team, w.get("ats_cover_rate"))
            _add(facts, "record", team, _record(w.get("wins"), w.get("losses"), w.get("ties")))
            ats = w.get("ats") or {}
            _add(facts, "ats_record", team, _record(ats.get("w"), ats.get("l"), ats.get("p")))
    venue = payload.get("venue") or {}
    _add(facts, "temp", None, venue.get("temperature_f"))
    _add(facts, "wind", None, venue.get("wind_mph"))
    _add(facts, "week", None, game.get("week"))
    _add(facts, "year", None, game.get("season"))
    _add(facts, "day", None, int(game["kickoff_local"].split()[2].rstrip(",")))
    meetings = payload.get("meetings") or []
    _add(facts, "meetings", None, len(meetings) or None)
    for m in meetings:
        _add(facts, "year", None, m.get("season"))
        scores = sorted((m["home_score"], m["away_score"]), reverse=True)
        _add(facts, "h2h", None, _record(*scores))
        _add(facts, "h2h", None, _record(*reversed(scores)))
    series = payload.get("series") or {}
    for team, other in ((home, away), (away, home)):
        _add(facts, "h2h", team, _record(series.get(team), series.get(other), series.get("ties")))
    return facts


def _record(w: Any, lo: Any, t: Any = None) -> tuple[int, ...] | None:
    if w is None or lo is None:
        return None
    return (int(w), int(lo), int(t)) if t else (int(w), int(lo))


# -- what the text says -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Number:
    start: int
    end: int
    raw: str
    form: str
    value: Any  # float, or a tuple for a record
    signed: bool
    decimals: int


def _numbers(text: str) -> Iterator[_Number]:
    masked = _TIME.sub(lambda m: " " * len(m.group()), text)
    for m in _RECORD.finditer(masked):
        parts = tuple(int(g) for g in m.groups() if g is not None)
        yield _Number(m.start(), m.end(), m.group(), RECORD, parts, False, 0)
        masked = masked[: m.start()] + " " * (m.end() - m.start()) + masked[m.end() :]
    for m in _NUMBER.finditer(masked):
        sign, digits, half, pct = m.groups()
        if digits is None and half is None:
            continue
        value = float(digits or 0) + (0.5 if half else 0)
        if sign in ("-", "\u2212"):
            value = -value
        decimals = len(digits.split(".")[1]) if digits and "." in digits else (1 if half else 0)
        form = PERCENT if pct else PLAIN
        yield _Number(m.start(), m.end(), m.group().strip(), form, value, bool(sign), decimals)


def _team_mentions(text: str, payload: dict[str, Any], league: League) -> list[tuple[int, str]]:
    names = _team_words(payload, league)
    found = []
    for m in re.finditer(r"[A-Za-z][A-Za-z'\u2019]*", text):
        team = names.get(m.group()) or names.get(m.group().casefold())
        if team and m.group()[0].isupper():
            found.append((m.start(), team))
    return found


def _team_words(payload: dict[str, Any], league: League) -> dict[str, str]:
    """The game's team codes (as written) and the words of their names (casefolded) -> team."""
    game = payload["game"]
    words: dict[str, str] = {}
    for team in (game["home_team"], game["away_team"]):
        words[team] = team
        for alias, alias_team in league.aliases.items():
            if alias_team != team:
                continue
            if " " not in alias and len(alias) <= 3:
                words.setdefault(alias.upper(), team)  # another code of the team: WSH, LAR
            else:
                for word in alias.split():
                    words.setdefault(word, team)
    return words


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    left = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    right = _CLAUSE_END.search(text, end)
    return left, right.start() if right else len(text)


def _cue_kinds(text: str, n: _Number) -> frozenset[str]:
    left, right = _clause(text, n.start, n.end)
    best: tuple[int, frozenset[str]] | None = None
    window = text[left:right].lower()
    for m in _CUE.finditer(window):
        start, end = m.start() + left, m.end() + left
        distance = n.start - end if end <= n.start else start - n.end
        if distance < 0:
            continue
        kinds = next(_CUES[int(k[1:])][1] for k, v in m.groupdict().items() if v is not None)
        if best is None or distance < best[0]:
            best = (distance, kinds)
    # A month name right before a number reads as a date ("Nov 24").
    if re.search(
        r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? $",
        text[max(0, n.start - 12) : n.start].lower(),
    ):
        return frozenset({"day"})
    return best[1] if best else frozenset()


def _team_before(mentions: list[tuple[int, str]], text: str, at: int) -> str | None:
    sentence_start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, at)), default=0)
    before = [team for pos, team in mentions if sentence_start <= pos < at]
    return before[-1] if before else None


def _handicap_team(text: str, n: _Number, payload: dict[str, Any], league: League) -> str | None:
    """`KC -3.5` / `Chiefs +3`: the team written right before a signed number."""
    head = text[max(0, n.start - 30) : n.start]
    m = re.search(r"([A-Za-z][A-Za-z'\u2019]*)\s*$", head)
    if not m:
        return None
    words = _team_words(payload, league)
    return words.get(m.group(1)) or words.get(m.group(1).casefold())


def _matches(n: _Number, kind: str, value: Any) -> bool:
    if n.form == RECORD:
        return bool(value == n.value)
    if isinstance(value, tuple):
        return False
    target = float(value)
    got = float(n.value)
    if kind in PROBABILITY_KINDS:
        if n.form == PERCENT or abs(got) > 1:
            got /= 100
            tolerance = 0.5 * 10 ** -(n.decimals + 2)
        else:
            tolerance = 0.5 * 10**-n.decimals
        return abs(got - target) <= tolerance + 1e-9
    if kind in EXACT_KINDS:
        return abs(got - target) <= 0.05 + 1e-9
    return abs(got - target) <= 0.5 * 10**-n.decimals + 1e-9


def _check_number(
    text: str,
    n: _Number,
    facts: Facts,
    mentions: list[tuple[int, str]],
    payload: dict[str, Any],
    league: League,
) -> str | None:
    """None when the number is the payload's value of what it is said of; else why not."""
    handicap = _handicap_team(text, n, payload, league) if n.signed else None
    kinds = _cue_kinds(text, n)
    if handicap:
        kinds = frozenset({"moneyline"}) if abs(float(n.value)) >= 100 else frozenset({"spread"})
    elif n.form == RECORD:
        kinds = (kinds & RECORD_KINDS) or frozenset({"record", "h2h"})
    elif n.form == PERCENT or (
        0 < abs(float(n.value)) < 1 and n.decimals and kinds & PROBABILITY_KINDS
    ):  # 0.47 is a probability only where a cue says so; "by 0.4" is a margin
        kinds &= PROBABILITY_KINDS
    else:
        kinds -= PROBABILITY_KINDS | RECORD_KINDS
        if re.fullmatch(r"(?:19|20)\d\d", n.raw):
            kinds = frozenset({"year"})
    if not kinds:
        return f"number {n.raw}: cannot tell what it is said of"
    team = handicap or _team_before(mentions, text, n.start)
    for kind in sorted(kinds):
        # the team's value, a game-level value, or (said of no team) either team's value
        values = facts.get((kind, None), []) + (
            facts.get((kind, team), [])
            if team
            else [v for (k, t), vs in facts.items() if k == kind and t for v in vs]
        )
        candidates = list(values)
        if kind == "spread" and not n.signed and n.form == PLAIN:
            # "6-point favorites" / "getting 6": the magnitude, with the sign the cue implies
            window = text[n.start : _clause(text, n.start, n.end)[1]].lower()
            underdog = bool(re.search(r"underdog|\bdogs?\b|getting", window))
            candidates = [abs(v) for v in values if (v > 0) == underdog and v != 0]
        if kind == "margin":
            candidates = [v for v in values if v > 0]
        if any(_matches(n, kind, v) for v in candidates):
            return None
    subject = f" for {team}" if team else ""
    return f"number {n.raw} is not the payload's {'/'.join(sorted(kinds))}{subject}"


def _check_names(text: str, payload: dict[str, Any], league: League) -> list[str]:
    game = payload["game"]
    ours = _team_words(payload, league)
    payload_words = {
        w.casefold() for w in re.findall(r"[A-Za-z][A-Za-z'\u2019]*", _payload_strings(payload))
    }
    other_words: dict[str, str] = {}
    for alias, team in league.aliases.items():
        for word in alias.split():
            other_words.setdefault(word, team)
    problems = []
    for m in _CAPITALIZED.finditer(text):
        word = m.group().rstrip("'\u2019")
        word = re.sub(r"['\u2019]s$", "", word)
        folded = word.casefold()
        if len(word) == 1 or word in ours or folded in ours or folded in payload_words:
            continue
        if word in league.teams and word not in (game["home_team"], game["away_team"]):
            problems.append(f"team {word} is not in this game")
        elif folded in common_words():
            continue
        elif folded in other_words:
            problems.append(f"team {word} is not in this game")
        else:
            problems.append(f"name {word} is not in this game's payload")
    return problems


def _payload_strings(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(_payload_strings(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_payload_strings(v) for v in value)
    return value if isinstance(value, str) else ""


def check_grounding(text: str, payload: dict[str, Any], league: League) -> GroundingResult:
    """Check every claim of `text` against `payload`; the result says which ones fail and why."""
    if not text.strip():
        return GroundingResult(False, 0, ["the TL;DR is empty"])
    unsupported: list[str] = []
    claims = 0
    words = len(text.split())
    if words > MAX_WORDS:
        unsupported.append(f"{words} words, more than {MAX_WORDS}")
    for m in FORBIDDEN.finditer(text):
        unsupported.append(f"forbidden claim {m.group()!r}")
    for m in INJURY.finditer(text):
        unsupported.append(f"injury news {m.group()!r} is not in the payload")
    facts = payload_facts(payload)
    mentions = _team_mentions(text, payload, league)
    for n in _numbers(text):
        claims += 1
        problem = _check_number(text, n, facts, mentions, payload, league)
        if problem:
            unsupported.append(problem)
    unsupported += _check_names(text, payload, league)
    claims += len(_CAPITALIZED.findall(text)) + len(FORBIDDEN.findall(text))
    claims += len(INJURY.findall(text))
    return GroundingResult(grounded=not unsupported, claims=claims, unsupported=unsupported)

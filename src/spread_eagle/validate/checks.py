"""Validation checks over what is stored for a run's league, date, clock and outputs.

What a date must cover comes from the schedule as stored — for each source, the games of its newest
schedule fetch of the date at or before the run's clock, whichever run fetched it — never from what
this run happened to ingest, so a date never ingested cannot pass on nothing. Outputs are checked
under the run's own run id. Each check returns (passed, detail); the detail names what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from spread_eagle.warehouse import Warehouse

log = logging.getLogger(__name__)

# feat__game columns that must never be null for a game on a published slate.
REQUIRED_FEATURES = (
    "kickoff_at",
    "home_team_id",
    "away_team_id",
    "spread_home_current",
    "home_wins_season",
    "away_wins_season",
    "home_games_all_time",
    "away_games_all_time",
    "books",
)
# Form columns may be null only when the team has no earlier game to average.
FORM_FEATURES = ("points_for_last_n", "points_against_last_n", "margin_last_n")

# The newest schedule fetch of the date per source, at or before the clock.
_NEWEST_FETCHES = """
    select run_id, source from (
        select f.run_id, f.source, row_number() over (
            partition by f.source order by f.as_of desc, r.started_at desc, f.run_id desc
        ) as newest
        from ops.schedule_fetch f join ops.run r on r.run_id = f.run_id
        where f.league = ? and f.run_date = ? and f.as_of <= ?
    ) ranked where newest = 1
"""


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Scope:
    """What is checked: a league's date as of a clock, and the outputs of one run."""

    warehouse: Warehouse
    league: str
    run_date: date
    as_of: datetime
    run_id: str
    model_versions: dict[str, str]
    accept_quarantined: bool = False
    facts: str = "facts"  # the league's dbt schemas (League.schema)
    features: str = "features"

    @property
    def date_params(self) -> tuple[str, date, datetime]:
        return (self.league, self.run_date, self.as_of)


def _listed(ids: list[str]) -> str:
    return ", ".join(ids[:8]) + (f" (+{len(ids) - 8} more)" if len(ids) > 8 else "")


def _games(s: Scope) -> list[str]:
    return [
        r["game_id"]
        for r in s.warehouse.query(
            f"select game_id from {s.facts}.fct__game where league_id = ? and game_date = ?"
            " order by game_id",
            (s.league, s.run_date),
        )
    ]


def _missing(s: Scope, condition: str, params: tuple[object, ...] = ()) -> list[str]:
    """The date's games in fct__game for which `condition` (over alias g) does not hold."""
    return [
        r["game_id"]
        for r in s.warehouse.query(
            f"select g.game_id from {s.facts}.fct__game g where g.league_id = ? and g.game_date = ?"
            f" and not ({condition}) order by g.game_id",
            (s.league, s.run_date, *params),
        )
    ]


def scheduled_games_in_fct_game(s: Scope) -> CheckResult:
    name = "scheduled_games_in_fct_game"
    wh = s.warehouse
    fetches = wh.query(_NEWEST_FETCHES, s.date_params)
    if not fetches:
        return CheckResult(
            name,
            False,
            f"no schedule of {s.league} {s.run_date} is stored as of {s.as_of:%Y-%m-%dT%H:%M:%SZ}: "
            f"run `spread-eagle run-daily --date {s.run_date}` to ingest it",
        )
    expected = wh.query(
        f"select distinct e.home_team, e.away_team from ops.expected_game e"
        f" join ({_NEWEST_FETCHES}) f on f.run_id = e.run_id and f.source = e.source"
        f" order by e.home_team, e.away_team",
        s.date_params,
    )
    present = {
        (r["home_team_id"], r["away_team_id"])
        for r in wh.query(
            f"select home_team_id, away_team_id from {s.facts}.fct__game"
            " where league_id = ? and game_date = ?",
            (s.league, s.run_date),
        )
    }
    missing = [
        f"{r['away_team']}@{r['home_team']}"
        for r in expected
        if (r["home_team"], r["away_team"]) not in present
    ]
    sources = ", ".join(sorted(f["source"] for f in fetches))
    if missing:
        return CheckResult(
            name,
            False,
            f"{len(missing)} of {len(expected)} scheduled games ({sources}) missing from fct__game: "
            f"{_listed(missing)}",
        )
    return CheckResult(name, True, f"{len(expected)} scheduled games ({sources}) all in fct__game")


def schedule_records_usable(s: Scope) -> CheckResult:
    """A schedule record that was quarantined is a game the slate would silently lack."""
    name = "schedule_records_usable"
    rows = s.warehouse.query(
        f"select q.source, q.record_ref, q.reason from ops.schedule_quarantine q"
        f" join ({_NEWEST_FETCHES}) f on f.run_id = q.run_id and f.source = q.source"
        f" order by q.source, q.ordinal",
        s.date_params,
    )
    if not rows:
        return CheckResult(name, True, "no schedule record of the date was quarantined")
    listed = "; ".join(f"{r['record_ref']} ({r['source']}): {r['reason']}" for r in rows[:8])
    if len(rows) > 8:
        listed += f" (+{len(rows) - 8} more)"
    if s.accept_quarantined:
        return CheckResult(
            name, True, f"{len(rows)} quarantined schedule records accepted by the run: {listed}"
        )
    return CheckResult(
        name,
        False,
        f"{len(rows)} scheduled games were quarantined and would be missing from the slate: "
        f"{listed}. Fix the source, or re-run with --accept-quarantined to publish without them "
        "(`spread-eagle quarantine` shows the records)",
    )


def market_snapshot_per_game(s: Scope) -> CheckResult:
    missing = _missing(
        s,
        f"exists (select 1 from {s.facts}.fct__market_snapshot m where m.game_id = g.game_id"
        " and m.captured_at <= ?)",
        (s.as_of,),
    )
    total = len(_games(s))
    if missing:
        return CheckResult(
            "market_snapshot_per_game",
            False,
            f"{len(missing)} of {total} games have no market snapshot: {_listed(missing)}",
        )
    return CheckResult("market_snapshot_per_game", True, f"{total} games all have market snapshots")


def features_without_unexpected_nulls(s: Scope) -> CheckResult:
    name = "features_without_unexpected_nulls"
    conditions = [f"{c} is null" for c in REQUIRED_FEATURES]
    for side in ("home", "away"):
        conditions += [f"({side}_{c} is null and {side}_games_last_n > 0)" for c in FORM_FEATURES]
    bad = s.warehouse.query(
        f"select game_id from {s.features}.feat__game where league_id = ? and game_date = ?"
        f" and ({' or '.join(conditions)}) order by game_id",
        (s.league, s.run_date),
    )
    missing = _missing(
        s, f"exists (select 1 from {s.features}.feat__game f where f.game_id = g.game_id)"
    )
    if missing:
        return CheckResult(
            name, False, f"{len(missing)} games have no feat__game row: {_listed(missing)}"
        )
    if bad:
        ids = [r["game_id"] for r in bad]
        return CheckResult(
            name,
            False,
            f"{len(ids)} games have null required features ({', '.join(REQUIRED_FEATURES)}): {_listed(ids)}",
        )
    return CheckResult(name, True, f"{len(_games(s))} feature rows complete")


def prediction_per_game(s: Scope) -> CheckResult:
    problems = []
    for model, version in sorted(s.model_versions.items()):
        missing = _missing(
            s,
            "exists (select 1 from outputs.game_prediction p where p.run_id = ? and p.game_id = g.game_id"
            " and p.model = ? and p.model_version = ?)",
            (s.run_id, model, version),
        )
        if missing:
            problems.append(f"{len(missing)} games lack a {version} prediction: {_listed(missing)}")
    versions = ", ".join(sorted(s.model_versions.values()))
    if problems:
        return CheckResult("prediction_per_game", False, "; ".join(problems))
    return CheckResult(
        "prediction_per_game", True, f"{len(_games(s))} games predicted by {versions}"
    )


def grounded_tldr_per_game(s: Scope) -> CheckResult:
    missing = _missing(
        s,
        "exists (select 1 from outputs.game_tldr t where t.run_id = ? and t.game_id = g.game_id"
        " and t.is_grounded and length(trim(t.tldr_text)) > 0)",
        (s.run_id,),
    )
    if missing:
        return CheckResult(
            "grounded_tldr_per_game",
            False,
            f"{len(missing)} games lack a grounded TL;DR: {_listed(missing)}",
        )
    return CheckResult("grounded_tldr_per_game", True, f"{len(_games(s))} grounded TL;DRs")


CHECKS: list[Callable[[Scope], CheckResult]] = [
    scheduled_games_in_fct_game,
    schedule_records_usable,
    market_snapshot_per_game,
    features_without_unexpected_nulls,
    prediction_per_game,
    grounded_tldr_per_game,
]


def run_checks(scope: Scope) -> list[CheckResult]:
    return [check(scope) for check in CHECKS]


def record_checks(wh: Warehouse, run_id: str, results: list[CheckResult]) -> None:
    now = datetime.now(UTC)
    wh.replace(
        "ops.validation",
        {"run_id": run_id},
        [
            {
                "run_id": run_id,
                "check_name": r.name,
                "passed": r.passed,
                "detail": r.detail,
                "checked_at": now,
            }
            for r in results
        ],
    )

"""Validation checks over what is stored for a run's league and date.

Each check returns (passed, detail); the detail names what is missing so the fix is obvious.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from spread_eagle.leagues import League
from spread_eagle.predict.ratings import model_version
from spread_eagle.warehouse import Warehouse

log = logging.getLogger(__name__)

# feat__game columns that must never be null for a game on a published slate.
REQUIRED_FEATURES = (
    "kickoff_at",
    "home_team_id",
    "away_team_id",
    "spread_home_close",
    "home_wins_season",
    "away_wins_season",
    "home_games_all_time",
    "away_games_all_time",
    "books",
)
# Form columns may be null only when the team has no earlier game to average.
FORM_FEATURES = ("points_for_last_n", "points_against_last_n", "margin_last_n")


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Scope:
    warehouse: Warehouse
    league: League
    run_date: date
    run_id: str
    model_name: str


def _slate_games(s: Scope) -> list[str]:
    return [
        r["game_id"]
        for r in s.warehouse.query(
            "select game_id from facts.fct__game where league_id = ? and game_date = ? order by game_id",
            (s.league.league, s.run_date),
        )
    ]


def _listed(ids: list[str]) -> str:
    return ", ".join(ids[:8]) + (f" (+{len(ids) - 8} more)" if len(ids) > 8 else "")


def _schedule_run(s: Scope) -> str:
    """The newest run that ingested this date's schedule (this one, unless resumed --from-step)."""
    found = s.warehouse.scalar(
        "select e.run_id from ops.expected_game e join ops.run r on r.run_id = e.run_id"
        " where e.league = ? and e.run_date = ? order by r.started_at desc limit 1",
        (s.league.league, s.run_date),
    )
    return found or s.run_id


def scheduled_games_in_fct_game(s: Scope) -> CheckResult:
    missing = [
        f"{r['away_team']}@{r['home_team']}"
        for r in s.warehouse.query(
            "select e.home_team, e.away_team from ops.expected_game e"
            " left join facts.fct__game g on g.league_id = e.league and g.game_date = e.run_date"
            "  and g.home_team_id = e.home_team and g.away_team_id = e.away_team"
            " where e.run_id = ? and g.game_id is null order by e.home_team",
            (_schedule_run(s),),
        )
    ]
    expected = s.warehouse.scalar(
        "select count(*) from ops.expected_game where run_id = ?", (_schedule_run(s),)
    )
    if missing:
        return CheckResult(
            "scheduled_games_in_fct_game",
            False,
            f"{len(missing)} of {expected} scheduled games missing from fct__game: {_listed(missing)}",
        )
    return CheckResult(
        "scheduled_games_in_fct_game", True, f"{expected} scheduled games all in fct__game"
    )


def market_snapshot_per_game(s: Scope) -> CheckResult:
    missing = [
        r["game_id"]
        for r in s.warehouse.query(
            "select g.game_id from facts.fct__game g where g.league_id = ? and g.game_date = ?"
            " and not exists (select 1 from facts.fct__market_snapshot m where m.game_id = g.game_id)"
            " order by g.game_id",
            (s.league.league, s.run_date),
        )
    ]
    total = len(_slate_games(s))
    if missing:
        return CheckResult(
            "market_snapshot_per_game",
            False,
            f"{len(missing)} of {total} games have no market snapshot: {_listed(missing)}",
        )
    return CheckResult("market_snapshot_per_game", True, f"{total} games all have market snapshots")


def features_without_unexpected_nulls(s: Scope) -> CheckResult:
    conditions = [f"{c} is null" for c in REQUIRED_FEATURES]
    for side in ("home", "away"):
        conditions += [f"({side}_{c} is null and {side}_games_last_n > 0)" for c in FORM_FEATURES]
    bad = s.warehouse.query(
        f"select game_id from features.feat__game where league_id = ? and game_date = ? and ({' or '.join(conditions)})"
        " order by game_id",
        (s.league.league, s.run_date),
    )
    games = _slate_games(s)
    featured = s.warehouse.scalar(
        "select count(*) from features.feat__game where league_id = ? and game_date = ?",
        (s.league.league, s.run_date),
    )
    if featured != len(games):
        return CheckResult(
            "features_without_unexpected_nulls",
            False,
            f"feat__game has {featured} rows for {len(games)} games",
        )
    if bad:
        ids = [r["game_id"] for r in bad]
        return CheckResult(
            "features_without_unexpected_nulls",
            False,
            f"{len(ids)} games have null required features ({', '.join(REQUIRED_FEATURES)}): {_listed(ids)}",
        )
    return CheckResult(
        "features_without_unexpected_nulls", True, f"{featured} feature rows complete"
    )


def prediction_per_game(s: Scope) -> CheckResult:
    version = model_version(s.league)
    missing = [
        r["game_id"]
        for r in s.warehouse.query(
            "select g.game_id from facts.fct__game g where g.league_id = ? and g.game_date = ? and not exists ("
            " select 1 from outputs.game_prediction p where p.game_id = g.game_id and p.run_date = g.game_date"
            " and p.model = ? and p.model_version = ?) order by g.game_id",
            (s.league.league, s.run_date, s.model_name, version),
        )
    ]
    if missing:
        return CheckResult(
            "prediction_per_game",
            False,
            f"{len(missing)} games lack a {version} prediction: {_listed(missing)}",
        )
    return CheckResult(
        "prediction_per_game", True, f"{len(_slate_games(s))} games predicted by {version}"
    )


def grounded_tldr_per_game(s: Scope) -> CheckResult:
    missing = [
        r["game_id"]
        for r in s.warehouse.query(
            "select g.game_id from facts.fct__game g where g.league_id = ? and g.game_date = ? and not exists ("
            " select 1 from outputs.game_tldr t where t.game_id = g.game_id and t.run_date = g.game_date"
            " and t.is_grounded and length(trim(t.tldr_text)) > 0) order by g.game_id",
            (s.league.league, s.run_date),
        )
    ]
    if missing:
        return CheckResult(
            "grounded_tldr_per_game",
            False,
            f"{len(missing)} games lack a grounded TL;DR: {_listed(missing)}",
        )
    return CheckResult("grounded_tldr_per_game", True, f"{len(_slate_games(s))} grounded TL;DRs")


CHECKS: list[Callable[[Scope], CheckResult]] = [
    scheduled_games_in_fct_game,
    market_snapshot_per_game,
    features_without_unexpected_nulls,
    prediction_per_game,
    grounded_tldr_per_game,
]


def run_checks(scope: Scope) -> list[CheckResult]:
    return [check(scope) for check in CHECKS]


def record_checks(wh: Warehouse, run_id: str, results: list[CheckResult]) -> None:
    now = datetime.now(UTC)
    with wh.transaction():
        wh.execute("delete from ops.validation where run_id = ?", (run_id,))
        wh.insert_rows(
            "ops.validation",
            ["run_id", "check_name", "passed", "detail", "checked_at"],
            [[run_id, r.name, r.passed, r.detail, now] for r in results],
        )

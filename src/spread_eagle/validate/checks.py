"""Validation checks over what is stored for a run's league, date, clock and outputs.

What a date must cover comes from the schedule as stored — for each source, the games of its newest
schedule fetch of the date at or before the run's clock, whichever run fetched it — never from what
this run happened to ingest, so a date never ingested cannot pass on nothing. Outputs are checked
under the run's own run id. Each check returns (passed, detail); the detail names what is missing.

The checks are pure functions of what `read_stored` read: one query a relation, whether for one
date or for a backfill's batch of dates (`run_checks_of`), so a batch costs what one date costs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from spread_eagle.warehouse import Warehouse, grouped, marks
from spread_eagle.warehouse.base import Row

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


@dataclass
class Stored:
    """What the checks of one or many scopes (a backfill's batch) read, in one query a relation."""

    games: dict[date, list[Row]]  # fct__game of each date, by game id
    fetches: dict[date, list[Row]]  # ops.schedule_fetch of each date, with the run's start
    expected: dict[tuple[str, str], list[Row]]  # ops.expected_game by (run, source)
    quarantined: dict[tuple[str, str], list[Row]]  # ops.schedule_quarantine by (run, source)
    first_snapshot: dict[str, datetime | None]  # each game's first market snapshot
    featured: set[str]  # games with a feat__game row
    incomplete: dict[date, list[str]]  # feat__game rows with a null required feature
    predicted: set[tuple[str, str, str, str]]  # (run, game, model, version)
    grounded: set[tuple[str, str]]  # (run, game) with a grounded, non-empty TL;DR


def read_stored(wh: Warehouse, scopes: Sequence[Scope]) -> Stored:
    """Everything the checks of `scopes` (one league) read, a relation at a time."""
    league, facts, features_schema = scopes[0].league, scopes[0].facts, scopes[0].features
    days = sorted({s.run_date for s in scopes})
    runs = [s.run_id for s in scopes]
    by_date = (league, *days)
    in_days = f"league = ? and run_date in ({marks(days)})"
    games = wh.query(
        f"select game_id, game_date, home_team_id, away_team_id from {facts}.fct__game"
        f" where league_id = ? and game_date in ({marks(days)}) order by game_id",
        by_date,
    )
    nulls = [f"{c} is null" for c in REQUIRED_FEATURES]
    for side in ("home", "away"):
        nulls += [f"({side}_{c} is null and {side}_games_last_n > 0)" for c in FORM_FEATURES]
    features = wh.query(
        f"select game_id, league_id, game_date, case when {' or '.join(nulls)} then 1 else 0 end"
        f" as incomplete from {features_schema}.feat__game where game_id in (select game_id from"
        f" {facts}.fct__game where league_id = ? and game_date in ({marks(days)}))"
        f" or (league_id = ? and game_date in ({marks(days)})) order by game_id",
        (*by_date, *by_date),
    )
    snapshots = wh.query(
        f"select g.game_id, min(m.captured_at) as first_at from {facts}.fct__game g"
        f" left join {facts}.fct__market_snapshot m on m.game_id = g.game_id"
        f" where g.league_id = ? and g.game_date in ({marks(days)}) group by g.game_id",
        by_date,
    )
    return Stored(
        games=grouped(games, "game_date"),
        fetches=grouped(
            wh.query(
                "select f.run_id, f.source, f.run_date, f.as_of, r.started_at"
                " from ops.schedule_fetch f join ops.run r on r.run_id = f.run_id"
                f" where f.league = ? and f.run_date in ({marks(days)})",
                by_date,
            ),
            "run_date",
        ),
        expected=grouped(
            wh.query(
                f"select run_id, source, home_team, away_team from ops.expected_game where {in_days}",
                by_date,
            ),
            "run_id",
            "source",
        ),
        quarantined=grouped(
            wh.query(
                "select run_id, source, ordinal, record_ref, reason from ops.schedule_quarantine"
                f" where {in_days} order by source, ordinal",
                by_date,
            ),
            "run_id",
            "source",
        ),
        first_snapshot={r["game_id"]: r["first_at"] for r in snapshots},
        featured={r["game_id"] for r in features},
        incomplete={
            day: [r["game_id"] for r in rows if r["league_id"] == league and r["incomplete"]]
            for day, rows in grouped(features, "game_date").items()
        },
        predicted={
            (r["run_id"], r["game_id"], r["model"], r["model_version"])
            for r in wh.query(
                "select run_id, game_id, model, model_version from outputs.game_prediction"
                f" where run_id in ({marks(runs)})",
                runs,
            )
        },
        grounded={
            (r["run_id"], r["game_id"])
            for r in wh.query(
                "select run_id, game_id from outputs.game_tldr"
                f" where run_id in ({marks(runs)}) and is_grounded"
                " and length(trim(tldr_text)) > 0",
                runs,
            )
        },
    )


def _listed(ids: list[str]) -> str:
    return ", ".join(ids[:8]) + (f" (+{len(ids) - 8} more)" if len(ids) > 8 else "")


def _games(s: Scope, st: Stored) -> list[str]:
    return [g["game_id"] for g in st.games.get(s.run_date, [])]


def _missing(s: Scope, st: Stored, present: Callable[[str], bool]) -> list[str]:
    """The date's games in fct__game, by game id, for which `present` does not hold."""
    return [g for g in _games(s, st) if not present(g)]


def _newest_fetches(s: Scope, st: Stored) -> list[Row]:
    """The newest schedule fetch of the date per source, at or before the clock (newest clock,
    then the run started last, then the greatest run id)."""
    newest: dict[str, Row] = {}
    for f in st.fetches.get(s.run_date, []):
        if f["as_of"] > s.as_of:
            continue
        rank = (f["as_of"], f["started_at"], f["run_id"])
        held = newest.get(f["source"])
        if held is None or rank > (held["as_of"], held["started_at"], held["run_id"]):
            newest[f["source"]] = f
    return list(newest.values())


def scheduled_games_in_fct_game(s: Scope, st: Stored) -> CheckResult:
    name = "scheduled_games_in_fct_game"
    fetches = _newest_fetches(s, st)
    if not fetches:
        return CheckResult(
            name,
            False,
            f"no schedule of {s.league} {s.run_date} is stored as of {s.as_of:%Y-%m-%dT%H:%M:%SZ}: "
            f"run `spread-eagle run-daily --date {s.run_date}` to ingest it",
        )
    expected = sorted(
        {
            (e["home_team"], e["away_team"])
            for f in fetches
            for e in st.expected.get((f["run_id"], f["source"]), [])
        }
    )
    present = {(g["home_team_id"], g["away_team_id"]) for g in st.games.get(s.run_date, [])}
    missing = [f"{away}@{home}" for home, away in expected if (home, away) not in present]
    sources = ", ".join(sorted(f["source"] for f in fetches))
    if missing:
        return CheckResult(
            name,
            False,
            f"{len(missing)} of {len(expected)} scheduled games ({sources}) missing from fct__game: "
            f"{_listed(missing)}",
        )
    return CheckResult(name, True, f"{len(expected)} scheduled games ({sources}) all in fct__game")


def schedule_records_usable(s: Scope, st: Stored) -> CheckResult:
    """A schedule record that was quarantined is a game the slate would silently lack."""
    name = "schedule_records_usable"
    rows = sorted(
        (
            q
            for f in _newest_fetches(s, st)
            for q in st.quarantined.get((f["run_id"], f["source"]), [])
        ),
        key=lambda q: (q["source"], q["ordinal"]),
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


def market_snapshot_per_game(s: Scope, st: Stored) -> CheckResult:
    def seen(game: str) -> bool:
        first = st.first_snapshot.get(game)
        return first is not None and first <= s.as_of

    missing = _missing(s, st, seen)
    total = len(_games(s, st))
    if missing:
        return CheckResult(
            "market_snapshot_per_game",
            False,
            f"{len(missing)} of {total} games have no market snapshot: {_listed(missing)}",
        )
    return CheckResult("market_snapshot_per_game", True, f"{total} games all have market snapshots")


def features_without_unexpected_nulls(s: Scope, st: Stored) -> CheckResult:
    name = "features_without_unexpected_nulls"
    missing = _missing(s, st, st.featured.__contains__)
    if missing:
        return CheckResult(
            name, False, f"{len(missing)} games have no feat__game row: {_listed(missing)}"
        )
    ids = st.incomplete.get(s.run_date, [])
    if ids:
        return CheckResult(
            name,
            False,
            f"{len(ids)} games have null required features ({', '.join(REQUIRED_FEATURES)}): {_listed(ids)}",
        )
    return CheckResult(name, True, f"{len(_games(s, st))} feature rows complete")


def prediction_per_game(s: Scope, st: Stored) -> CheckResult:
    problems = []
    for model, version in sorted(s.model_versions.items()):
        missing = _missing(s, st, lambda g: (s.run_id, g, model, version) in st.predicted)  # noqa: B023
        if missing:
            problems.append(f"{len(missing)} games lack a {version} prediction: {_listed(missing)}")
    versions = ", ".join(sorted(s.model_versions.values()))
    if problems:
        return CheckResult("prediction_per_game", False, "; ".join(problems))
    return CheckResult(
        "prediction_per_game", True, f"{len(_games(s, st))} games predicted by {versions}"
    )


def grounded_tldr_per_game(s: Scope, st: Stored) -> CheckResult:
    missing = _missing(s, st, lambda g: (s.run_id, g) in st.grounded)
    if missing:
        return CheckResult(
            "grounded_tldr_per_game",
            False,
            f"{len(missing)} games lack a grounded TL;DR: {_listed(missing)}",
        )
    return CheckResult("grounded_tldr_per_game", True, f"{len(_games(s, st))} grounded TL;DRs")


CHECKS: list[Callable[[Scope, Stored], CheckResult]] = [
    scheduled_games_in_fct_game,
    schedule_records_usable,
    market_snapshot_per_game,
    features_without_unexpected_nulls,
    prediction_per_game,
    grounded_tldr_per_game,
]


def run_checks(scope: Scope) -> list[CheckResult]:
    return run_checks_of([scope])[0]


def run_checks_of(scopes: Sequence[Scope]) -> list[list[CheckResult]]:
    """The checks of many scopes of one league (a backfill's batch) from one read of each relation."""
    stored = read_stored(scopes[0].warehouse, scopes)
    return [[check(s, stored) for check in CHECKS] for s in scopes]


def record_checks(wh: Warehouse, checked: Sequence[tuple[str, list[CheckResult]]]) -> None:
    """Each run's check results, replacing any it had (one statement each for a batch)."""
    now = datetime.now(UTC)
    runs = [run_id for run_id, _ in checked]
    with wh.transaction():
        wh.execute(f"delete from ops.validation where run_id in ({marks(runs)})", runs)
        wh.insert_all(
            "ops.validation",
            [
                {
                    "run_id": run_id,
                    "check_name": r.name,
                    "passed": r.passed,
                    "detail": r.detail,
                    "checked_at": now,
                }
                for run_id, results in checked
                for r in results
            ],
        )

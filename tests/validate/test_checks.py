"""The validation checks on a few hand-made rows (no dbt, no pipeline): what a date must cover
comes from the stored schedule as of the clock, outputs count only under the checked run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from spread_eagle.validate.checks import (
    REQUIRED_FEATURES,
    CheckResult,
    Scope,
    run_checks,
    run_checks_of,
)
from spread_eagle.warehouse import Warehouse, connect

DAY = date(2024, 11, 24)
CLOCK = datetime(2024, 11, 25, 11, 0, tzinfo=UTC)
GAMES = [("G1", "CAR", "KC"), ("G2", "WAS", "DAL")]  # (game_id, home, away)


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with connect(f"duckdb:///{tmp_path / 'checks.duckdb'}") as warehouse:
        warehouse.migrate()
        for sql in (
            "create schema facts",
            "create schema features",
            "create table facts.fct__game (game_id text, league_id text, game_date date,"
            " home_team_id text, away_team_id text)",
            "create table facts.fct__market_snapshot (game_id text, captured_at timestamp)",
            "create table features.feat__game (game_id text, league_id text, game_date date, "
            + ", ".join(
                f"{c} text" for c in REQUIRED_FEATURES if c not in ("home_team_id", "away_team_id")
            )
            + ", home_team_id text, away_team_id text"
            + "".join(
                f", {side}_{c} double"
                for side in ("home", "away")
                for c in (
                    "points_for_last_n",
                    "points_against_last_n",
                    "margin_last_n",
                    "games_last_n",
                )
            )
            + ")",
        ):
            warehouse.execute(sql)
        yield warehouse


def _schedule(
    wh: Warehouse,
    run_id: str,
    as_of: datetime,
    games: list[tuple[str, str, str]],
    day: date = DAY,
) -> None:
    wh.insert_all(
        "ops.run",
        [
            {
                "run_id": run_id,
                "league": "nfl",
                "run_date": day,
                "as_of": as_of,
                "env": "test",
                "status": "succeeded",
                "command": "test",
                "started_at": as_of,
            }
        ],
    )
    wh.insert_all(
        "ops.schedule_fetch",
        [
            {
                "run_id": run_id,
                "league": "nfl",
                "run_date": day,
                "source": "replay",
                "as_of": as_of,
                "games": len(games),
                "quarantined": 0,
            }
        ],
    )
    wh.insert_all(
        "ops.expected_game",
        [
            {
                "run_id": run_id,
                "league": "nfl",
                "run_date": day,
                "source": "replay",
                "home_team": h,
                "away_team": a,
                "kickoff_at": None,
            }
            for _, h, a in games
        ],
    )


def _complete(
    wh: Warehouse, run_id: str, games: list[tuple[str, str, str]], day: date = DAY
) -> None:
    """Facts, snapshots, features and this run's outputs for every game."""
    for game_id, home, away in games:
        wh.insert_all(
            "facts.fct__game",
            [
                {
                    "game_id": game_id,
                    "league_id": "nfl",
                    "game_date": day,
                    "home_team_id": home,
                    "away_team_id": away,
                }
            ],
        )
        wh.insert_all(
            "facts.fct__market_snapshot",
            [{"game_id": game_id, "captured_at": datetime(2024, 11, 24, 17, 55)}],
        )
        features = {c: "x" for c in REQUIRED_FEATURES}
        features.update(
            game_id=game_id, league_id="nfl", game_date=day, home_team_id=home, away_team_id=away
        )
        wh.insert_all("features.feat__game", [features])
        wh.insert_all(
            "outputs.game_prediction",
            [
                {
                    "run_id": run_id,
                    "league": "nfl",
                    "run_date": day,
                    "game_id": game_id,
                    "model": "m",
                    "model_version": "m-1",
                    "margin_home": 1.0,
                    "total": 40.0,
                    "p_home_win": 0.5,
                    "predicted_at": CLOCK,
                }
            ],
        )
        wh.insert_all(
            "outputs.game_tldr",
            [
                {
                    "run_id": run_id,
                    "league": "nfl",
                    "run_date": day,
                    "game_id": game_id,
                    "provider": "offline",
                    "tldr_text": "text",
                    "context_json": "{}",
                    "context_hash": "h",
                    "is_grounded": True,
                    "grounding_detail": "ok",
                    "generated_at": CLOCK,
                }
            ],
        )


def _checks(wh: Warehouse, run_id: str = "r1", accept: bool = False) -> dict[str, CheckResult]:
    scope = Scope(wh, "nfl", DAY, CLOCK, run_id, {"m": "m-1"}, accept)
    return {r.name: r for r in run_checks(scope)}


def test_a_date_with_no_stored_schedule_fails(wh: Warehouse) -> None:
    results = _checks(wh)
    assert not results["scheduled_games_in_fct_game"].passed
    assert (
        "no schedule of nfl 2024-11-24 is stored" in results["scheduled_games_in_fct_game"].detail
    )


def test_every_check_passes_on_complete_outputs_of_the_run(wh: Warehouse) -> None:
    _schedule(wh, "r1", CLOCK, GAMES)
    _complete(wh, "r1", GAMES)
    assert all(r.passed for r in _checks(wh).values()), _checks(wh)


def test_a_scheduled_game_missing_from_the_facts_is_named(wh: Warehouse) -> None:
    _schedule(wh, "r1", CLOCK, GAMES)
    _complete(wh, "r1", GAMES[:1])
    result = _checks(wh)["scheduled_games_in_fct_game"]
    assert not result.passed and "1 of 2" in result.detail and "DAL@WAS" in result.detail


def test_the_schedule_comes_from_the_newest_fetch_at_or_before_the_clock(wh: Warehouse) -> None:
    _schedule(wh, "early", datetime(2024, 11, 24, 12, 0, tzinfo=UTC), GAMES[:1])
    _schedule(wh, "later", datetime(2024, 11, 26, 12, 0, tzinfo=UTC), GAMES)  # after the clock
    _complete(wh, "r1", GAMES[:1])
    result = _checks(wh)["scheduled_games_in_fct_game"]
    assert result.passed and "1 scheduled games" in result.detail


def test_outputs_of_another_run_do_not_count(wh: Warehouse) -> None:
    _schedule(wh, "r1", CLOCK, GAMES)
    _complete(wh, "r0", GAMES)
    results = _checks(wh, run_id="r1")
    assert (
        not results["prediction_per_game"].passed and not results["grounded_tldr_per_game"].passed
    )


def test_a_snapshot_after_the_clock_does_not_count(wh: Warehouse) -> None:
    _schedule(wh, "r1", CLOCK, GAMES)
    _complete(wh, "r1", GAMES)
    wh.execute(
        "update facts.fct__market_snapshot set captured_at = ? where game_id = 'G2'",
        (datetime(2024, 11, 26),),
    )
    result = _checks(wh)["market_snapshot_per_game"]
    assert not result.passed and "G2" in result.detail


def test_a_quarantined_scheduled_game_fails_unless_accepted(wh: Warehouse) -> None:
    _schedule(wh, "r1", CLOCK, GAMES)
    _complete(wh, "r1", GAMES)
    wh.insert_all(
        "ops.schedule_quarantine",
        [
            {
                "run_id": "r1",
                "league": "nfl",
                "run_date": DAY,
                "source": "replay",
                "ordinal": 1,
                "record_ref": "G3",
                "reason": "unknown team 'XYZ' in home_team",
            }
        ],
    )
    refused = _checks(wh)["schedule_records_usable"]
    assert (
        not refused.passed and "G3" in refused.detail and "--accept-quarantined" in refused.detail
    )
    accepted = _checks(wh, accept=True)["schedule_records_usable"]
    assert accepted.passed and "accepted" in accepted.detail


def test_a_batch_is_checked_from_one_read_as_each_date_alone(wh: Warehouse) -> None:
    """A backfill checks its dates together (`run_checks_of`): each date's results are those of
    checking it alone, whatever the other dates hold."""
    week = timedelta(days=7)
    _schedule(wh, "r1", CLOCK, GAMES)
    _complete(wh, "r1", GAMES)
    later = [("G3", "NYG", "PHI"), ("G4", "SF", "SEA")]
    _schedule(wh, "r2", CLOCK + week, later, DAY + week)
    _complete(wh, "r2", later[:1], DAY + week)  # one scheduled game never reached the facts
    last = [("G5", "MIA", "BUF")]
    _schedule(wh, "r3", CLOCK + 2 * week, last, DAY + 2 * week)
    _complete(wh, "r0", last, DAY + 2 * week)  # another run's outputs
    scopes = [
        Scope(wh, "nfl", DAY + n * week, CLOCK + n * week, f"r{n + 1}", {"m": "m-1"})
        for n in range(3)
    ]
    together = run_checks_of(scopes)
    assert together == [run_checks(s) for s in scopes]
    failed = [[r.name for r in results if not r.passed] for results in together]
    assert failed == [
        [],
        ["scheduled_games_in_fct_game"],
        ["prediction_per_game", "grounded_tldr_per_game"],
    ]

"""Audited result corrections: recorded with who, when, why and what they replaced; applied over
every source by the next run of any date at or after the game, also beyond the incremental
lookback; listed by `spread-eagle corrections`. Both engines."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from spread_eagle.cli import app
from spread_eagle.corrections import (
    CorrectionError,
    list_corrections,
    pending_rebuild_from,
    record_applied,
    record_correction,
)
from spread_eagle.warehouse import connect

pytestmark = pytest.mark.slow

GAME = "2024_12_KC_CAR"  # CAR (home) 27, KC 30; CAR +11 covered
LATER = date(2025, 1, 5)  # KC's last regular-season week: far beyond the 21-day lookback
# KC's games after the corrected one; the first two are more than 21 days before LATER, so an
# incremental build of LATER re-writes them only because the correction pulls rebuild_from back.
KC_AFTER = ["2024_13_LV_KC", "2024_14_LAC_KC"]


@pytest.fixture
def cli(published_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("SPREAD_EAGLE_DATABASE_URL", published_url)
    monkeypatch.setenv("SPREAD_EAGLE_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("SPREAD_EAGLE_ENV", "audit-test")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args))

    return invoke


def _kc_form(url: str) -> dict[str, tuple[Any, ...]]:
    with connect(url, read_only=True) as wh:
        rows = wh.query(
            "select game_id, games_season, points_for_season, points_against_last_n"
            " from features.feat__team_form where team_id = 'KC' and game_id in (?, ?)",
            KC_AFTER,
        )
    return {
        r["game_id"]: (r["games_season"], r["points_for_season"], r["points_against_last_n"])
        for r in rows
    }


def test_a_correction_reaches_fct_game_later_features_and_the_published_result(
    cli: Any, published_url: str
) -> None:
    # A later date first: its build moves the features' high-water mark to January.
    later = cli("run-daily", "--date", LATER.isoformat())
    assert later.exit_code == 0, later.output
    before = _kc_form(published_url)
    assert set(before) == set(KC_AFTER)
    slate_before = json.loads(cli("slate", "--date", "2024-11-24", "--json").output)
    card = next(g for g in slate_before["games"] if g["game_id"] == GAME)
    assert card["result"] == {"home_score": 27, "away_score": 30, "home_covered": True}

    # KC really won 34-20 (not the real result: a correction the test can see everywhere). The
    # replay of 2024-11-24 runs on the clock 2024-11-25T11:00Z: the correction is visible from 08:00.
    recorded = cli(
        "correct-result",
        "--game",
        GAME,
        "--home-score",
        "20",
        "--away-score",
        "34",
        "--reason",
        "official scorer's change",
        "--as-of",
        "2024-11-25T08:00:00Z",
    )
    assert recorded.exit_code == 0, recorded.output
    assert "was 27-30" in recorded.output and "nflverse" in recorded.output
    listed = json.loads(cli("corrections", "--json").output)
    assert len(listed) == 1
    row = listed[0]
    assert row["game_id"] == GAME and (row["home_score"], row["away_score"]) == (20, 34)
    assert (row["previous_home_score"], row["previous_away_score"]) == (27, 30)
    assert row["previous_source"] == "nflverse" and row["previous_status"] == "final"
    assert row["reason"] == "official scorer's change" and row["env"] == "audit-test"
    assert row["corrected_by"] and row["recorded_at"] and row["applied_by_run_id"] is None
    assert row["corrected_at"] == "2024-11-25T08:00:00Z"

    # The next run of the later date re-processes KC's form from the corrected game on, beyond
    # its 21-day lookback.
    again = cli("run-daily", "--date", LATER.isoformat())
    assert again.exit_code == 0, again.output
    after = _kc_form(published_url)
    for game_id in KC_AFTER:
        games, points_for, _ = before[game_id]
        assert after[game_id][0] == games
        assert after[game_id][1] == pytest.approx(points_for + 4 / games), game_id
    # LV_KC is KC's next game: the corrected one is in its last-N window (CAR scored 20, not 27).
    assert after["2024_13_LV_KC"][2] != before["2024_13_LV_KC"][2]
    applied = json.loads(cli("corrections", "--json").output)[0]
    assert applied["applied_by_run_id"] is not None

    # The next run of the game's own date republishes its result.
    own = cli("run-daily", "--date", "2024-11-24")
    assert own.exit_code == 0, own.output
    with connect(published_url, read_only=True) as wh:
        fact = wh.query(
            "select home_score, away_score, status, score_source_id, correction_id"
            " from facts.fct__game where game_id = ?",
            (GAME,),
        )
    assert fact == [
        {
            "home_score": 20,
            "away_score": 34,
            "status": "final",
            "score_source_id": "correction",
            "correction_id": row["correction_id"],
        }
    ]
    slate_after = json.loads(cli("slate", "--date", "2024-11-24", "--json").output)
    card = next(g for g in slate_after["games"] if g["game_id"] == GAME)
    assert card["result"] == {"home_score": 20, "away_score": 34, "home_covered": False}
    # Every other game's result is untouched.
    others = {g["game_id"]: g["result"] for g in slate_before["games"] if g["game_id"] != GAME}
    assert {g["game_id"]: g["result"] for g in slate_after["games"] if g["game_id"] != GAME} == (
        others
    )
    table = cli("corrections")
    assert table.exit_code == 0 and GAME in table.output and "official" in table.output


def test_correct_result_refuses_what_it_cannot_audit(cli: Any) -> None:
    unknown = cli(
        "correct-result", "--game", "2024_12_XX_YY", "--home-score", "1", "--away-score", "2",
        "--reason", "typo",
    )  # fmt: skip
    assert unknown.exit_code == 1 and "unknown game" in unknown.output
    blank = cli(
        "correct-result", "--game", GAME, "--home-score", "1", "--away-score", "2", "--reason", " "
    )
    assert blank.exit_code == 1 and "--reason is required" in blank.output
    negative = cli(
        "correct-result", "--game", GAME, "--home-score", "-1", "--away-score", "2",
        "--reason", "typo",
    )  # fmt: skip
    assert negative.exit_code == 1 and "negative" in negative.output
    none = cli("corrections")
    assert none.exit_code == 0 and "No corrections recorded" in none.output


def test_a_correction_is_pending_until_a_clock_that_sees_it_builds_it(published_url: str) -> None:
    early = datetime(2024, 11, 25, 11, tzinfo=UTC)
    with connect(published_url) as wh:
        wh.migrate()
        first = record_correction(
            wh, league="nfl", game_id=GAME, home_score=20, away_score=34, reason="a",
            env="test", corrected_at=datetime(2024, 11, 25, 8, tzinfo=UTC), user="ops",
        )  # fmt: skip
        second = record_correction(
            wh, league="nfl", game_id=GAME, home_score=21, away_score=34, reason="b",
            env="test", corrected_at=datetime(2024, 12, 1, tzinfo=UTC), user="ops",
        )  # fmt: skip
        assert second["replaces_correction_id"] == first["correction_id"]
        assert second["corrected_by"] == "ops"
        # a clock before both sees neither; the first one's clock sees only the first
        assert pending_rebuild_from(wh, "nfl", datetime(2024, 11, 25, tzinfo=UTC)) is None
        assert pending_rebuild_from(wh, "nfl", early) == date(2024, 11, 24)
        assert record_applied(wh, "nfl", "run-a", datetime(2025, 1, 1, tzinfo=UTC)) == 2
        assert pending_rebuild_from(wh, "nfl", datetime(2025, 1, 1, tzinfo=UTC)) is None
        # an older clock re-builds features without the second one: it is pending again
        assert record_applied(wh, "nfl", "run-b", early) == 0
        assert pending_rebuild_from(wh, "nfl", datetime(2025, 1, 1, tzinfo=UTC)) == date(
            2024, 11, 24
        )
        applied = {c["correction_id"]: c["applied_by_run_id"] for c in list_corrections(wh)}
        assert applied == {first["correction_id"]: "run-a", second["correction_id"]: None}
        with pytest.raises(CorrectionError, match="unknown game"):
            record_correction(
                wh, league="nba", game_id=GAME, home_score=1, away_score=2, reason="x", env="t"
            )

"""The dbt project as a whole: its unit tests pass on every engine, and DuckDB and PostgreSQL
build the same rows from the same input."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from spread_eagle.config import BUNDLED_GAMES_FILE, BUNDLED_LINES_FILE, Settings
from spread_eagle.warehouse import connect
from tests.conftest import make_settings
from tests.transform.helpers import dbt, differences, land, rows

pytestmark = pytest.mark.slow

UNIT_TESTS = {
    "vig_removal_and_as_of_window_per_book",
    "consensus_is_median_and_close_needs_a_late_snapshot",
    "best_available_is_most_favorable_line_then_price",
    "team_game_sign_conversion_and_ats_grading",
    "game_line_pivots_open_current_close_and_best",
    "form_uses_only_games_before_kickoff",
    "cover_and_push_grading",
    "nflverse_spread_sign_is_flipped_to_spread_home",
    "nflverse_kickoff_is_utc_and_game_date_stays_local",
    "nflverse_newest_payload_wins",
    "conformed_game_takes_a_correction_over_every_source",
    "corrections_newest_visible_correction_wins",
}


def test_dbt_unit_tests_pass(settings: Settings) -> None:
    with connect(settings.database_url) as wh:
        wh.migrate()  # the sources the unit tests' inputs are typed from
    dbt(settings, ["run", "--empty"])
    outcome = dbt(settings, ["test", "--select", "test_type:unit"])
    ran = {n.unique_id.rsplit(".", 1)[1]: n.status for n in outcome.nodes}
    assert set(ran) >= UNIT_TESTS, UNIT_TESTS - set(ran)
    assert set(ran.values()) == {"pass"}


def test_duckdb_and_postgres_build_the_same_rows(tmp_path: Path, postgres_url: str) -> None:
    # The whole bundled history (1999-2024), every model and data test, on both engines.
    built = {}
    for name, url in (("duckdb", f"duckdb:///{tmp_path / 'w.duckdb'}"), ("postgres", postgres_url)):
        engine = make_settings(
            tmp_path / name, url, games_file=BUNDLED_GAMES_FILE, lines_file=BUNDLED_LINES_FILE
        )
        land(engine, date(2025, 2, 9), as_of=datetime(2025, 3, 1, tzinfo=UTC)).warehouse.close()
        dbt(engine, ["build", "--exclude", "tag:publish", "--exclude-resource-type", "unit_test"])
        built[name] = {
            relation: rows(engine, relation)
            for relation in ("facts.fct__game", "facts.fct__game_line", "features.feat__game")
        }
    for relation, duck in built["duckdb"].items():
        assert len(duck) == 6991 if relation != "facts.fct__game_line" else len(duck) > 6900
        assert differences(duck, built["postgres"][relation]) == [], relation
    superbowl = built["duckdb"]["features.feat__game"][("2024_22_KC_PHI",)]
    assert superbowl["spread_home_current"] == 1.5 and superbowl["is_neutral_site"] is True

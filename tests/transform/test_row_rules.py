"""The project's row-level data test, `every_row_holds` (dbt/macros/tests/generic_tests.sql), on
every engine: each kind of rule fails the rows that break it and no other (a null passes a rule,
as in dbt's own tests), a failing row names the rules it breaks, and so does the failure's message."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spread_eagle.leagues import load_league
from spread_eagle.transform import dbt_runner
from spread_eagle.warehouse import connect
from tests.conftest import FIXTURES
from tests.transform.helpers import project_copy

PROBE = FIXTURES / "dbt_row_rules"


def test_every_row_holds_fails_each_broken_rule_and_names_it(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_copy(tmp_path, monkeypatch)
    shutil.copytree(PROBE, project / "models" / "probe")
    work = tmp_path / "dbt"
    with connect(warehouse_url) as wh:
        wh.migrate()
        outcome = dbt_runner.run_dbt(
            wh, ["build", "--select", "rules_probe"], league=load_league("nfl"), work_dir=work
        )
    statuses = {n.unique_id.split(".")[2]: (n.status, n.message) for n in outcome.nodes}
    assert statuses["rules_probe"][0] == "success"
    status, message = statuses["rules_probe_rows_hold"]
    # the failure says which rules its rows break (what the ledger and the step's error carry)
    assert status == "fail" and (message or "").startswith("Got 10 results")
    assert (message or "").endswith(
        ": 2 row(s) break pair_id not unique; 2 row(s) break pair_id not unique, (pair_id,"
        " amount) not unique; 1 row(s) break amount is null; 1 row(s) break game_type not accepted;"
        " 1 row(s) break kind is null; +3 more combinations"
    )

    compiled = next((work / "target" / "compiled").rglob("rules_probe_rows_hold.sql"))
    with connect(warehouse_url) as wh:
        failing = {
            r["row_id"]: r["broken_rules"] for r in wh.query(compiled.read_text(encoding="utf-8"))
        }
    assert failing == {
        "required is null": "kind is null",
        "nullable when condition fails": "amount is null",
        "not an accepted value": "game_type not accepted",
        "rule broken": "teams differ",
        "out of bounds": "points within 0-10",
        "two broken": "kind is null, points within 0-10",
        "duplicate key 1": "pair_id not unique, (pair_id, amount) not unique",
        "duplicate key 2": "pair_id not unique, (pair_id, amount) not unique",
        "duplicate null key 1": "pair_id not unique",
        "duplicate null key 2": "pair_id not unique",
    }

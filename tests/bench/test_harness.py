"""The harness's figure bookkeeping on fake timings, in memory (no pipeline is run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.harness import Figure, Results, commit, machine, ratio, versions, write


def test_a_figure_is_the_median_min_and_max_of_its_runs_beside_its_goal() -> None:
    f = Figure("backtest_s", "s", [9.0, 7.0, 30.0], goal=20.0)
    assert (f.median, f.min, f.max, f.met) == (9.0, 7.0, 30.0, True)
    assert f.as_json() == {
        "median": 9.0,
        "min": 7.0,
        "max": 30.0,
        "unit": "s",
        "goal": 20.0,
        "met": True,
        "runs": 3,
    }
    assert Figure("x", "s", [1.0, 2.0, 3.0, 4.0]).median == 2.5
    assert Figure("ui_p99_ms", "ms", [60.0, 40.0, 70.0], goal=50.0).met is False
    assert Figure("ui_p50_ms", "ms", [10.0]).met is None  # no goal: nothing to meet


def test_a_skipped_figure_is_null_and_says_why() -> None:
    results = Results()
    results.skip("test_suite_s", "s", "skipped: --quick")
    doc = results.document({}, {}, "abc")["figures"]["test_suite_s"]
    assert doc["median"] is None and doc["min"] is None and doc["max"] is None
    assert doc["note"] == "skipped: --quick" and doc["met"] is None and doc["runs"] == 0


def test_a_ratio_is_taken_pair_by_pair_from_the_same_run() -> None:
    results = Results()
    results.add("run_daily_s", "s", [12.0, 13.0, 11.0])
    results.add("dbt_build_s", "s", [10.0, 10.0, 10.0])
    r = results.add_ratio("run_daily_over_dbt", "run_daily_s", "dbt_build_s", goal=1.2)
    assert r.samples == pytest.approx([1.2, 1.3, 1.1])
    assert r.median == pytest.approx(1.2) and r.met is True and r.unit == "x"
    assert r.min == pytest.approx(1.1) and r.max == pytest.approx(1.3)


def test_unpaired_samples_give_the_ratio_of_the_medians() -> None:
    r = ratio("t", Figure("a", "s", [2.0, 4.0, 6.0]), Figure("b", "s", [2.0]), goal=1.1)
    assert r.samples == [2.0] and r.met is False and "medians" in (r.note or "")


def test_a_ratio_of_a_skipped_figure_is_skipped_with_the_reason() -> None:
    r = ratio("s", Figure("a", "s", [], note="no server"), Figure("b", "s", [1.0]))
    assert r.median is None and r.note == "not measured: a missing (no server)"


def test_results_are_written_as_json_and_a_markdown_table(tmp_path: Path) -> None:
    results = Results()
    results.add("backfill_duckdb_s", "s", [100.0, 130.0, 110.0], goal=120.0)
    results.add("peak_rss_mb_backfill_duckdb", "MB", [512.0])
    results.skip("backfill_postgres_s", "s", "skipped: no PostgreSQL server")
    json_path, md_path = write(results, tmp_path / "bench.json", machine())
    doc = json.loads(json_path.read_text())
    assert set(doc) >= {"figures", "machine", "versions", "commit"}
    assert doc["figures"]["backfill_duckdb_s"] == {
        "median": 110.0,
        "min": 100.0,
        "max": 130.0,
        "unit": "s",
        "goal": 120.0,
        "met": True,
        "runs": 3,
    }
    assert doc["machine"]["cores"] and doc["machine"]["memory_mb"]
    assert doc["versions"]["python"] and doc["versions"]["dbt-core"] and doc["versions"]["duckdb"]
    table = md_path.read_text()
    assert "| backfill_duckdb_s | 110 | 100 | 130 | s | <= 120 | yes | 3 |" in table
    assert "| backfill_postgres_s | n/a | n/a | n/a | s |" in table


def test_versions_and_commit_are_known() -> None:
    assert versions()["python"].startswith("3.")
    assert len(commit().split("+")[0]) in (40, len("unknown"))

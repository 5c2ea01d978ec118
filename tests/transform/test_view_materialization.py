"""The project's view materialization (dbt/macros/view.sql) on every engine: a view is replaced in
place, a view whose columns changed is built anew (on PostgreSQL with the views built on it, which
the build then builds again), a table of the view's name gives way to it, and rebuilding a view
leaves the views built on it standing."""

from __future__ import annotations

from pathlib import Path

import pytest

from spread_eagle.leagues import load_league
from spread_eagle.transform import dbt_runner
from spread_eagle.warehouse import connect
from tests.transform.helpers import project_copy

BASE = "select 1 as a, 'x' as b"
CHILD = "select a, b from {{ ref('probe_base') }}"


def _write(project: Path, name: str, sql: str, materialized: str = "view") -> None:
    folder = project / "models" / "probe"
    folder.mkdir(exist_ok=True)
    config = f"{{{{ config(materialized='{materialized}', schema='staging') }}}}\n"
    (folder / f"{name}.sql").write_text(config + sql + "\n", encoding="utf-8")


def _relation_type(url: str, name: str) -> str | None:
    with connect(url) as wh:
        return wh.scalar(
            "select table_type from information_schema.tables where table_name = ?", (name,)
        )


def test_views_are_replaced_rebuilt_when_their_columns_change_and_keep_their_dependents(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_copy(tmp_path, monkeypatch)

    def build(*names: str) -> None:
        with connect(warehouse_url) as wh:
            outcome = dbt_runner.run_dbt(
                wh,
                ["run", "--select", *names],
                league=load_league("nfl"),
                work_dir=tmp_path / "dbt",
            )
        assert outcome.success, [(n.unique_id, n.message) for n in outcome.failures()]

    def rows(name: str) -> list[dict[str, object]]:
        with connect(warehouse_url) as wh:
            return wh.query(f"select * from staging.{name}")

    with connect(warehouse_url) as wh:
        wh.migrate()
    # a table of the name first: the view replaces it
    _write(project, "probe_base", BASE, materialized="table")
    build("probe_base")
    assert _relation_type(warehouse_url, "probe_base") == "BASE TABLE"
    _write(project, "probe_base", BASE)
    _write(project, "probe_child", CHILD)
    build("probe_base", "probe_child")
    assert _relation_type(warehouse_url, "probe_base") == "VIEW"
    assert rows("probe_child") == [{"a": 1, "b": "x"}]

    # the same columns: replaced in place, and the view built on it still stands
    _write(project, "probe_base", "select 2 as a, 'y' as b")
    build("probe_base")
    assert rows("probe_child") == [{"a": 2, "b": "y"}]

    # other columns (one dropped, one of another type, one added): built anew, then its child
    _write(project, "probe_base", "select 'three' as a, 3.5 as c")
    _write(project, "probe_child", "select a, c from {{ ref('probe_base') }}")
    build("probe_base", "probe_child")
    assert rows("probe_base") == [{"a": "three", "c": 3.5}]
    assert rows("probe_child") == [{"a": "three", "c": 3.5}]

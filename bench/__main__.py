"""Every benchmark, one command: `python -m bench [--quick] [--out FILE] [--database-url URL]
[--postgres-url URL] [--suite] [--profile]`.

Each benchmark runs in a child process (`bench.child`, or the real `spread-eagle` command), so
its wall time and peak RSS are its own. Writes FILE (JSON: figures with median/min/max, unit and
goal; machine, versions, commit) and FILE with .md (the same as a Markdown table); with
--profile (default for a full run), cProfile text of the slowest commands in FILE's folder
under <stem>.profiles/.

--quick: one season of history (2024 games file), one repeat, a 2 s UI window, the transform's
"26 seasons" case reduced to 2 and a 3-week backfill (each such figure says so in its note); the
test suite is not run. A missed goal never fails the command; a benchmark that breaks does
(exit 1, after the results are written).
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import (
    ROOT,
    Results,
    commit,
    drop_pg_database,
    fresh_pg_database,
    machine,
    run_child,
    write,
)
from spread_eagle.transform.dbt_runner import environment

SEASON = ("2023-09-07", "2024-02-11")  # one whole season (63 dates), with all earlier history
GOALS = {
    "run_daily_over_dbt": 1.2,
    "nba_over_nfl_daily": 1.2,
    "transform_scaling": 1.1,
    "backfill_duckdb_s": 120.0,
    "backtest_s": 20.0,
    "ui_p99_ms": 50.0,
}


class Harness:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.quick: bool = args.quick
        self.work = work
        self.results = Results()
        self.failures: list[str] = []
        self.pg_url: str | None = args.postgres_url or os.environ.get(
            "SPREAD_EAGLE_TEST_POSTGRES_URL"
        )
        self.games_2024: str | None = None
        if self.quick:
            from bench.transform import games_file

            self.games_2024 = str(games_file(work, 2024))

    # -- running ---------------------------------------------------------------------------------

    def child(self, module: str, **kwargs: Any) -> tuple[dict[str, Any], float]:
        """bench.<module>.measure(**kwargs) in a child process: its result and peak RSS (MB)."""
        folder = Path(tempfile.mkdtemp(prefix=f"{module}_", dir=self.work))
        out = folder / "result.json"
        params = json.dumps({"work": str(folder), **kwargs})
        argv = [sys.executable, "-m", "bench.child", module, params, str(out)]
        # this tree's bench and spread_eagle first, whatever the venv has installed (an editable
        # install of another worktree would otherwise be what is measured), then the caller's path
        path = [str(ROOT), str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        env = {**os.environ, "DO_NOT_TRACK": "1", "PYTHONPATH": os.pathsep.join(path)}
        run = run_child(argv, env)
        if run.returncode:
            raise RuntimeError(f"bench.{module} failed ({run.returncode}):\n{run.output[-3000:]}")
        return json.loads(out.read_text(encoding="utf-8")), run.peak_rss_mb

    def step(self, name: str, body: Callable[[], None]) -> None:
        print(f"[bench] {name} ...", flush=True)
        try:
            body()
        except Exception as exc:
            self.failures.append(f"{name}: {type(exc).__name__}: {exc}")
            self.results.notes.append(f"{name} broke: {type(exc).__name__}: {str(exc)[:300]}")
            traceback.print_exc()

    def fresh_pg(self) -> str:
        assert self.pg_url is not None
        return fresh_pg_database(self.pg_url)

    drop_pg = staticmethod(drop_pg_database)

    # -- the benchmarks --------------------------------------------------------------------------

    def daily_run(self) -> None:
        settings = {"games_file": self.games_2024} if self.games_2024 else {}
        got, rss = self.child(
            "daily_run",
            database_url=self.args.database_url,
            repeat=1 if self.quick else 3,
            **settings,
        )
        note = f"{got['engine']}, 2024-11-24, warm warehouse" + (
            "; quick: 2024 season only" if self.quick else ""
        )
        r = self.results
        r.add("run_daily_s", "s", got["run_daily_s"], note=note)
        r.add("dbt_build_s", "s", got["dbt_build_s"], note="the transform step's build, in-process")
        r.add_ratio("run_daily_over_dbt", "run_daily_s", "dbt_build_s", GOALS["run_daily_over_dbt"])
        r.add("run_daily_cold_s", "s", got["cold_s"], note="fresh warehouse (loads its history)")
        r.add("peak_rss_mb_run_daily", "MB", [rss], note="child: cold + warm runs + dbt builds")

    def leagues(self) -> None:
        got, rss = self.child("leagues", repeat=1 if self.quick else 3)
        days = got["days"]
        r = self.results
        r.add("nfl_daily_s", "s", got["nfl_s"], note=f"DuckDB, both leagues, warm, {days['nfl']}")
        r.add("nba_daily_s", "s", got["nba_s"], note=f"the same warehouse, {days['nba']}")
        r.add_ratio("nba_over_nfl_daily", "nba_daily_s", "nfl_daily_s", GOALS["nba_over_nfl_daily"])
        r.add("peak_rss_mb_leagues", "MB", [rss], note="child: two cold runs + the warm pairs")

    def transform(self) -> None:
        # --quick: DuckDB only (each case is two dbt builds; the PostgreSQL path is kept working
        # by the quick backfill)
        engines = ["duckdb"] + (["postgres"] if self.pg_url and not self.quick else [])
        seasons = (2024, 2023) if self.quick else (2024, 1999)
        peak = 0.0
        for engine in engines:
            suffix = "" if engine == "duckdb" else "_postgres"
            got, rss = self.child(
                "transform",
                engine=engine,
                pg_url=self.pg_url or "",
                first_seasons=list(seasons),
                repeat=1 if self.quick else 3,
            )
            peak = max(peak, rss)
            long_note = f"{engine}, {got['long_games']} games" + (
                "; quick: 2 seasons (2023-2024), not 26" if self.quick else ""
            )
            r = self.results
            r.add(
                f"transform_1_season_s{suffix}",
                "s",
                got["short_s"],
                note=f"{engine}, {got['short_games']} games",
            )
            r.add(f"transform_26_seasons_s{suffix}", "s", got["long_s"], note=long_note)
            r.add_ratio(
                f"transform_scaling{suffix}",
                f"transform_26_seasons_s{suffix}",
                f"transform_1_season_s{suffix}",
                GOALS["transform_scaling"],
            )
        if "postgres" not in engines:
            why = self.no_pg if not self.pg_url else "skipped: --quick (DuckDB only)"
            for name in ("transform_1_season_s_postgres", "transform_26_seasons_s_postgres"):
                self.results.skip(name, "s", why)
            self.results.skip("transform_scaling_postgres", "x", why, GOALS["transform_scaling"])
        self.results.add("peak_rss_mb_transform", "MB", [peak], note="largest engine's child")

    no_pg = "skipped: no PostgreSQL server (--postgres-url or SPREAD_EAGLE_TEST_POSTGRES_URL)"

    def skip_pg(self, *names: str) -> None:
        for name in names:
            unit = "MB" if name.startswith("peak_rss") else "s"
            self.results.skip(name, unit, self.no_pg, GOALS.get(name))

    def backfill_range(self) -> tuple[str, str, str]:
        if self.quick:
            return "2024-09-05", "2024-09-23", "quick: 2024-09-05..2024-09-23 of the 2024 season"
        return "1999-09-12", "2024-12-31", "1999-09-12..2024-12-31, offline writer, fresh warehouse"

    def backfill(self) -> None:
        extra = {"games_file": self.games_2024} if self.games_2024 else {}
        for engine in ("duckdb", "postgres"):
            if engine == "postgres" and not self.pg_url:
                self.skip_pg("backfill_postgres_s", "peak_rss_mb_backfill_postgres")
                continue
            start, end, note = self.backfill_range()
            if engine == "postgres" and self.args.postgres_backfill == "season" and not self.quick:
                start, end = SEASON
                note = (
                    f"one season only ({start}..{end}, --postgres-backfill season), offline writer"
                )
            url = self.fresh_pg() if engine == "postgres" else None
            try:
                got = self._backfill_child(url, start, end, extra)
            finally:
                if url:
                    self.drop_pg(url)
            goal = GOALS["backfill_duckdb_s"] if engine == "duckdb" and not self.quick else None
            self.results.add(f"backfill_{engine}_s", "s", got["backfill_s"], goal, note)
            self.results.add(
                f"peak_rss_mb_backfill_{engine}", "MB", got["peak_rss_mb"], note="the CLI"
            )

    def _backfill_child(
        self, url: str | None, start: str, end: str, extra: dict[str, str]
    ) -> dict[str, Any]:
        from bench.backfill import run_backfill

        folder = Path(tempfile.mkdtemp(prefix="backfill_", dir=self.work))
        url = url or f"duckdb:///{folder / 'backfill.duckdb'}"
        games = {"SPREAD_EAGLE_GAMES_FILE": extra["games_file"]} if extra.get("games_file") else {}
        with environment(games):  # the child inherits it
            run = run_backfill(url, folder, start, end)
        print(f"[bench]   {run.output.strip().splitlines()[-1]}", flush=True)
        return {"backfill_s": [run.seconds], "peak_rss_mb": [run.peak_rss_mb]}

    def backtest(self) -> None:
        from bench.backtest import measure

        got = measure(str(self.work), 1999, 2024, repeat=1 if self.quick else 3)
        note = "spread-eagle backtest --start-season 1999 --end-season 2024 (the CLI)"
        self.results.add("backtest_s", "s", got["backtest_s"], GOALS["backtest_s"], note)
        self.results.add("peak_rss_mb_backtest", "MB", [max(got["peak_rss_mb"])], note="the CLI")

    def ui(self) -> None:
        # PostgreSQL too when a server is given, outside --quick (its publish is a long run-daily)
        pg = self.pg_url is not None and not self.quick
        for suffix in ("", "_postgres") if pg else ("",):
            self._ui(suffix)
        if not pg:
            why = self.no_pg if not self.pg_url else "skipped: --quick (DuckDB only)"
            for name in ("ui_p50_ms", "ui_p99_ms", "api_p50_ms", "api_p99_ms"):
                goal = GOALS["ui_p99_ms"] if "p99" in name else None
                self.results.skip(f"{name}_postgres", "ms", why, goal)

    def _ui(self, suffix: str) -> None:
        """The UI figures over a fresh DuckDB warehouse (suffix "") or PostgreSQL database."""
        url = self.fresh_pg() if suffix else None
        if self.games_2024:
            os.environ["SPREAD_EAGLE_GAMES_FILE"] = self.games_2024
        try:
            got, _ = self.child(
                "ui",
                database_url=url,
                publish_first=True,
                seconds=2.0 if self.quick else 10.0,
                connections=32,
                windows=1 if self.quick else 3,
            )
        finally:
            if self.games_2024:
                os.environ.pop("SPREAD_EAGLE_GAMES_FILE", None)
            if url:
                self.drop_pg(url)
        window = "2 s" if self.quick else "10 s"
        engine = "PostgreSQL" if suffix else "DuckDB"
        note = f"{engine}, 32 connections, {window} windows, the load generator on the same cores"
        goal = GOALS["ui_p99_ms"]
        r = self.results
        r.add(f"ui_p50_ms{suffix}", "ms", got["page_p50_ms"], note=f"/slates/2024-11-24, {note}")
        r.add(f"ui_p99_ms{suffix}", "ms", got["page_p99_ms"], goal, f"/slates/2024-11-24, {note}")
        r.add(f"api_p50_ms{suffix}", "ms", got["api_p50_ms"], note="/api/slates/2024-11-24")
        r.add(f"api_p99_ms{suffix}", "ms", got["api_p99_ms"], goal, "/api/slates/2024-11-24")
        r.add(
            f"ui_requests_per_s{suffix}",
            "req/s",
            got["page_rps"],
            note=f"the slate page; non-200: {got['non_200']}",
        )
        r.add(
            f"ui_server_cpu_us{suffix}",
            "us",
            got["page_server_cpu_us"],
            note="the server's CPU per slate-page request",
        )
        r.add(
            f"ui_loadgen_cpu_us{suffix}",
            "us",
            got["page_client_cpu_us"],
            note="the load generator's CPU per slate-page request (it shares the cores)",
        )
        r.add(f"peak_rss_mb_serve{suffix}", "MB", got["server_peak_rss_mb"], note="uvicorn")

    def suite(self) -> None:
        if self.quick or not self.args.suite:
            why = "--quick" if self.quick else "not asked (--suite)"
            self.results.skip("test_suite_s", "s", f"skipped: {why}")
            self.results.skip("peak_rss_mb_test_suite", "MB", f"skipped: {why}")
            return
        # the README's test command (scripts/check.sh): 2 workers, PostgreSQL too when given
        env = {**os.environ, "DO_NOT_TRACK": "1"}
        if self.pg_url:
            env["SPREAD_EAGLE_TEST_POSTGRES_URL"] = self.pg_url
        command = ["-m", "pytest", "tests", "-q", "-x", "-n", "2", "--dist", "loadscope"]
        run = run_child([sys.executable, *command], env)
        tail = run.output.strip().splitlines()[-1:] or [""]
        self.results.add("test_suite_s", "s", [run.seconds], note=tail[0][:120])
        self.results.add("peak_rss_mb_test_suite", "MB", [run.peak_rss_mb])
        if run.returncode:
            raise RuntimeError(f"the test suite failed: {tail[0]}")

    # -- profiles --------------------------------------------------------------------------------

    def profiles(self, folder: Path) -> None:
        """cProfile of the slowest commands (the backfill, run-daily on a warm warehouse, the
        backtest), each as pstats text: cumulative and own time."""
        from bench.backfill import run_backfill

        folder.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix="profile_", dir=self.work))
        url = f"duckdb:///{work / 'profile.duckdb'}"
        start, end, _ = self.backfill_range()
        if not self.quick:  # the whole history under cProfile is long; one season shows the mix
            start, end = SEASON
        if self.games_2024:
            os.environ["SPREAD_EAGLE_GAMES_FILE"] = self.games_2024
        try:
            raw = work / "backfill.prof"
            run_backfill(url, work, start, end, profile=raw)
            self._text(raw, folder / "backfill_duckdb.txt", f"spread-eagle backfill {start}..{end}")
            env = {
                **os.environ,
                "SPREAD_EAGLE_DATABASE_URL": url,
                "SPREAD_EAGLE_LOG_DIR": str(work / "logs"),
            }
            day = "2024-09-23" if self.quick else "2024-11-24"
            for name, cli in (
                ("run_daily", ["run-daily", "--date", day]),
                ("backtest", ["backtest", "--start-season", "1999", "--end-season", "2024"]),
            ):
                raw = work / f"{name}.prof"
                argv = [sys.executable, "-m", "cProfile", "-o", str(raw), "-m", "spread_eagle"]
                if name == "backtest":
                    cli = [*cli, "--out", str(work / "bt")]
                run = run_child([*argv, *cli], env)
                if run.returncode:
                    raise RuntimeError(f"{name} failed: {run.output[-2000:]}")
                self._text(raw, folder / f"{name}.txt", "spread-eagle " + " ".join(cli))
        finally:
            if self.games_2024:
                os.environ.pop("SPREAD_EAGLE_GAMES_FILE", None)

    @staticmethod
    def _text(raw: Path, out: Path, title: str) -> None:
        with out.open("w", encoding="utf-8") as handle:
            handle.write(f"# cProfile of `{title}` (wall clock under cProfile is inflated)\n\n")
            stats = pstats.Stats(str(raw), stream=handle)
            stats.strip_dirs()
            handle.write("## by cumulative time\n")
            stats.sort_stats("cumulative").print_stats(45)
            handle.write("## by own time\n")
            stats.sort_stats("tottime").print_stats(30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small inputs, one repeat (CI)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench/out/bench.json")
    parser.add_argument(
        "--database-url",
        default=None,
        help="warehouse for the run-daily figures (default: a fresh DuckDB file)",
    )
    parser.add_argument(
        "--postgres-url",
        default=None,
        help="PostgreSQL server for the PostgreSQL figures (default: "
        "$SPREAD_EAGLE_TEST_POSTGRES_URL; none: skipped)",
    )
    parser.add_argument("--suite", action="store_true", help="also time the test suite")
    parser.add_argument(
        "--postgres-backfill",
        choices=["full", "season"],
        default="full",
        help="backfill_postgres_s over 1999-2024 (full) or one season (2023-24)",
    )
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write cProfile text of the slowest commands (default: on unless --quick)",
    )
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated subset: daily_run,leagues,transform,backfill,backtest,ui,suite",
    )
    args = parser.parse_args(argv)
    os.environ["DO_NOT_TRACK"] = "1"
    info, head = machine(), commit()  # the commit measured: read before anything runs
    wanted = args.only.split(",") if args.only else None
    with tempfile.TemporaryDirectory(prefix="se_bench_") as tmp:
        harness = Harness(args, Path(tmp))
        for name in ("daily_run", "leagues", "transform", "backfill", "backtest", "ui", "suite"):
            if wanted is None or name in wanted:
                harness.step(name, getattr(harness, name))
        profile = args.profile if args.profile is not None else not args.quick
        profiles = args.out.parent / f"{args.out.stem}.profiles"
        if profile:
            harness.step("profiles", lambda: harness.profiles(profiles))
    if args.quick:
        harness.results.notes.append(
            "--quick: small inputs and one repeat; figures are for the harness, not the goals"
        )
    if harness.pg_url is None:
        harness.results.notes.append(Harness.no_pg)
    json_path, md_path = write(
        harness.results,
        args.out,
        info,
        head,
        quick=args.quick,
        profiles=str(profiles) if profile else None,
    )
    print(md_path.read_text(encoding="utf-8"))
    print(f"wrote {json_path} and {md_path}")
    if harness.failures:
        print("benchmarks that broke:\n  " + "\n  ".join(harness.failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

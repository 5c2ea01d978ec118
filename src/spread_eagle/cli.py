"""The `spread-eagle` command line: a thin layer over the library. Output for people goes to
stdout (tables) and stderr (logs); `--json` output is machine-readable and alone on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer._click.core import Context as ClickContext
from typer.core import TyperGroup
from typer.exceptions import TyperException

from spread_eagle import __version__
from spread_eagle.config import Settings
from spread_eagle.logging import configure_logging


class _FrontDoor(TyperGroup):
    """Every command's last line of defence: a storage failure (PostgreSQL down, the database
    missing, a read-only folder, a file where a folder should be, a full disk) or a signal ends in
    one line naming the cause and the next command, and a non-zero exit, never a traceback."""

    def invoke(self, ctx: ClickContext) -> Any:
        from spread_eagle.run.signals import RunInterrupted
        from spread_eagle.warehouse.errors import explain

        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise
        except KeyboardInterrupt as exc:
            raise _interrupted(exc if isinstance(exc, RunInterrupted) else None) from None
        except Exception as exc:
            message = explain(exc, _database_url())
            if message is None:
                raise
            raise _fail(message) from None


def _database_url() -> str | None:
    try:
        return Settings().database_url
    except Exception:
        return None


def _interrupted(exc: Any) -> typer.Exit:
    """SIGTERM or Ctrl-C: the run (if one was open) is recorded as failed; say how to continue."""
    name = exc.signal_name if exc is not None else "SIGINT"
    run_id, step = getattr(exc, "run_id", None), getattr(exc, "step", None)
    if run_id:
        message = (
            f"run {run_id} interrupted by {name} during step {step}: recorded as failed, nothing "
            f"was published. Continue it with: spread-eagle run-daily --resume {run_id}"
        )
    else:
        message = f"interrupted by {name}; see what was recorded with: spread-eagle status"
    return _fail(message, exc.exit_code if exc is not None else 130)


app = typer.Typer(
    cls=_FrontDoor,
    name="spread-eagle",
    help="Spread Eagle: a local-first daily pipeline for sports-betting analytics.\n\n"
    "ingest_slate -> ingest_results -> transform -> predict -> summarize -> validate -> publish",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic's ValidationError names the variable
        raise _fail(f"configuration error: {exc}") from None


def _fail(message: str, code: int = 1) -> typer.Exit:
    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _parse_date(value: str | None, name: str = "--date") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date like 2024-11-24", param_hint=name
        ) from None


def _parse_ts(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a timestamp like 2024-11-24T12:00:00Z", param_hint="--as-of"
        ) from None
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _echo_json(value: Any) -> None:
    """Machine-readable output, alone on stdout; timestamps as ISO-8601 UTC."""
    from spread_eagle.publish.slate import iso_z

    typer.echo(
        json.dumps(
            value, indent=2, default=lambda v: iso_z(v) if isinstance(v, datetime) else str(v)
        )
    )


@contextmanager
def _progress_bar(name: str) -> Iterator[Callable[[int, int, str], None]]:
    """A Rich progress bar on stderr, fed by a library function's progress callback."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn(f"{name} {{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    task = bar.add_task("", total=None)

    def update(done: int, total: int, label: str) -> None:
        bar.start()  # on the first report only (a no-op after): a bad argument draws no bar
        bar.update(task, completed=done, total=total, description=label)

    try:
        yield update
    finally:
        if bar.live.is_started:
            bar.stop()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spread-eagle {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show debug logs on the console.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Configure logging once for every command."""
    settings = _settings()
    configure_logging(log_dir=settings.log_dir, secrets=settings.secrets(), verbose=verbose)


# -- the daily run ---------------------------------------------------------------------------------


def _print_report(report: Any) -> None:
    if report.ok:
        out.print(
            f"[green]run {report.run_id} succeeded[/] for {report.league} {report.run_date} "
            f"in {report.seconds:.1f}s: valid and published"
        )
    else:
        out.print(
            f"[red]run {report.run_id} {report.status}[/] at step [bold]{report.failed_step}[/]: {report.error}"
        )
        out.print(
            f"Nothing was published. After fixing it: spread-eagle run-daily --resume {report.run_id}"
        )


@app.command("run-daily")
def run_daily_cmd(
    run_date: Annotated[
        str | None, typer.Option("--date", help="League-local date to run (default: today).")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The run's clock, UTC (default: the morning after a past date, now for today).",
        ),
    ] = None,
    from_step: Annotated[
        str | None,
        typer.Option("--from-step", help="Resume from this step (earlier steps are skipped)."),
    ] = None,
    league: Annotated[
        str | None, typer.Option("--league", help="League id (default: SPREAD_EAGLE_LEAGUE, nfl).")
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            metavar="RUN_ID",
            help="Continue this failed run from its failed step, under its clock (a new run that "
            "reuses the earlier steps' outputs).",
        ),
    ] = None,
    accept_quarantined: Annotated[
        bool,
        typer.Option(
            "--accept-quarantined",
            help="Publish even though some of the date's scheduled games were quarantined "
            "(recorded in the ledger). By default a quarantined game fails the run.",
        ),
    ] = False,
) -> None:
    """Run the seven-step daily pipeline for one date. Exits 0 only when the run was valid and
    published. With --from-step, reuses the steps before it from the newest run of the date (under
    the same clock) in which they succeeded, and says what to run first when there is none. With
    --resume RUN_ID, continues that failed run from its failed step under its clock. SIGTERM and
    Ctrl-C end the run as failed, naming the step and the signal."""
    from spread_eagle.leagues import UnknownLeagueError, load_league
    from spread_eagle.pipeline.runner import ResumeError, UnknownStepError, run_daily
    from spread_eagle.warehouse import WarehouseError

    settings = _settings()
    if resume is not None and (run_date or as_of or from_step or league):
        raise _fail(
            "--resume continues the run with its own date, league, clock and failed step: drop "
            f"--date, --league, --as-of and --from-step (spread-eagle run-daily --resume {resume})"
        )
    try:
        tz = load_league(league or settings.league).tz
        day = None if resume else _parse_date(run_date) or datetime.now(tz).date()
        report = run_daily(
            settings,
            run_date=day,
            as_of=_parse_ts(as_of),
            league=league,
            from_step=from_step,
            resume=resume,
            accept_quarantined=accept_quarantined,
            command=" ".join(["run-daily", *sys.argv[2:]]),
        )
    except (UnknownLeagueError, UnknownStepError, ResumeError, WarehouseError) as exc:
        raise _fail(str(exc)) from None
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def demo() -> None:
    """On a fresh checkout: load the bundled history, run the daily pipeline for the newest bundled
    date on the embedded DuckDB, and print the slate."""
    from spread_eagle.pipeline.runner import run_daily
    from spread_eagle.publish.slate import read_slate
    from spread_eagle.warehouse import connect

    settings = _settings()
    newest = _newest_date(settings.resolved_games_file)
    out.print(
        f"[bold]Spread Eagle demo[/]: replaying {settings.resolved_games_file.name} "
        f"(nflverse, 1999-2024) for the newest date, {newest}, into {settings.database_url}"
    )
    report = run_daily(settings, run_date=newest, command="demo")
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)
    with connect(settings.database_url) as wh:
        _print_slate(read_slate(wh, report.league, newest))
    out.print("\nLook further:")
    out.print(
        f"  spread-eagle slate --date {newest} --json   # the published slate as the UI reads it"
    )
    out.print("  spread-eagle status                          # the run, step by step")
    out.print(
        "  spread-eagle serve                           # the web UI on http://127.0.0.1:8000"
    )
    out.print(
        "  spread-eagle run-daily --date 2024-11-24     # any other date of the bundled history"
    )


def _newest_date(games_file: Path) -> date:
    import csv

    with games_file.open(encoding="utf-8-sig", newline="") as handle:
        days = [
            row["gameday"]
            for row in csv.DictReader(handle)
            if row.get("gameday") and row.get("home_score")
        ]
    if not days:
        raise _fail(f"{games_file} has no finished games to replay")
    return date.fromisoformat(max(days))


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", help="First date (inclusive).")],
    end: Annotated[str, typer.Option("--end", help="Last date (inclusive).")],
    league: Annotated[str | None, typer.Option("--league", help="League id.")] = None,
) -> None:
    """Rebuild history for every date with games between --start and --end: raw for every date
    (oldest first), then one dbt build, then models and content date by date, then one UI build
    and each date's atomic publish. Each date is a run in the ledger; stops at the first failure."""
    from spread_eagle.pipeline.backfill import backfill as run_backfill

    settings = _settings()
    first, last = _parse_date(start, "--start"), _parse_date(end, "--end")
    assert first is not None and last is not None
    if last < first:
        raise _fail("--end is before --start")
    with _progress_bar("backfill") as progress:
        result = run_backfill(settings, first, last, league=league, progress=progress)
    out.print(
        f"backfill {first}..{last}: {result.dates} dates, {result.published} published, "
        f"{len(result.failed)} failed in {result.seconds:.1f}s"
    )
    for day, error in result.failed:
        out.print(f"[red]  {day}: {error}[/]")
    if result.failed:
        raise typer.Exit(1)


@app.command()
def backtest(
    start_season: Annotated[int, typer.Option("--start-season", help="First season evaluated.")],
    end_season: Annotated[int, typer.Option("--end-season", help="Last season evaluated.")],
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for metrics.json and report.html.")
    ],
) -> None:
    """Walk-forward evaluation of every model against the market; writes DIR/metrics.json and DIR/report.html."""
    from spread_eagle.predict.backtest import BacktestError, run_backtest

    settings = _settings()
    try:
        with _progress_bar("backtest") as progress:
            metrics = run_backtest(settings, start_season, end_season, out_dir, progress)
    except BacktestError as exc:
        raise _fail(str(exc)) from None
    out.print(
        f"backtest {start_season}-{end_season}: {metrics['games']} games -> {out_dir / 'metrics.json'}, "
        f"{out_dir / 'report.html'}"
    )
    market = metrics["market"]
    table = Table("who", "spread MAE", "total MAE", "win Brier", "SU acc", "ATS vs close")
    table.add_row(
        "market",
        f"{market['spread_mae']:.2f}",
        f"{market['total_mae']:.2f}",
        f"{market['win_brier']:.4f}",
        f"{market['su_accuracy']:.3f}",
        "",
    )
    for name, m in metrics["models"].items():
        ats = m["ats_vs_close"]
        table.add_row(
            name,
            f"{m['spread_mae']:.2f}",
            f"{m['total_mae']:.2f}",
            f"{m['win_brier']:.4f}",
            f"{m['su_accuracy']:.3f}",
            f"{ats['wins']}-{ats['losses']}-{ats['pushes']} ({ats['pct']:.3f})",
        )
    out.print(table)


@app.command()
def ingest(
    run_date: Annotated[str, typer.Option("--date", help="League-local date to ingest.")],
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Use this provider (replay, odds_api, espn, nflverse) for every kind of data it has; the others stay as configured.",
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The run's clock, UTC (default as for run-daily).")
    ] = None,
    league: Annotated[str | None, typer.Option("--league", help="League id.")] = None,
) -> None:
    """Run only the two ingestion steps (schedule + lines, results) for a date, recorded in the ledger
    as a run of their own. Nothing is transformed or published."""
    from spread_eagle.ingest.registry import ProviderNotAvailableError, with_source
    from spread_eagle.leagues import UnknownLeagueError
    from spread_eagle.pipeline.runner import run_ingest
    from spread_eagle.warehouse import WarehouseError

    settings = _settings()
    day = _parse_date(run_date)
    assert day is not None
    try:
        if source:
            settings = with_source(settings, source)
        report = run_ingest(
            settings,
            run_date=day,
            as_of=_parse_ts(as_of),
            league=league,
            command=" ".join(["ingest", *sys.argv[2:]]),
        )
    except (ProviderNotAvailableError, UnknownLeagueError, WarehouseError) as exc:
        raise _fail(str(exc)) from None
    if not report.ok:
        out.print(
            f"[red]ingest run {report.run_id} failed[/] at step [bold]{report.failed_step}[/]: {report.error}"
        )
        out.print(f"See what was quarantined: spread-eagle quarantine --run {report.run_id}")
        raise typer.Exit(1)
    out.print(f"[green]ingest run {report.run_id} succeeded[/] for {day}")
    for step, counts in report.counts.items():
        out.print(f"  {step}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


@app.command()
def quarantine(
    run: Annotated[
        str | None, typer.Option("--run", help="Only what this run quarantined.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many records.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List what ingestion quarantined (source, payload, record) and why."""
    from spread_eagle.ingest.raw_store import quarantined
    from spread_eagle.warehouse import WarehouseError, connect

    settings = _settings()
    try:
        with connect(settings.database_url, read_only=True) as wh:
            rows = quarantined(wh, run, limit)
    except WarehouseError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        out.print("Nothing quarantined" + (f" by run {run}." if run else "."))
        return
    table = Table("run", "source", "endpoint", "record", "reason")
    for r in rows:
        table.add_row(
            r["run_id"],
            r["source"],
            r["endpoint"] or "",
            r["record_ref"] or "(payload)",
            r["reason"],
        )
    out.print(table)


# -- reading ---------------------------------------------------------------------------------------


def _print_slate(doc: dict[str, Any]) -> None:
    table = Table(
        title=f"{doc['league'].upper()} slate {doc['date']} (run {doc['run_id']})", show_lines=False
    )
    for column in ("kickoff (UTC)", "game", "line", "total", "model line, total", "play", "result"):
        table.add_column(column)
    from spread_eagle.odds import format_line

    for g in doc["games"]:
        m, p = g["market"], (g["predictions"] or [{}])[0]
        line = (
            "" if m["spread_home"] is None else f"{g['home_team']} {format_line(m['spread_home'])}"
        )
        model = (
            "" if not p else f"{g['home_team']} {format_line(-p['margin_home'])}, {p['total']:.1f}"
        )
        r = g["result"]
        result = (
            ""
            if r is None
            else f"{g['away_team']} {r['away_score']}-{r['home_score']} {g['home_team']}"
        )
        table.add_row(
            (g["kickoff_at"] or "")[:16].replace("T", " "),
            f"{g['away_team']} @ {g['home_team']}",
            line,
            "" if m["total"] is None else f"{m['total']:g}",
            model,
            p.get("play") or "-",
            result,
        )
    out.print(table)
    if not doc["games"]:
        out.print("No games on this date.")
    else:
        out.print(
            "line: the home team's handicap as a sportsbook prints it (PHI +1.5 = PHI gets 1.5 points); "
            "model: the model's own line and total; play: the side the model takes against the line "
            "when it beats the -110 break-even, '-' when it does not."
        )
    for g in doc["games"][:3]:
        out.print(f"[bold]{g['away_team']} @ {g['home_team']}[/]: {g['tldr']['text']}")
    if len(doc["games"]) > 3:
        out.print(
            f"... and {len(doc['games']) - 3} more TL;DRs (spread-eagle slate --date {doc['date']} --json)"
        )


def _require_duckdb_file(settings: Settings, first: str) -> None:
    """Readers of the DuckDB sidecar: a mistyped path is an error naming it (nothing is created)."""
    from spread_eagle.warehouse import WarehouseError, duckdb_path

    if not settings.database_url.startswith("duckdb://"):
        return
    try:
        path = duckdb_path(settings.database_url).resolve()
    except WarehouseError as exc:
        raise _fail(str(exc)) from None
    if not path.is_file():
        raise _fail(
            f"no DuckDB warehouse at {path}: run `{first}` first (or check "
            "SPREAD_EAGLE_DATABASE_URL)"
        )


@app.command()
def slate(
    run_date: Annotated[str, typer.Option("--date", help="League-local date.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the slate document (what the UI and API serve).")
    ] = False,
    league: Annotated[str | None, typer.Option("--league", help="League id.")] = None,
) -> None:
    """Show the published slate of a date."""
    from spread_eagle.publish.documents import reader_for
    from spread_eagle.publish.slate import SlateNotFoundError
    from spread_eagle.warehouse import WarehouseError

    settings = _settings()
    day = _parse_date(run_date)
    assert day is not None
    _require_duckdb_file(settings, f"spread-eagle run-daily --date {day}")
    # The same reader as `serve`: on DuckDB it reads the published files, never the warehouse
    # (which a running pipeline may hold), so this prints exactly what the API serves.
    reader = reader_for(settings.database_url)
    try:
        published = reader.slate(league or settings.league, day)
    except (SlateNotFoundError, WarehouseError) as exc:
        raise _fail(str(exc)) from None
    finally:
        reader.close()
    if as_json:
        typer.echo(published.text, nl=False)
    else:
        _print_slate(published.doc)


@app.command()
def context(
    game_id: Annotated[str, typer.Option("--game", help="The game id (2024_12_KC_CAR).")],
    run_date: Annotated[
        str | None, typer.Option("--date", help="League-local date (default: the newest).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the payload as JSON.")] = False,
) -> None:
    """Print the retrieval payload stored beside a game's TL;DR."""
    from spread_eagle.summarize.context import stored_payload
    from spread_eagle.warehouse import WarehouseError, connect

    settings = _settings()
    day = _parse_date(run_date)
    try:
        with connect(settings.database_url, read_only=True) as wh:
            rows = stored_payload(wh, game_id, day)
    except WarehouseError as exc:
        raise _fail(str(exc)) from None
    if not rows:
        raise _fail(f"no stored payload of {game_id}" + (f" on {day}" if day else ""))
    payload = json.loads(rows[0]["context_json"])
    if as_json:
        typer.echo(json.dumps(payload, indent=2, sort_keys=True))
    else:
        out.print(json.dumps(payload, indent=2, sort_keys=True))
        out.print(f"[bold]TL;DR[/]: {rows[0]['tldr_text']}")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="How many recent runs.")] = 5,
) -> None:
    """Recent runs, step by step, with counts and errors."""
    from spread_eagle.publish.slate import iso_z
    from spread_eagle.run.ledger import recent_runs, show_gone_runs
    from spread_eagle.warehouse import WarehouseError, connect

    settings = _settings()
    try:
        with connect(settings.database_url, read_only=True) as wh:
            runs = recent_runs(wh, limit=limit)
            show_gone_runs(wh, runs)  # a run whose process is gone: shown failed, not written
    except WarehouseError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _echo_json(runs)
        return
    if not runs:
        out.print("No runs yet. Start with: spread-eagle demo")
        return
    for run in runs:
        colour = {"succeeded": "green", "running": "yellow"}.get(run["status"], "red")
        out.print(
            f"[bold]{run['run_id']}[/] {run['league']} {run['run_date']} [{colour}]{run['status']}[/] "
            f"(as of {iso_z(run['as_of'])}, env {run['env']}, started {iso_z(run['started_at'])})"
        )
        if run.get("process_gone"):
            out.print(
                f"  its process (pid {run['pid']} on {run['host']}) is gone; the next run marks it "
                f"failed. Continue it with: spread-eagle run-daily --resume {run['run_id']}"
            )
        elif run["status"] != "succeeded" and run["status"] != "running" and run.get("error"):
            out.print(f"  {run['error']}")
        table = Table("step", "status", "seconds", "counts", "notes")
        for step in run["steps"]:
            seconds = (
                ""
                if not (step["started_at"] and step["ended_at"])
                else f"{(step['ended_at'] - step['started_at']).total_seconds():.2f}"
            )
            notes = (
                step["error"] or step["model_version"] or step["llm_status"] or step["detail"] or ""
            )
            counts = ", ".join(f"{k}={v}" for k, v in step["row_counts"].items())
            table.add_row(step["step"], step["status"], seconds, counts, notes)
        out.print(table)


@app.command("validate")
def validate_cmd(
    run_date: Annotated[str, typer.Option("--date", help="League-local date.")],
    league: Annotated[str | None, typer.Option("--league", help="League id.")] = None,
) -> None:
    """Re-run the validation checks against what is stored for a date (writes nothing): the
    outputs of its validated run, else of its newest run, under that run's clock."""
    from spread_eagle.leagues import UnknownLeagueError, load_league
    from spread_eagle.validate.step import check_stored
    from spread_eagle.warehouse import WarehouseError, connect

    settings = _settings()
    day = _parse_date(run_date)
    assert day is not None
    try:
        league_config = load_league(league or settings.league)
        with connect(settings.database_url, read_only=True) as wh:
            run_id, results = check_stored(wh, settings, league_config, day)
    except (UnknownLeagueError, WarehouseError) as exc:
        raise _fail(str(exc)) from None
    out.print(
        f"checking {league_config.league} {day}: " + (f"run {run_id}" if run_id else "never run")
    )
    for r in results:
        out.print(f"{'[green]PASS[/]' if r.passed else '[red]FAIL[/]'} {r.name}: {r.detail}")
    if not all(r.passed for r in results):
        raise typer.Exit(1)


@app.command()
def doctor() -> None:
    """Diagnostics (RUNBOOK section 8): configuration, connectivity, migrations, dbt debug, providers,
    target schemas. Exits 1 if anything is wrong."""
    from spread_eagle.doctor import run_doctor

    settings = _settings()
    problems = 0
    for check in run_doctor(settings):
        mark = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}[
            check.level
        ]
        out.print(f"{mark:>18} {check.name}: {check.detail}")
        problems += check.level == "fail"
    if problems:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port.")] = 8000,
) -> None:
    """The read-only web UI and JSON API over published data: slates, games, runs, backtest;
    /api/... with its schema at /openapi.json and docs at /docs."""
    from spread_eagle.leagues import UnknownLeagueError, load_league
    from spread_eagle.publish.documents import reader_for
    from spread_eagle.warehouse import WarehouseError
    from spread_eagle.web.app import serve as run_server

    settings = _settings()
    try:
        load_league(settings.league)  # fail at start, not on the first request
    except UnknownLeagueError as exc:
        raise _fail(str(exc)) from None
    # Fail at start, not on every request: a missing DuckDB file, PostgreSQL down or missing.
    _require_duckdb_file(settings, "spread-eagle demo")
    reader = reader_for(settings.database_url)
    try:
        reader.health()
    except WarehouseError as exc:
        raise _fail(str(exc)) from None
    finally:
        reader.close()
    out.print(f"Serving published slates on http://{host}:{port}/ (Ctrl+C to stop)")
    run_server(settings, host, port)

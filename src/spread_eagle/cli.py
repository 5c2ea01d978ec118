"""The `spread-eagle` command line: a thin layer over the library. Output for people goes to
stdout (tables) and stderr (logs); `--json` output is machine-readable and alone on stdout."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer._click.core import Context as ClickContext
from typer.core import TyperGroup
from typer.exceptions import TyperException

from spread_eagle import __version__
from spread_eagle.config import Settings
from spread_eagle.logging import configure_logging

if TYPE_CHECKING:
    from spread_eagle.leagues import League

# One --league for every command that takes it: each falls back to the configured league.
LeagueOption = Annotated[
    str | None, typer.Option("--league", help="League id (default: SPREAD_EAGLE_LEAGUE, nfl).")
]


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


@app.command()
def summarize(
    run_date: Annotated[
        str, typer.Option("--date", help="League-local date whose TL;DRs to write again.")
    ],
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            help="offline, openai, anthropic or ollama (default: SPREAD_EAGLE_LLM_PROVIDER).",
        ),
    ] = None,
    league: LeagueOption = None,
) -> None:
    """Write a date's TL;DRs again as a run: the newest run of the date whose earlier steps
    succeeded is resumed at summarize (its predictions reused), then validated and published as
    usual. The same as `run-daily --date D --from-step summarize`, with the provider chosen here."""
    from spread_eagle.pipeline.runner import ResumeError, run_daily

    settings = _settings()
    if provider is not None:
        from typing import get_args

        from spread_eagle.config import LlmProvider

        if provider not in get_args(LlmProvider):
            raise _fail(f"--provider {provider!r}: one of {', '.join(get_args(LlmProvider))}")
        settings = settings.model_copy(update={"llm_provider": provider})
    day = _parse_date(run_date)
    assert day is not None
    try:
        report = run_daily(
            settings,
            run_date=day,
            league=league,
            from_step="summarize",
            command=" ".join(["summarize", *sys.argv[2:]]),
        )
    except ResumeError as exc:
        raise _fail(str(exc)) from None
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


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
    league: LeagueOption = None,
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
        tz = load_league(league or settings.league, settings.leagues_dir).tz
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
def demo(
    league: LeagueOption = None,
) -> None:
    """On a fresh checkout: load the bundled history, run the daily pipeline for the newest bundled
    date on the embedded DuckDB, and print the slate."""
    from spread_eagle.leagues import UnknownLeagueError, load_league
    from spread_eagle.pipeline.runner import run_daily

    settings = _settings()
    try:
        league_config = load_league(league or settings.league, settings.leagues_dir)
        games_file = settings.games_file_for(league_config)
    except (UnknownLeagueError, ValueError) as exc:
        raise _fail(str(exc)) from None
    days = _finished_dates(games_file, league_config)
    newest = days[-1]
    out.print(
        f"[bold]Spread Eagle demo[/]: replaying {games_file.name} ({league_config.name}) "
        f"for the newest date, {newest}, into {settings.database_url}"
    )
    report = run_daily(settings, run_date=newest, league=league_config.league, command="demo")
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)
    _print_slate(json.loads(_published(settings, report.league, newest)))
    out.print("\nLook further:")
    flag = "" if league_config.league == settings.league else f" --league {league_config.league}"
    out.print(
        f"  spread-eagle slate --date {newest}{flag} --json   # the published slate as the UI reads it"
    )
    out.print("  spread-eagle status                          # the run, step by step")
    out.print(
        "  spread-eagle serve                           # the web UI on http://127.0.0.1:8000"
    )
    other = days[-2] if len(days) > 1 else newest
    out.print(
        f"  spread-eagle run-daily --date {other}{flag}     # any other date of the bundled history"
    )


def _finished_dates(games_file: Path, league: League) -> list[date]:
    from spread_eagle.ingest.providers.replay import ReplayError, game_dates

    try:
        days = game_dates(games_file, league, finished_only=True)
    except ReplayError as exc:
        raise _fail(str(exc)) from None
    if not days:
        raise _fail(f"{games_file} has no finished games to replay")
    return days


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--start", help="First date (inclusive).")],
    end: Annotated[str, typer.Option("--end", help="Last date (inclusive).")],
    league: LeagueOption = None,
    accept_quarantined: Annotated[
        bool,
        typer.Option(
            "--accept-quarantined",
            help="Publish every date even though some of its scheduled games were quarantined "
            "(recorded on each run). By default the first such date stops the backfill.",
        ),
    ] = False,
) -> None:
    """Rebuild history for every date with games between --start and --end: raw for every date
    (oldest first), then one dbt build, then models and content step by step over chunks of
    dates, then one UI build and each date's atomic publish. Each date is a run in the ledger;
    stops at the first failure."""
    from spread_eagle.pipeline.backfill import backfill as run_backfill

    settings = _settings()
    first, last = _parse_date(start, "--start"), _parse_date(end, "--end")
    assert first is not None and last is not None
    if last < first:
        raise _fail("--end is before --start")
    with _progress_bar("backfill") as progress:
        result = run_backfill(
            settings,
            first,
            last,
            league=league,
            progress=progress,
            accept_quarantined=accept_quarantined,
        )
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
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Also store each model's version, parameters and these metrics in the warehouse "
            "(ops.model, ops.model_metrics), where `spread-eagle models` lists them.",
        ),
    ] = False,
    league: LeagueOption = None,
) -> None:
    """Walk-forward evaluation of every model against the market; writes DIR/metrics.json and DIR/report.html."""
    from spread_eagle.leagues import UnknownLeagueError, load_league
    from spread_eagle.predict.backtest import BacktestError, run_backtest
    from spread_eagle.predict.registry import record_metrics
    from spread_eagle.warehouse import WarehouseError, connect

    settings = _settings()
    if league is not None:
        settings = settings.model_copy(update={"league": league})
    try:
        load_league(settings.league, settings.leagues_dir)
    except UnknownLeagueError as exc:
        raise _fail(str(exc)) from None
    try:
        with _progress_bar("backtest") as progress:
            metrics = run_backtest(settings, start_season, end_season, out_dir, progress)
    except BacktestError as exc:
        raise _fail(str(exc)) from None
    if record:
        try:
            with connect(settings.database_url) as wh:
                wh.migrate()
                record_metrics(wh, load_league(settings.league, settings.leagues_dir), metrics)
        except WarehouseError as exc:
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
    league: LeagueOption = None,
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

    settings = _settings()
    rows = _read(settings, lambda wh: quarantined(wh, run, limit))
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


@app.command("correct-result")
def correct_result(
    game_id: Annotated[str, typer.Option("--game", help="The game id (2024_12_KC_CAR).")],
    home_score: Annotated[int, typer.Option("--home-score", help="The home team's final score.")],
    away_score: Annotated[int, typer.Option("--away-score", help="The away team's final score.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (recorded with who and when; required).")
    ],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="The run clock from which runs see it, UTC (default: now). Replays of past dates "
            "run on a past clock: give one before theirs for them to pick it up.",
        ),
    ] = None,
    league: LeagueOption = None,
) -> None:
    """Record an audited correction of a game's final score: who (OS user, SPREAD_EAGLE_ENV),
    when, why and the score it replaces. It wins over every source on the next run of any date at
    or after the game (whose clock is at or after it); nothing is rewritten by hand."""
    from spread_eagle.corrections import CorrectionError, record_correction
    from spread_eagle.leagues import load_league
    from spread_eagle.publish.slate import iso_z
    from spread_eagle.warehouse import WarehouseError, connect

    settings = _settings()
    league_id = league or settings.league
    try:
        with connect(settings.database_url, read_only=True, verify_schema=False) as probe:
            exists = probe.relation_exists("ops", "schema_migration")
        if not exists:
            raise WarehouseError(
                "no Spread Eagle warehouse there yet: run the game's date first "
                "(spread-eagle run-daily --date YYYY-MM-DD)"
            )
        with connect(settings.database_url) as wh:
            wh.migrate()
            row = record_correction(
                wh,
                facts_schema=load_league(league_id, settings.leagues_dir).schema("facts"),
                league=league_id,
                game_id=game_id,
                home_score=home_score,
                away_score=away_score,
                reason=reason,
                env=settings.env,
                corrected_at=_parse_ts(as_of),
            )
    except (CorrectionError, WarehouseError) as exc:
        raise _fail(str(exc)) from None
    was = (
        "no score"
        if row["previous_home_score"] is None
        else f"{row['previous_home_score']}-{row['previous_away_score']} (home-away)"
    )
    out.print(
        f"[green]correction {row['correction_id']} recorded[/]: {game_id} is "
        f"{home_score}-{away_score} (home-away), was {was} from "
        f"{row['previous_source'] or 'no source'}; by {row['corrected_by']} (env {row['env']}) "
        f"at {iso_z(row['recorded_at'])}, seen by runs as of {iso_z(row['corrected_at'])} or later"
    )
    out.print(
        "The next run of any date on or after "
        f"{row['game_date']} with that clock applies it (features re-processed from the game on):"
    )
    out.print(
        f"  spread-eagle run-daily --date {row['game_date']} --as-of {iso_z(row['corrected_at'])}"
        "   # republish the game's own slate"
    )
    out.print("  spread-eagle corrections   # every correction, and the run that applied it")


@app.command("corrections")
def corrections_cmd(
    game_id: Annotated[str | None, typer.Option("--game", help="Only this game.")] = None,
    league: LeagueOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List the recorded result corrections, newest first: game, score, what it replaced, who,
    when, why, and the run whose transform applied it."""
    from spread_eagle.corrections import list_corrections
    from spread_eagle.publish.slate import iso_z
    from spread_eagle.warehouse import WarehouseError, connect

    settings = _settings()
    try:
        with connect(settings.database_url, read_only=True) as wh:
            rows = list_corrections(wh, league or settings.league, game_id)
    except WarehouseError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        _echo_json(rows)
        return
    if not rows:
        out.print("No corrections recorded" + (f" for {game_id}." if game_id else "."))
        return
    for r in rows:
        was = (
            "no score"
            if r["previous_home_score"] is None
            else f"{r['previous_home_score']}-{r['previous_away_score']} from "
            f"{r['previous_source'] or 'no source'}"
        )
        applied = (
            f"applied by run {r['applied_by_run_id']}"
            if r["applied_by_run_id"]
            else "not applied yet"
        )
        out.print(
            f"[bold]{r['correction_id']}[/] {r['game_id']} ({r['game_date']}): "
            f"{r['home_score']}-{r['away_score']} (home-away), was {was}; by {r['corrected_by']} "
            f"(env {r['env']}) at {iso_z(r['recorded_at'])}, seen as of {iso_z(r['corrected_at'])}, "
            f"{applied}. Why: {r['reason']}"
        )


# -- reading ---------------------------------------------------------------------------------------


def _fresh_checkout(settings: Settings) -> bool:
    """The default warehouse not created yet: a normal first state, not an error (any other
    missing warehouse is a mistyped URL, and readers say so)."""
    from spread_eagle.config import DEFAULT_DATABASE_URL
    from spread_eagle.warehouse import duckdb_path

    return (
        settings.database_url == DEFAULT_DATABASE_URL
        and not duckdb_path(settings.database_url).exists()
    )


def _runs_snapshot(settings: Settings, limit: int) -> list[dict[str, Any]]:
    """The recent runs from the DuckDB runs snapshot (`runs.json`, rewritten by a run at its start,
    after each step and at its end), in the shape `status` prints: timestamps as datetimes."""
    from spread_eagle.publish.documents import reader_for

    reader = reader_for(settings.database_url)
    try:
        runs = reader.runs()[:limit]
    finally:
        reader.close()

    def parsed(row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        for key in ("as_of", "started_at", "ended_at"):
            if isinstance(out.get(key), str):
                out[key] = datetime.fromisoformat(out[key])
        if isinstance(out.get("run_date"), str):
            out["run_date"] = date.fromisoformat(out["run_date"])
        return out

    return [{**parsed(run), "steps": [parsed(s) for s in run["steps"]]} for run in runs]


def _read(
    settings: Settings, reader: Callable[[Any], Any], keep: type[Exception] | None = None
) -> Any:
    """Run a library read function on the warehouse opened read-only (a reader never creates,
    migrates or writes); a storage problem becomes one clear line and exit 1 (`keep`: an error
    the caller handles, raised as it is)."""
    from spread_eagle.warehouse import WarehouseError, connect

    try:
        with connect(settings.database_url, read_only=True) as wh:
            return reader(wh)
    except WarehouseError as exc:
        if keep is not None and isinstance(exc, keep):
            raise
        raise _fail(str(exc)) from None


def _published(settings: Settings, league: str, day: date, run_id: str | None = None) -> str:
    """A published slate's exact text (with `run_id`, a past publication of the date) through the
    same reader as `serve`: on DuckDB it reads the published files, never the warehouse (which a
    running pipeline may hold), so it prints what the API serves."""
    from spread_eagle.publish.documents import reader_for
    from spread_eagle.publish.slate import SlateNotFoundError
    from spread_eagle.warehouse import WarehouseError

    _require_duckdb_file(
        settings, f"spread-eagle run-daily --date {day}"
    )  # never opened: a run may hold it
    reader = reader_for(settings.database_url)
    try:
        if run_id is not None:
            return str(reader.past_slate(league, day, run_id))
        return str(reader.slate(league, day).text)
    except (SlateNotFoundError, WarehouseError) as exc:
        raise _fail(str(exc)) from None
    finally:
        reader.close()


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
    league: LeagueOption = None,
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run",
            help="A past publication of the date: the slate this run published, as it was then.",
        ),
    ] = None,
) -> None:
    """Show the published slate of a date (with --run, a past publication of it: every
    publication is kept)."""
    settings = _settings()
    day = _parse_date(run_date)
    assert day is not None
    text = _published(settings, league or settings.league, day, run_id)
    if as_json:
        typer.echo(text, nl=False)
    else:
        _print_slate(json.loads(text))


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

    settings = _settings()
    day = _parse_date(run_date)
    rows = _read(settings, lambda wh: stored_payload(wh, game_id, day))
    if not rows:
        raise _fail(f"no stored payload of {game_id}" + (f" on {day}" if day else ""))
    payload = json.loads(rows[0]["context_json"])
    if as_json:
        typer.echo(json.dumps(payload, indent=2, sort_keys=True))
    else:
        out.print(json.dumps(payload, indent=2, sort_keys=True))
        out.print(f"[bold]TL;DR[/]: {rows[0]['tldr_text']}")


@app.command()
def models(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The configured models and their versions, and every registered version with its latest
    backtest figures (ops.model, ops.model_metrics)."""
    from spread_eagle.leagues import load_league
    from spread_eagle.predict.registry import UnknownModelError, configured_versions, list_models
    from spread_eagle.publish.slate import iso_z
    from spread_eagle.warehouse import WarehouseError, connect

    settings = _settings()
    try:
        configured = configured_versions(
            settings.models, load_league(settings.league, settings.leagues_dir)
        )
    except UnknownModelError as exc:
        raise _fail(str(exc)) from None
    registered: list[dict[str, object]] = []
    note = None
    try:
        with connect(settings.database_url, read_only=True) as wh:
            registered = list_models(wh)
    except WarehouseError as exc:  # none yet, or one older than this version's migrations
        note = f"no registry to read ({exc}); run `spread-eagle run-daily` or `backtest --record`"
    if as_json:
        _echo_json(
            {
                "configured": configured,
                "registered": [
                    {k: (iso_z(v) if isinstance(v, datetime) else v) for k, v in r.items()}
                    for r in registered
                ],
            }
        )
        return
    table = Table("model", "configured version")
    for name, version in configured.items():
        table.add_row(name, version)
    out.print(table)
    if note:
        out.print(note)
        return
    listing = Table(
        "model",
        "version",
        "cutoff",
        "registered",
        "seasons",
        "games",
        "spread MAE",
        "win Brier",
        "ECE",
    )
    for r in registered:
        seasons = "" if r["start_season"] is None else f"{r['start_season']}-{r['end_season']}"
        listing.add_row(
            str(r["model"]),
            str(r["model_version"]),
            str(r["training_cutoff"]),
            str(iso_z(r["registered_at"])),  # type: ignore[arg-type]
            seasons,
            "" if r["games"] is None else str(r["games"]),
            "" if r["spread_mae"] is None else f"{r['spread_mae']:.3f}",
            "" if r["win_brier"] is None else f"{r['win_brier']:.4f}",
            "" if r["calibration_ece"] is None else f"{r['calibration_ece']:.4f}",
        )
    out.print(listing)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="How many recent runs.")] = 5,
) -> None:
    """Recent runs, step by step, with counts and errors."""
    from spread_eagle.publish.slate import iso_z
    from spread_eagle.run.ledger import recent_runs, show_gone_runs

    def read_runs(wh: Any) -> list[dict[str, Any]]:
        runs = recent_runs(wh, limit=limit)
        show_gone_runs(wh, runs)  # a run whose process is gone: shown failed, not written
        return runs

    from spread_eagle.warehouse import WarehouseBusyError

    settings = _settings()
    runs: list[dict[str, Any]] = []
    if not _fresh_checkout(settings):
        try:
            runs = _read(settings, read_runs, keep=WarehouseBusyError)
        except WarehouseBusyError as busy:  # the file a run holds is never opened: its snapshot
            runs = _runs_snapshot(settings, limit)
            typer.echo(
                f"a run holds the warehouse ({', '.join(busy.runs)}): showing the runs as of its"
                " last step (the runs snapshot beside the DuckDB file)",
                err=True,
            )
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
        for column in table.columns:  # wrap on a narrow terminal, never cut a count or an error
            column.overflow = "fold"
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
    league: LeagueOption = None,
) -> None:
    """Re-run the validation checks against what is stored for a date (writes nothing): the
    outputs of its validated run, else of its newest run, under that run's clock."""
    from spread_eagle.leagues import UnknownLeagueError, load_league
    from spread_eagle.validate.step import check_stored

    settings = _settings()
    day = _parse_date(run_date)
    assert day is not None
    try:
        league_config = load_league(league or settings.league, settings.leagues_dir)
    except UnknownLeagueError as exc:
        raise _fail(str(exc)) from None
    run_id, results = _read(settings, lambda wh: check_stored(wh, settings, league_config, day))
    out.print(
        f"checking {league_config.league} {day}: " + (f"run {run_id}" if run_id else "never run")
    )
    for r in results:
        out.print(f"{'[green]PASS[/]' if r.passed else '[red]FAIL[/]'} {r.name}: {r.detail}")
    if not all(r.passed for r in results):
        raise typer.Exit(1)


@app.command()
def doctor(
    run_date: Annotated[
        str | None,
        typer.Option("--date", help="Also check what is stored and published for this date."),
    ] = None,
) -> None:
    """Diagnostics, scenario by scenario as in RUNBOOK section 8 (tables not visible, missing games
    or lines, model outputs missing, TL;DR missing): what was checked, and the command that fixes
    what is wrong. Never writes (read-only; never migrates). Exits 1 if anything fails."""
    from spread_eagle.doctor import FAIL, run_doctor

    settings = _settings()
    day = _parse_date(run_date)
    marks = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}
    scenario = None
    checks = run_doctor(settings, day)
    for check in checks:
        if check.scenario != scenario:
            scenario = check.scenario
            out.print(f"\n[bold]{scenario}[/]")
        out.print(f"  {marks[check.level]} {check.name}: {check.detail}")
        if check.fix:
            out.print(f"      fix: {check.fix}")
    failed = [c for c in checks if c.level == FAIL]
    out.print(
        f"\n{len(failed)} failed, {sum(c.level == 'warn' for c in checks)} warnings, "
        f"{sum(c.level == 'ok' for c in checks)} ok"
    )
    if failed:
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
        # fail at start, not on the first request
        load_league(settings.league, settings.leagues_dir)
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

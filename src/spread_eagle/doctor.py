"""`spread-eagle doctor`: the RUNBOOK section 8 diagnostics, scenario by scenario. Each check says
what it looked at, its verdict and, when something is wrong, the command that fixes it.

Doctor never writes: it opens the warehouse read-only (never creating or migrating it), runs
`dbt debug` on a read-only connection, and sends at most one harmless request to a live LLM
provider (its model list) to see that the TL;DR step can work. A `fail` is something that breaks
the next daily run (or already broke one): the command exits 1.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

from spread_eagle.config import Settings
from spread_eagle.leagues import League
from spread_eagle.warehouse import Warehouse

OK, WARN, FAIL = "ok", "warn", "fail"

# RUNBOOK section 8, in its order, and what doctor adds before and after.
CONFIGURATION = "configuration"
NOT_VISIBLE = "dbt models ran but tables not visible"
MISSING_GAMES = "missing games or lines"
MISSING_OUTPUTS = "model outputs missing or empty"
MISSING_TLDR = "TL;DR content missing"
SCENARIOS = [CONFIGURATION, NOT_VISIBLE, MISSING_GAMES, MISSING_OUTPUTS, MISSING_TLDR]

PYTHON_SCHEMAS = ("raw", "ops", "outputs", "publish")


@dataclass(frozen=True)
class DoctorCheck:
    scenario: str
    name: str
    level: str  # ok | warn | fail
    detail: str
    fix: str | None = None


def run_doctor(
    settings: Settings,
    day: date | None = None,
    *,
    llm_transport: httpx.BaseTransport | None = None,
) -> list[DoctorCheck]:
    """Every check, grouped by scenario (SCENARIOS, then the date's when `day` is given)."""
    from spread_eagle.leagues import load_league

    checks: list[DoctorCheck] = []
    add = checks.append
    add(
        DoctorCheck(
            CONFIGURATION,
            "settings",
            OK,
            ", ".join(f"{k}={v}" for k, v in settings.redacted().items()),
        )
    )
    try:
        league = load_league(settings.league, settings.leagues_dir)
    except ValueError as exc:
        add(DoctorCheck(CONFIGURATION, "league", FAIL, str(exc), "export SPREAD_EAGLE_LEAGUE=nfl"))
        return checks
    add(
        DoctorCheck(
            CONFIGURATION,
            "league",
            OK,
            f"{league.league}: {len(league.teams)} teams, timezone {league.timezone}",
        )
    )
    _provider_checks(settings, league, add)
    _llm_checks(settings, add, llm_transport)
    _warehouse_checks(settings, league, day, add)
    order = {s: n for n, s in enumerate(SCENARIOS)}
    return sorted(checks, key=lambda c: order.get(c.scenario, len(order)))


# -- providers (missing games or lines) --------------------------------------------------------


def _provider_checks(
    settings: Settings, league: League, add: Callable[[DoctorCheck], None]
) -> None:
    from spread_eagle.ingest.registry import providers_for

    kinds = {
        "schedule": settings.schedule_provider,
        "odds": settings.odds_provider,
        "results": settings.results_provider,
    }
    try:
        providers_for(settings, league)
        add(
            DoctorCheck(
                MISSING_GAMES,
                "providers",
                OK,
                ", ".join(f"{k}={v}" for k, v in kinds.items()) + " (each can be built)",
            )
        )
    except Exception as exc:
        add(
            DoctorCheck(
                MISSING_GAMES,
                "providers",
                FAIL,
                str(exc),
                "export SPREAD_EAGLE_SCHEDULE_PROVIDER=replay SPREAD_EAGLE_ODDS_PROVIDER=replay "
                "SPREAD_EAGLE_RESULTS_PROVIDER=replay   # or a provider that has that kind of data",
            )
        )
    using_odds_api = [k for k, v in kinds.items() if v == "odds_api"]
    if using_odds_api:
        key = settings.odds_api_key
        if key is None or not key.get_secret_value().strip():
            add(
                DoctorCheck(
                    MISSING_GAMES,
                    "odds api key",
                    FAIL,
                    f"The Odds API is the {' and '.join(using_odds_api)} provider but ODDS_API_KEY "
                    "is not set: every run fails at ingest_slate with 401",
                    "export ODDS_API_KEY=...   # or: export SPREAD_EAGLE_ODDS_PROVIDER=replay",
                )
            )
        else:
            add(
                DoctorCheck(
                    MISSING_GAMES,
                    "odds api key",
                    OK,
                    f"set (**********), base URL {settings.odds_api_base_url}, regions "
                    f"{settings.odds_api_regions}, markets {settings.odds_api_markets}",
                )
            )
    if "replay" in kinds.values():
        replay_files = [("games file", settings.games_file_for(league), "SPREAD_EAGLE_GAMES_FILE")]
        lines_file = settings.lines_file_for(league)
        if lines_file is not None:
            replay_files.append(("lines file", lines_file, "SPREAD_EAGLE_LINES_FILE"))
        for what, path, variable in replay_files:
            add(
                DoctorCheck(
                    MISSING_GAMES,
                    f"replay {what}",
                    OK if path.is_file() else FAIL,
                    str(path) if path.is_file() else f"{path} does not exist ({variable})",
                    None if path.is_file() else f"unset {variable}   # the bundled file",
                )
            )
    if "espn" in kinds.values():
        add(DoctorCheck(MISSING_GAMES, "espn", OK, f"base URL {settings.espn_base_url}"))
    if "nflverse" in kinds.values():
        add(DoctorCheck(MISSING_GAMES, "nflverse", OK, f"games CSV {settings.nflverse_games_url}"))
    now = datetime.now(UTC)
    local = now.astimezone(league.tz)
    add(
        DoctorCheck(
            MISSING_GAMES,
            "date and timezone",
            OK,
            f"now {now:%Y-%m-%dT%H:%M}Z is {local:%Y-%m-%d %H:%M} {league.timezone}: "
            f"`run-daily` with no --date runs {local.date()}; a game's date is its local kickoff "
            "date (an 8:20 pm ET game stays on its day); a past date runs on the clock 06:00 "
            "league time the next morning",
        )
    )
    log_file = settings.log_dir / "spread_eagle.jsonl"
    add(
        DoctorCheck(
            MISSING_GAMES,
            "ingestion logs",
            OK if log_file.is_file() else WARN,
            f"JSON-lines run log {log_file} ({log_file.stat().st_size} bytes); every record has "
            "run_id and step"
            if log_file.is_file()
            else f"no run log at {log_file} yet (SPREAD_EAGLE_LOG_DIR)",
            None if log_file.is_file() else "spread-eagle run-daily   # writes it",
        )
    )


# -- the LLM provider (TL;DR content missing) --------------------------------------------------


def _llm_checks(
    settings: Settings, add: Callable[[DoctorCheck], None], transport: httpx.BaseTransport | None
) -> None:
    from spread_eagle.summarize.providers import ProviderError, build_provider

    fallback = (
        "export SPREAD_EAGLE_LLM_PROVIDER=offline   # the grounded writer: no key, no network"
    )
    try:
        provider = build_provider(settings)
    except ProviderError as exc:
        add(DoctorCheck(MISSING_TLDR, "llm provider", FAIL, str(exc), fallback))
        return
    if provider.name == "offline":
        add(DoctorCheck(MISSING_TLDR, "llm provider", OK, "offline (no key, no network)"))
        return
    problem = _probe_llm(settings, provider.name, transport)
    if problem:
        add(
            DoctorCheck(
                MISSING_TLDR,
                "llm provider",
                FAIL,
                f"{provider.name}, model {provider.model}: {problem}; every run would fail at "
                "summarize",
                f"fix the key or SPREAD_EAGLE_LLM_BASE_URL, or: {fallback}",
            )
        )
        return
    add(
        DoctorCheck(
            MISSING_TLDR,
            "llm provider",
            OK,
            f"{provider.name}, model {provider.model}: the API answered its model list",
        )
    )


def _probe_llm(settings: Settings, name: str, transport: httpx.BaseTransport | None) -> str | None:
    """One GET of the provider's model list (free, writes nothing); None when it answers 200."""
    base = settings.llm_base_url
    headers: dict[str, str] = {}
    if name == "ollama":
        url = (base or "http://127.0.0.1:11434").rstrip("/") + "/api/tags"
    elif name == "openai":
        url = (base or "https://api.openai.com/v1").rstrip("/") + "/models"
        key = settings.openai_api_key
        headers["Authorization"] = f"Bearer {key.get_secret_value() if key else ''}"
    elif name == "anthropic":
        url = (base or "https://api.anthropic.com").rstrip("/") + "/v1/models"
        key = settings.anthropic_api_key
        headers["x-api-key"] = key.get_secret_value() if key else ""
        headers["anthropic-version"] = "2023-06-01"
    else:
        return None
    try:
        with httpx.Client(
            timeout=min(settings.llm_timeout_seconds, 10.0), transport=transport
        ) as c:
            response = c.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return f"cannot reach {url}: {type(exc).__name__}"
    if response.status_code in (401, 403):
        return f"{url} refused the key (HTTP {response.status_code})"
    if response.status_code != 200:
        return f"{url} answered HTTP {response.status_code}"
    return None


# -- the warehouse: relations, materializations, the ledger, the date ---------------------------


def _warehouse_checks(
    settings: Settings, league: League, day: date | None, add: Callable[[DoctorCheck], None]
) -> None:
    from spread_eagle.warehouse import WarehouseError, connect, duckdb_path
    from spread_eagle.warehouse.base import load_migrations

    url = settings.database_url
    if url.startswith("duckdb://") and not duckdb_path(url).is_file():
        add(
            DoctorCheck(
                NOT_VISIBLE,
                "database",
                WARN,
                f"no DuckDB warehouse at {duckdb_path(url).resolve()} yet (doctor never creates one)",
                "spread-eagle demo   # or: spread-eagle run-daily --date YYYY-MM-DD",
            )
        )
        if day is not None:
            add(
                DoctorCheck(
                    f"date {day}",
                    "stored",
                    FAIL,
                    "nothing is stored",
                    f"spread-eagle run-daily --date {day}",
                )
            )
        return
    try:
        with connect(url, read_only=True, verify_schema=False) as wh:
            add(DoctorCheck(NOT_VISIBLE, "database", OK, f"{wh.describe()}, opened read-only"))
            latest = max(m.version for m in load_migrations())
            if not wh.relation_exists("ops", "schema_migration"):
                add(
                    DoctorCheck(
                        NOT_VISIBLE,
                        "migrations",
                        WARN,
                        "an empty database: no Spread Eagle warehouse there yet",
                        "spread-eagle run-daily --date YYYY-MM-DD   # creates and migrates it",
                    )
                )
                return
            current = wh.scalar("select max(version) from ops.schema_migration") or 0
            add(
                DoctorCheck(
                    NOT_VISIBLE,
                    "migrations",
                    OK if current >= latest else WARN,
                    f"at version {current}"
                    + ("" if current >= latest else f"; this version needs {latest}")
                    + " (doctor never migrates)",
                    None if current >= latest else "spread-eagle run-daily   # migrates first",
                )
            )
            history = _history(wh)
            _relation_checks(wh, league, history, add)
            _ledger_checks(wh, league, settings, history, add)
            if day is not None:
                _date_checks(wh, settings, league, day, add)
    except WarehouseError as exc:
        add(
            DoctorCheck(
                NOT_VISIBLE,
                "database",
                FAIL,
                str(exc),
                "check SPREAD_EAGLE_DATABASE_URL (and that PostgreSQL is up, or that no other "
                "process holds the DuckDB file)",
            )
        )
        return
    _dbt_debug(settings, add)


def _history(wh: Warehouse) -> dict[str, bool]:
    """Has a transform (or a publish) ever succeeded here? Missing relations are then a failure."""
    done = {
        r["step"]
        for r in wh.query(
            "select distinct step from ops.step_run where status = 'succeeded'"
            " and step in ('transform', 'publish')"
        )
    }
    return {"transform": "transform" in done, "publish": "publish" in done}


def expected_relations(suffix: str = "") -> dict[str, tuple[str, str]]:
    """model -> (schema, 'table' | 'view') from dbt_project.yml and each model's own config(), the
    schemas with a league's `suffix` (League.schema)."""
    from spread_eagle.transform.dbt_runner import DBT_PROJECT_DIR

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    folders = project["models"]["spread_eagle"]
    out: dict[str, tuple[str, str]] = {}
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.sql")):
        folder = path.relative_to(DBT_PROJECT_DIR / "models").parts[0]
        config = folders.get(folder, {})
        materialized = config.get("+materialized", "view")
        own = re.search(r"materialized\s*=\s*['\"](\w+)['\"]", path.read_text(encoding="utf-8"))
        if own:
            materialized = own.group(1)
        if materialized == "ephemeral":
            continue
        kind = "view" if materialized == "view" else "table"  # incremental is a table
        out[path.stem] = (config.get("+schema", "main") + suffix, kind)
    return out


def _relation_checks(
    wh: Warehouse, league: League, history: dict[str, bool], add: Callable[[DoctorCheck], None]
) -> None:
    expected = expected_relations(league.schema(""))
    schemas = sorted({s for s, _ in expected.values()} | set(PYTHON_SCHEMAS))
    present = {
        r["schema_name"]
        for r in wh.query("select schema_name from information_schema.schemata")
        if r["schema_name"] in schemas
    }
    missing_schemas = [s for s in schemas if s not in present]
    built = history["transform"]
    add(
        DoctorCheck(
            NOT_VISIBLE,
            "target schemas",
            OK if not missing_schemas else (FAIL if built else WARN),
            f"dbt writes each layer to the schema named after it (macro generate_schema_name): "
            f"{', '.join(s for s in schemas if s in present) or 'none'} present"
            + (f"; missing {', '.join(missing_schemas)}" if missing_schemas else ""),
            None if not missing_schemas else "spread-eagle run-daily --date YYYY-MM-DD",
        )
    )
    actual = {
        (r["table_schema"], r["table_name"]): "view" if r["table_type"] == "VIEW" else "table"
        for r in wh.query(
            "select table_schema, table_name, table_type from information_schema.tables"
            f" where table_schema in ({', '.join('?' for _ in schemas)})",
            schemas,
        )
    }
    missing, wrong = [], []
    for model, (schema, kind) in expected.items():
        found = actual.get((schema, model))
        if found is None:
            missing.append(f"{schema}.{model}")
        elif found != kind:
            wrong.append(f"{schema}.{model} is a {found}, dbt_project.yml says {kind}")
    ui_only = all(m.startswith("ui.") for m in missing)
    level = OK
    if missing:
        level = FAIL if (built and not ui_only) or (history["publish"] and ui_only) else WARN
    if wrong:
        level = FAIL
    detail = f"{len(expected) - len(missing) - len(wrong)} of {len(expected)} dbt relations present with their materialization"
    if missing:
        detail += f"; missing: {', '.join(missing)}"
    if wrong:
        detail += f"; wrong materialization: {'; '.join(wrong)}"
    fix = None
    if wrong:
        names = " ".join(w.split(" ", 1)[0].split(".", 1)[1] for w in wrong)
        fix = f"cd dbt && dbt build --full-refresh --select {names}   # replaces them"
    elif missing:
        fix = (
            "spread-eagle run-daily --date YYYY-MM-DD   # transform builds them, publish the ui__*"
        )
    add(DoctorCheck(NOT_VISIBLE, "relations and materializations", level, detail, fix))


def _dbt_debug(settings: Settings, add: Callable[[DoctorCheck], None]) -> None:
    """`dbt debug` (profile, project, connection) on a read-only connection to the same database."""
    from spread_eagle.transform.dbt_runner import DBT_PROJECT_DIR, DbtError, environment, run_dbt
    from spread_eagle.warehouse import connect

    fix = "cd dbt && dbt debug   # profiles.yml reads SPREAD_EAGLE_DATABASE_URL (docs/dbt.md)"
    wh = connect(settings.database_url, read_only=True, verify_schema=False)
    try:
        with tempfile.TemporaryDirectory(prefix="se-doctor-") as tmp:
            profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text("utf-8"))
            target = "duckdb" if wh.dialect == "duckdb" else "postgres"
            outputs = profiles["spread_eagle"]["outputs"]
            if target == "duckdb":  # never take the file for writing (a running pipeline holds it)
                outputs["duckdb"]["config_options"] = {"access_mode": "READ_ONLY"}
            (Path(tmp) / "profiles.yml").write_text(yaml.safe_dump(profiles), "utf-8")
            with environment(
                {"DBT_LOG_PATH": tmp, "DBT_QUIET": "true"}
            ):  # dbt.log in tmp, not ./logs
                outcome = run_dbt(wh, ["debug"], work_dir=Path(tmp), profiles_dir=Path(tmp))
    except DbtError as exc:
        add(DoctorCheck(NOT_VISIBLE, "dbt connection", FAIL, str(exc), fix))
        return
    finally:
        wh.close()
    add(
        DoctorCheck(
            NOT_VISIBLE,
            "dbt connection",
            OK if outcome.success else FAIL,
            f"dbt debug: profile spread_eagle, target {target}, {wh.describe()}: "
            + ("profile, project and connection ok" if outcome.success else "failed"),
            None if outcome.success else fix,
        )
    )


def _newest_run(wh: Warehouse, league: str, run_date: date | None = None) -> dict[str, Any] | None:
    from spread_eagle.run.ledger import recent_runs

    runs = recent_runs(wh, limit=1, league=league, run_date=run_date)
    return runs[0] if runs else None


def _step_check(
    run: dict[str, Any] | None,
    step: str,
    scenario: str,
    add: Callable[[DoctorCheck], None],
    extra_fix: str = "",
) -> None:
    if run is None:
        add(DoctorCheck(scenario, f"newest {step}", WARN, "no run yet", "spread-eagle demo"))
        return
    found = next((s for s in run["steps"] if s["step"] == step), None)
    status = found["status"] if found else "not in the run"
    counts = ", ".join(f"{k}={v}" for k, v in (found or {}).get("row_counts", {}).items())
    where = f"run {run['run_id']} ({run['run_date']})"
    if status == "failed":
        add(
            DoctorCheck(
                scenario,
                f"newest {step}",
                FAIL,
                f"{where}: {step} failed: {found['error'] if found else ''}",
                f"spread-eagle run-daily --date {run['run_date']} --from-step {step}"
                f"   # after fixing the cause{extra_fix}",
            )
        )
        return
    add(
        DoctorCheck(
            scenario,
            f"newest {step}",
            OK if status in ("succeeded", "reused") else WARN,
            f"{where}: {status}" + (f" ({counts})" if counts else ""),
        )
    )


def _ledger_checks(
    wh: Warehouse,
    league: League,
    settings: Settings,
    history: dict[str, bool],
    add: Callable[[DoctorCheck], None],
) -> None:
    from spread_eagle.predict.registry import UnknownModelError, configured_versions

    run = _newest_run(wh, league.league)
    for step in ("ingest_slate", "ingest_results"):
        _step_check(
            run,
            step,
            MISSING_GAMES,
            add,
            f"; what was set aside: spread-eagle quarantine --run {run['run_id']}" if run else "",
        )
    if run is not None:
        quarantined = wh.scalar(
            "select count(*) from raw.quarantine where run_id = ?", (run["run_id"],)
        )
        add(
            DoctorCheck(
                MISSING_GAMES,
                "quarantine",
                OK if not quarantined else WARN,
                f"run {run['run_id']} quarantined {quarantined} record(s)",
                f"spread-eagle quarantine --run {run['run_id']}" if quarantined else None,
            )
        )
    quota = wh.query(
        "select requests_remaining, fetched_at from raw.http_response where source = 'odds_api'"
        " order by fetched_at desc limit 1"
    )
    if quota:
        remaining = quota[0]["requests_remaining"]
        exhausted = remaining is not None and str(remaining).strip() in ("0", "0.0")
        add(
            DoctorCheck(
                MISSING_GAMES,
                "odds api quota",
                FAIL if exhausted else OK,
                f"x-requests-remaining {remaining} at the newest fetch",
                "wait for the quota to reset, or raise the plan" if exhausted else None,
            )
        )
    _step_check(run, "transform", NOT_VISIBLE, add)
    try:
        versions = configured_versions(settings.model_name, league)
        add(
            DoctorCheck(
                MISSING_OUTPUTS,
                "model",
                OK,
                ", ".join(f"{k} {v}" for k, v in versions.items()),
            )
        )
    except UnknownModelError as exc:
        add(
            DoctorCheck(
                MISSING_OUTPUTS, "model", FAIL, str(exc), "export SPREAD_EAGLE_MODEL_NAME=ratings"
            )
        )
    features = league.schema("features")
    if wh.relation_exists(features, "feat__game"):
        rows = wh.scalar(f"select count(*) from {features}.feat__game")
        add(
            DoctorCheck(
                MISSING_OUTPUTS,
                "feature tables",
                OK if rows else (FAIL if history["transform"] else WARN),
                f"{features}.feat__game has {rows} rows",
                None if rows else "spread-eagle run-daily --date YYYY-MM-DD --from-step transform",
            )
        )
    _step_check(run, "predict", MISSING_OUTPUTS, add)
    _step_check(run, "summarize", MISSING_TLDR, add)


def _date_checks(
    wh: Warehouse, settings: Settings, league: League, day: date, add: Callable[[DoctorCheck], None]
) -> None:
    """`doctor --date D`: what is stored for the date, each check with the command that fixes it."""
    from spread_eagle.validate.step import check_stored

    scenario = f"date {day}"
    fetches = wh.query(
        "select source, games, quarantined, as_of from ops.schedule_fetch"
        " where league = ? and run_date = ? order by as_of desc",
        (league.league, day),
    )
    add(
        DoctorCheck(
            scenario,
            "schedule stored",
            OK if fetches else FAIL,
            (
                f"{len(fetches)} schedule fetch(es); newest: {fetches[0]['source']}, "
                f"{fetches[0]['games']} games, {fetches[0]['quarantined']} quarantined"
            )
            if fetches
            else "no schedule of the date was ever fetched",
            None if fetches else f"spread-eagle run-daily --date {day}",
        )
    )
    run = _newest_run(wh, league.league, day)
    fixes = {
        "scheduled_games_in_fct_game": "--from-step transform",
        "schedule_records_usable": "--accept-quarantined   # or fix the source first",
        "market_snapshot_per_game": "   # re-ingest the lines: from ingest_slate",
        "features_without_unexpected_nulls": "--from-step transform",
        "prediction_per_game": "--from-step predict",
        "grounded_tldr_per_game": "--from-step summarize",
    }
    if wh.relation_exists(league.schema("facts"), "fct__game"):
        run_id, results = check_stored(wh, settings, league, day)
        for r in results:
            add(
                DoctorCheck(
                    scenario,
                    r.name,
                    OK if r.passed else FAIL,
                    r.detail + (f" (run {run_id})" if run_id else ""),
                    None
                    if r.passed
                    else f"spread-eagle run-daily --date {day} {fixes.get(r.name, '')}".rstrip(),
                )
            )
    else:
        add(
            DoctorCheck(
                scenario,
                "fct__game",
                FAIL,
                f"{league.schema('facts')}.fct__game is not built",
                f"spread-eagle run-daily --date {day}",
            )
        )
    slate = wh.query(
        "select run_id, games, published_at from publish.slate where league = ? and run_date = ?",
        (league.league, day),
    )
    kept = (
        wh.scalar(
            "select count(*) from publish.slate_history where league = ? and run_date = ?",
            (league.league, day),
        )
        if wh.relation_exists("publish", "slate_history")
        else 0
    )
    if slate:
        add(
            DoctorCheck(
                scenario,
                "publication",
                OK,
                f"published by run {slate[0]['run_id']} at "
                f"{slate[0]['published_at']:%Y-%m-%dT%H:%M:%SZ}, {slate[0]['games']} games; "
                f"{kept} publication(s) kept",
            )
        )
    else:
        failed = run is not None and run["status"] != "succeeded"
        add(
            DoctorCheck(
                scenario,
                "publication",
                FAIL,
                "nothing is published for the date"
                + (f"; its newest run {run['run_id']} is {run['status']}" if run else ""),
                f"spread-eagle status   # which step failed, then: spread-eagle run-daily --date {day} --from-step <step>"
                if failed
                else f"spread-eagle run-daily --date {day}",
            )
        )

"""`spread-eagle doctor`: the RUNBOOK section 8 diagnostics, each a named check with a verdict."""

from __future__ import annotations

from dataclasses import dataclass

from spread_eagle.config import Settings


@dataclass(frozen=True)
class DoctorCheck:
    name: str
    level: str  # ok | warn | fail
    detail: str


SCHEMAS = ("raw", "ops", "outputs", "publish", "staging", "facts", "features", "ui")


def run_doctor(settings: Settings) -> list[DoctorCheck]:
    from spread_eagle.ingest.registry import providers_for
    from spread_eagle.leagues import load_league
    from spread_eagle.transform.dbt_runner import DbtError, run_dbt
    from spread_eagle.warehouse import WarehouseError, connect

    checks = [
        DoctorCheck("config", "ok", ", ".join(f"{k}={v}" for k, v in settings.redacted().items()))
    ]
    try:
        league = load_league(settings.league, settings.leagues_dir)
        checks.append(
            DoctorCheck(
                "league", "ok", f"{league.league}: {len(league.teams)} teams, tz {league.timezone}"
            )
        )
    except ValueError as exc:
        return [*checks, DoctorCheck("league", "fail", str(exc))]
    try:
        providers = providers_for(settings, league)
        checks.append(
            DoctorCheck(
                "providers", "ok", ", ".join(f"{k}={p.source}" for k, p in providers.items())
            )
        )
    except Exception as exc:
        checks.append(DoctorCheck("providers", "fail", str(exc)))
    if settings.schedule_provider == "replay" or settings.results_provider == "replay":
        path = settings.resolved_games_file
        checks.append(
            DoctorCheck(
                "games file",
                "ok" if path.is_file() else "fail",
                str(path) if path.is_file() else f"{path} does not exist (SPREAD_EAGLE_GAMES_FILE)",
            )
        )
    try:
        wh = connect(settings.database_url)
        with wh:
            wh.scalar("select 1")
            checks.append(DoctorCheck("database", "ok", wh.describe()))
            applied = wh.migrate()
            version = wh.scalar("select max(version) from ops.schema_migration")
            checks.append(
                DoctorCheck(
                    "migrations",
                    "ok",
                    f"at version {version}" + (f" (applied {applied})" if applied else ""),
                )
            )
            present = [
                s
                for s in SCHEMAS
                if wh.scalar(
                    "select count(*) from information_schema.schemata where schema_name = ?", (s,)
                )
            ]
            missing = [s for s in SCHEMAS if s not in present]
            checks.append(
                DoctorCheck(
                    "target schemas",
                    "warn" if missing else "ok",
                    f"missing {', '.join(missing)} (run-daily creates them)"
                    if missing
                    else ", ".join(present),
                )
            )
            runs = wh.scalar("select count(*) from ops.run")
            checks.append(DoctorCheck("run ledger", "ok", f"{runs} runs recorded"))
            try:
                outcome = run_dbt(wh, ["debug"], work_dir=settings.log_dir / "dbt")
                checks.append(
                    DoctorCheck(
                        "dbt debug",
                        "ok" if outcome.success else "fail",
                        "connection and project ok"
                        if outcome.success
                        else "dbt debug failed: run it from dbt/ (see README)",
                    )
                )
            except DbtError as exc:
                checks.append(DoctorCheck("dbt debug", "fail", str(exc)))
    except WarehouseError as exc:
        checks.append(DoctorCheck("database", "fail", str(exc)))
    checks.append(_llm_check(settings))
    return checks


def _llm_check(settings: Settings) -> DoctorCheck:
    """The provider can be built (SDK installed, key set); no request is sent."""
    from spread_eagle.summarize.providers import ProviderError, build_provider

    try:
        provider = build_provider(settings)
    except ProviderError as exc:
        return DoctorCheck("llm provider", "fail", str(exc))
    if provider.name == "offline":
        return DoctorCheck("llm provider", "ok", "offline (no key, no network)")
    return DoctorCheck("llm provider", "ok", f"{provider.name}, model {provider.model}")

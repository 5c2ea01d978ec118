"""One Settings object: everything configurable comes from the environment (and an optional .env).

No other module reads the environment; they are handed a Settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from spread_eagle.leagues import League

if TYPE_CHECKING:
    from spread_eagle.leagues import League

DEFAULT_DATABASE_URL = "duckdb:///data/spread_eagle.duckdb"
PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
BUNDLED_GAMES_FILE = DATA_DIR / "nflverse_games.csv"
BUNDLED_LINES_FILE = DATA_DIR / "nfl_odds_open_close_aussportsbetting.csv"
NFLVERSE_GAMES_URL = "https://github.com/nflverse/nfldata/raw/master/data/games.csv"

ScheduleProvider = Literal["replay", "espn", "nflverse"]
OddsProvider = Literal["replay", "odds_api", "espn", "nflverse"]
ResultsProvider = Literal["replay", "odds_api", "espn", "nflverse"]
LlmProvider = Literal["offline", "openai", "anthropic", "ollama"]


class Settings(BaseSettings):
    """Spread Eagle's configuration. Field names map to `SPREAD_EAGLE_<NAME>` variables."""

    model_config = SettingsConfigDict(
        env_prefix="SPREAD_EAGLE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    env: str = Field(
        "local", description="Environment name recorded on every run (dev, local, prod)."
    )
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="duckdb:///relative.duckdb, duckdb:////absolute.duckdb or postgresql://...",
    )
    games_file: Path | None = Field(
        None,
        description="A games CSV to replay instead of the league's bundled one, in the league's "
        "format (games_format in its config: nflverse for the NFL, nba for the NBA).",
    )
    league: str = Field("nfl", description="Default league.")
    leagues_dir: Path | None = Field(
        None,
        description="A folder of league data (<league>.yaml, <league>_teams.csv, team_alias.csv) "
        "read before the bundled leagues: a new league is a config, not code.",
    )
    schedule_provider: ScheduleProvider = "replay"
    odds_provider: OddsProvider = "replay"
    results_provider: ResultsProvider = "replay"
    odds_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("ODDS_API_KEY", "SPREAD_EAGLE_ODDS_API_KEY")
    )
    odds_api_base_url: str = "https://api.the-odds-api.com"
    odds_api_regions: str = Field("us", description="The Odds API `regions` (comma-separated).")
    odds_api_markets: str = Field("h2h,spreads,totals", description="The Odds API `markets`.")
    odds_api_odds_format: Literal["american", "decimal"] = "american"
    odds_api_date_format: Literal["iso", "unix"] = "iso"
    espn_base_url: str = "https://site.api.espn.com"
    nflverse_games_url: str = Field(
        NFLVERSE_GAMES_URL, description="The public nflverse games CSV (conditional GET)."
    )
    lines_file: Path | None = Field(
        None,
        description="An aussportsbetting-format open/close sheet to replay instead of the bundled one.",
    )
    http_timeout_seconds: float = Field(20.0, gt=0)
    http_max_attempts: int = Field(4, ge=1, le=10)
    http_backoff_seconds: float = Field(
        0.5, ge=0, description="Base of the exponential backoff (full jitter) between retries."
    )
    llm_provider: LlmProvider = "offline"
    llm_model: str | None = Field(
        None, description="The provider's model; each provider has a default (offline: none)."
    )
    llm_base_url: str | None = Field(
        None, description="Another endpoint for the provider (a proxy, a local Ollama)."
    )
    llm_timeout_seconds: float = Field(60.0, gt=0, description="One LLM request's timeout.")
    llm_max_tokens: int = Field(300, ge=32, le=4096, description="Token limit of one TL;DR.")
    llm_max_concurrency: int = Field(
        4,
        ge=1,
        le=32,
        description="TL;DRs of a slate written at the same time by a provider that calls a server"
        " (the offline writer writes one at a time).",
    )
    llm_max_attempts: int = Field(
        4, ge=1, le=10, description="Tries of one request on 429, 5xx and timeouts."
    )
    llm_backoff_seconds: float = Field(
        1.0, ge=0, description="Base of the exponential backoff between LLM retries."
    )
    llm_grounding_attempts: int = Field(
        3,
        ge=1,
        le=10,
        description="TL;DRs written per game before an ungrounded one fails the run.",
    )
    llm_seed: int = Field(7, description="Sampling seed, where the API takes one.")
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "SPREAD_EAGLE_OPENAI_API_KEY")
    )
    anthropic_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("ANTHROPIC_API_KEY", "SPREAD_EAGLE_ANTHROPIC_API_KEY")
    )
    models: str = Field(
        "ratings,market_blend",
        description="Comma list of the models that predict every game (validation expects each).",
    )
    model_name: str = Field(
        "market_blend",
        description="The headline model: its play heads the slate and its numbers the TL;DR.",
    )
    log_dir: Path = Field(Path("logs"), description="Where the JSON-lines run logs go.")
    backtest_dir: Path = Field(
        Path("bench/out/backtest"),
        description="The `backtest --out` folder whose metrics.json and report.html `serve` shows.",
    )
    dbt_threads: int = Field(2, ge=1, le=16)
    dbt_parse_cache_dir: Path | None = Field(
        None,
        description="Where dbt's parsed project is kept for the next process, which loads it in "
        "a tenth of a second instead of parsing for 3-4 s (default: <log_dir>/dbt/parsed).",
    )
    # A test-only fault hook (scripts/test_airflow.sh): never set in production. It is honoured only
    # by the scheduler's entry points (spread_eagle.pipeline.scheduled.run_step), where it fails the
    # named step as an ordinary step failure (recorded in the ledger) before the step does anything.
    fault_step: str | None = Field(
        None,
        description="TEST ONLY: the step that fails (InjectedFault) when a scheduler runs it.",
    )
    fault_once_file: Path | None = Field(
        None,
        description="TEST ONLY: with fault_step, fail only while this file does not exist, and "
        "create it, so the next attempt (a scheduler's retry) succeeds.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(
            ("duckdb://", "postgresql://", "postgres://", "postgresql+psycopg://")
        ):
            raise ValueError(
                "SPREAD_EAGLE_DATABASE_URL must start with duckdb:/// or postgresql:// "
                f"(got a URL starting with {value.split(':', 1)[0]!r})"
            )
        return value

    @property
    def model_list(self) -> list[str]:
        return [m.strip() for m in self.models.split(",") if m.strip()]

    @property
    def headline_model(self) -> str:
        """The configured model whose play heads the slate (`model_name` when configured)."""
        names = self.model_list
        return self.model_name if self.model_name in names or not names else names[-1]

    @property
    def dbt_parse_cache(self) -> Path:
        return self.dbt_parse_cache_dir or self.log_dir / "dbt" / "parsed"

    def games_file_for(self, league: League) -> Path:
        """The games file a league replays: SPREAD_EAGLE_GAMES_FILE, else its bundled one."""
        if self.games_file is not None:
            return self.games_file
        if not league.bundled_games_file:
            raise ValueError(
                f"league {league.league!r} bundles no games file: set SPREAD_EAGLE_GAMES_FILE"
            )
        return DATA_DIR / league.bundled_games_file

    def lines_file_for(self, league: League) -> Path | None:
        """The open/close sheet a league replays: SPREAD_EAGLE_LINES_FILE, else its bundled one
        (None: the league has none)."""
        if self.lines_file is not None:
            return self.lines_file
        return DATA_DIR / league.bundled_lines_file if league.bundled_lines_file else None

    def redacted(self) -> dict[str, object]:
        """Settings as a dict that is safe to print: secrets and URL passwords masked."""
        from spread_eagle.redact import redact_url

        out: dict[str, object] = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                out[name] = "**********" if value.get_secret_value() else None
            elif name == "database_url":
                out[name] = redact_url(str(value))
            elif isinstance(value, Path):
                out[name] = str(value)
            else:
                out[name] = value
        return out

    def secrets(self) -> list[str]:
        """Every secret value in force, for the log and error redaction filter."""
        values = [self.odds_api_key, self.openai_api_key, self.anthropic_api_key]
        found = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        from spread_eagle.redact import url_password

        password = url_password(self.database_url)
        if password:
            found.append(password)
        return found

"""The harness's bookkeeping: figures (samples -> median, min, max, unit, goal), ratios measured in
the same run, the machine, versions and commit, and the JSON and Markdown written at the end.

Nothing here runs the pipeline; `bench/__main__.py` does, and hands its samples to `Results`.
tests/bench/test_harness.py exercises this module on fake timings.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def fresh_pg_database(server_url: str) -> str:
    """A new, empty database on the server of `server_url`; returns its URL."""
    import psycopg

    name = f"se_bench_{uuid.uuid4().hex[:10]}"
    head, _, _ = server_url.rpartition("/")
    with psycopg.connect(f"{head}/postgres", autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    return f"{head}/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    head, _, name = url.rpartition("/")
    with psycopg.connect(f"{head}/postgres", autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


@dataclass
class Figure:
    """One measured quantity: its samples (one per run), unit, and goal (an upper bound)."""

    name: str
    unit: str
    samples: list[float] = field(default_factory=list)
    goal: float | None = None
    note: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def min(self) -> float | None:
        return min(self.samples) if self.samples else None

    @property
    def max(self) -> float | None:
        return max(self.samples) if self.samples else None

    @property
    def met(self) -> bool | None:
        """Whether the median is within the goal; None without a goal or a measurement."""
        if self.goal is None or self.median is None:
            return None
        return self.median <= self.goal

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "median": _round(self.median),
            "min": _round(self.min),
            "max": _round(self.max),
            "unit": self.unit,
            "goal": self.goal,
            "met": self.met,
            "runs": len(self.samples),
        }
        if self.note:
            out["note"] = self.note
        return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def ratio(name: str, numerator: Figure, denominator: Figure, goal: float | None = None) -> Figure:
    """numerator / denominator as a figure of its own. When both have one sample per run (measured
    in pairs, in the same run) the ratio is taken pair by pair, so its min and max show the spread
    of the pairs; otherwise it is the ratio of the medians (one sample). Missing -> skipped."""
    note = None
    if not numerator.samples or not denominator.samples:
        missing = numerator if not numerator.samples else denominator
        note = f"not measured: {missing.name} missing" + (
            f" ({missing.note})" if missing.note else ""
        )
        return Figure(name, "x", [], goal, note)
    if len(numerator.samples) == len(denominator.samples):
        samples = [a / b for a, b in zip(numerator.samples, denominator.samples, strict=True) if b]
    else:
        assert numerator.median is not None and denominator.median is not None
        samples = [numerator.median / denominator.median] if denominator.median else []
        note = "ratio of the medians (unpaired samples)"
    return Figure(name, "x", samples, goal, note)


@dataclass
class Results:
    figures: dict[str, Figure] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        name: str,
        unit: str,
        samples: Sequence[float] | None,
        goal: float | None = None,
        note: str | None = None,
    ) -> Figure:
        figure = Figure(name, unit, list(samples or []), goal, note)
        self.figures[name] = figure
        return figure

    def skip(self, name: str, unit: str, note: str, goal: float | None = None) -> Figure:
        return self.add(name, unit, None, goal, note)

    def add_ratio(
        self, name: str, numerator: str, denominator: str, goal: float | None = None
    ) -> Figure:
        figure = ratio(name, self.figures[numerator], self.figures[denominator], goal)
        self.figures[name] = figure
        return figure

    def document(
        self, machine: dict[str, Any], versions: dict[str, Any], commit: str, **extra: Any
    ) -> dict[str, Any]:
        return {
            "figures": {name: f.as_json() for name, f in self.figures.items()},
            "machine": machine,
            "versions": versions,
            "commit": commit,
            "notes": self.notes,
            **extra,
        }

    def markdown(self, machine: dict[str, Any], versions: dict[str, Any], commit: str) -> str:
        lines = [
            "| figure | median | min | max | unit | goal | met | runs | note |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for f in self.figures.values():
            met = {True: "yes", False: "**no**", None: ""}[f.met]
            goal = "" if f.goal is None else f"<= {_fmt(f.goal)}"
            lines.append(
                f"| {f.name} | {_fmt(f.median)} | {_fmt(f.min)} | {_fmt(f.max)} | {f.unit} "
                f"| {goal} | {met} | {len(f.samples)} | {f.note or ''} |"
            )
        lines += [
            "",
            f"commit {commit}; {machine.get('cores')} cores, {machine.get('memory_mb')} MB, "
            f"load average {machine.get('loadavg_start')} at start, "
            f"{machine.get('loadavg_end')} at end; "
            + ", ".join(f"{k} {v}" for k, v in versions.items()),
        ]
        lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


# -- where and what ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    memory_mb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_mb = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_mb": memory_mb,
        "platform": platform.platform(),
        "processor": platform.machine(),
        "loadavg_start": _loadavg(),
    }


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def finish_machine(info: dict[str, Any]) -> dict[str, Any]:
    return {**info, "loadavg_end": _loadavg()}


def versions() -> dict[str, Any]:
    out: dict[str, Any] = {"python": platform.python_version()}
    for name in (
        "dbt-core",
        "dbt-duckdb",
        "dbt-postgres",
        "duckdb",
        "psycopg",
        "uvicorn",
        "httptools",
        "uvloop",
    ):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "HEAD") or "unknown"
    return head + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def write(
    results: Results,
    out: Path,
    machine_info: dict[str, Any],
    head: str | None = None,
    **extra: Any,
) -> tuple[Path, Path]:
    """Write FILE (JSON) and FILE with .md (the Markdown table); return both paths. `head`: the
    commit measured (read when the run started; default: now)."""
    info = finish_machine(machine_info)
    vers, head = versions(), head or commit()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(results.document(info, vers, head, **extra), indent=2) + "\n", encoding="utf-8"
    )
    md = out.with_suffix(".md")
    md.write_text(results.markdown(info, vers, head), encoding="utf-8")
    return out, md


def python() -> str:
    return sys.executable


@dataclass
class ChildRun:
    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str


def run_child(argv: Sequence[str], env: dict[str, str] | None = None, cwd: Path = ROOT) -> ChildRun:
    """Run a command as a child process: its wall time and its peak RSS (os.wait4's ru_maxrss, the
    largest of the child and the descendants it waited for)."""
    import tempfile
    import time

    with tempfile.TemporaryFile(mode="w+") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    return ChildRun(seconds, usage.ru_maxrss / 1024, proc.returncode, output)

"""The backtest page, when `backtest --out DIR` wrote DIR/metrics.json (DIR: the configured
SPREAD_EAGLE_BACKTEST_DIR), and the report it wrote beside it."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from spread_eagle.web.state import WebDep, WebError

router = APIRouter(include_in_schema=False)

# The report is self-contained with its CSS inline; it still runs no script.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def _rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"who": "market", "model_version": "", **metrics["market"]}]
    for name, m in metrics.get("models", {}).items():
        ats = m.get("ats_vs_close") or {}
        rows.append(
            {
                "who": name,
                **m,
                "ats": f"{ats.get('wins')}-{ats.get('losses')}-{ats.get('pushes')}" if ats else "",
            }
        )
    return rows


@router.get("/backtest")
def backtest_page(web: WebDep) -> Response:
    path = web.settings.backtest_dir / "metrics.json"
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WebError(
            HTTPStatus.NOT_FOUND,
            f"no backtest report at {web.settings.backtest_dir}; run `spread-eagle backtest "
            f"--start-season 2015 --end-season 2024 --out {web.settings.backtest_dir}`",
        ) from None
    report = (web.settings.backtest_dir / "report.html").is_file()
    html = web.render(
        "backtest.html", metrics=metrics, rows=_rows(metrics), report=report, title="Backtest"
    )
    return HTMLResponse(html)


@router.get("/backtest/report.html")
def backtest_report(web: WebDep) -> Response:
    path = web.settings.backtest_dir / "report.html"
    if not path.is_file():
        raise WebError(HTTPStatus.NOT_FOUND, "no backtest report; see /backtest")
    return FileResponse(
        path, media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP}
    )

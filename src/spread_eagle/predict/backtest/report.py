"""The backtest's readable report: the only module of the backtest that makes HTML."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from spread_eagle.odds import BREAK_EVEN_AT_MINUS_110
from spread_eagle.predict.backtest.metrics import calibration, season_rows
from spread_eagle.predict.backtest.walk_forward import Forecast

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c2430;background:#f6f7f9}
main{max-width:960px;margin:0 auto;padding:24px 16px 48px}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.15rem;margin:32px 0 8px}
p.sub{color:#5b6675;margin:0 0 16px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde2e8;border-radius:6px;font-size:.92rem}
th,td{padding:7px 10px;text-align:right;border-bottom:1px solid #edf0f3}
th:first-child,td:first-child{text-align:left}th{background:#eef1f5;font-weight:600}
.better{color:#0a7a3d;font-weight:600}.worse{color:#b42318}
.wrap{overflow-x:auto}svg{background:#fff;border:1px solid #dde2e8;border-radius:6px;max-width:100%;height:auto}
dl{font-size:.9rem;color:#3a4552}dt{font-weight:600;margin-top:8px}dd{margin:2px 0 0 0}
"""


def _fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.{digits}f}"
    return html.escape(str(value))


def _calibration_svg(table: Sequence[dict[str, Any]]) -> str:
    size, pad = 320, 36
    span = size - 2 * pad

    def xy(p: float, y: float) -> tuple[float, float]:
        return pad + p * span, size - pad - y * span

    parts = [
        f'<svg viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" '
        'aria-label="Calibration: predicted home win probability against observed win rate">',
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{pad}" stroke="#9aa5b1" stroke-dasharray="4 4"/>',
        f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{size - pad}" stroke="#1c2430"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{size - pad}" stroke="#1c2430"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        x, _ = xy(tick, 0)
        _, y = xy(0, tick)
        parts.append(
            f'<text x="{x:.0f}" y="{size - pad + 16}" font-size="11" text-anchor="middle">{tick:g}</text>'
        )
        parts.append(
            f'<text x="{pad - 6}" y="{y + 4:.0f}" font-size="11" text-anchor="end">{tick:g}</text>'
        )
    points = [xy(row["mean_p"], row["win_rate"]) for row in table]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1f6feb" stroke-width="2"/>')
    for (x, y), row in zip(points, table, strict=True):
        radius = 3 + min(6.0, row["games"] / 80)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#1f6feb" fill-opacity=".7">'
            f"<title>{row['games']} games: predicted {row['mean_p']:.3f}, won {row['win_rate']:.3f}</title></circle>"
        )
    parts.append(
        f'<text x="{size / 2}" y="{size - 4}" font-size="11" text-anchor="middle">predicted P(home win)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def render_report(metrics: dict[str, Any], forecasts: Sequence[Forecast], source_name: str) -> str:
    """A self-contained HTML page (inline CSS and SVG, no external assets)."""
    market = metrics["market"]
    rows = []
    for key, label in (
        ("spread_mae", "Spread MAE (points)"),
        ("total_mae", "Total MAE (points)"),
        ("win_brier", "Win Brier"),
        ("win_logloss", "Win log loss"),
        ("su_accuracy", "Straight-up accuracy"),
    ):
        cells = [f"<td>{_fmt(market[key])}</td>"]
        for m in metrics["models"].values():
            higher_is_better = key == "su_accuracy"
            better = (m[key] > market[key]) if higher_is_better else (m[key] < market[key])
            cells.append(f'<td class="{"better" if better else "worse"}">{_fmt(m[key])}</td>')
        rows.append(f'<tr><th scope="row">{label}</th>{"".join(cells)}</tr>')
    model_heads = "".join(
        f"<th>{html.escape(name)}<br><small>{html.escape(m['model_version'])}</small></th>"
        for name, m in metrics["models"].items()
    )
    betting = []
    for name, m in metrics["models"].items():
        for key, label in (("ats_vs_close", "vs close"), ("ats_vs_open", "vs open")):
            a = m[key]
            betting.append(
                f"<tr><td>{html.escape(name)} {label}</td><td>{a['wins']}</td><td>{a['losses']}</td>"
                f"<td>{a['pushes']}</td><td>{_fmt(a['pct'], 3)}</td></tr>"
            )
    extra = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{_fmt(m['cover_brier'])}</td><td>{_fmt(m['calibration_ece'])}</td>"
        f"<td>{_fmt(m['roi_at_minus110'])}</td><td>{_fmt(m['clv_mean_points'], 2)}</td><td>{m['open_lines']}</td></tr>"
        for name, m in metrics["models"].items()
    )
    decided = [
        (f.prediction.p_home_win, 1.0 if f.game.margin > 0 else 0.0)
        for f in forecasts
        if f.game.is_final and f.game.margin != 0
    ]
    table = calibration(decided)
    calib_rows = "".join(
        f"<tr><td>{r['low']:.1f}-{r['high']:.1f}</td><td>{r['games']}</td><td>{r['mean_p']:.3f}</td>"
        f"<td>{r['win_rate']:.3f}</td><td>{r['win_rate'] - r['mean_p']:+.3f}</td></tr>"
        for r in table
    )
    season_html = "".join(
        f"<tr><td>{r['season']}</td><td>{r['games']}</td><td>{_fmt(r['market_spread_mae'], 2)}</td>"
        f"<td>{_fmt(r['model_spread_mae'], 2)}</td><td>{r['ats']['wins']}-{r['ats']['losses']}-{r['ats']['pushes']}</td>"
        f"<td>{_fmt(r['ats']['pct'], 3)}</td></tr>"
        for r in season_rows(forecasts)
    )
    title = f"Spread Eagle backtest {metrics['start_season']}-{metrics['end_season']}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{_CSS}</style></head>
<body><main>
<h1>{html.escape(title)}</h1>
<p class="sub">Walk-forward on {metrics["games"]} graded games from {html.escape(source_name)}: each game date is predicted
by a model fitted only on games finished before it. Green beats the closing market, red does not.</p>
<h2>Against the closing market</h2>
<div class="wrap"><table><thead><tr><th>metric</th><th>market (close)</th>{model_heads}</tr></thead>
<tbody>{"".join(rows)}</tbody></table></div>
<h2>Betting the model's plays at -110</h2>
<div class="wrap"><table><thead><tr><th>model</th><th>wins</th><th>losses</th><th>pushes</th><th>win %</th></tr></thead>
<tbody>{"".join(betting)}</tbody></table></div>
<p class="sub">Break-even at -110 is {BREAK_EVEN_AT_MINUS_110:.3f}.</p>
<div class="wrap"><table><thead><tr><th>model</th><th>cover Brier</th><th>calibration ECE</th><th>ROI per bet</th>
<th>mean CLV (points)</th><th>games with an opener</th></tr></thead><tbody>{extra}</tbody></table></div>
<h2>Calibration of P(home win)</h2>
{_calibration_svg(table)}
<div class="wrap"><table><thead><tr><th>predicted</th><th>games</th><th>mean predicted</th><th>home win rate</th>
<th>difference</th></tr></thead><tbody>{calib_rows}</tbody></table></div>
<h2>By season</h2>
<div class="wrap"><table><thead><tr><th>season</th><th>games</th><th>market spread MAE</th><th>model spread MAE</th>
<th>ATS vs close</th><th>ATS %</th></tr></thead><tbody>{season_html}</tbody></table></div>
<h2>Definitions</h2>
<dl>
<dt>Market</dt><dd>The closing line is the forecast: -spread for the margin, the total for points, the vig-free
moneyline probability for the winner (games with both moneylines, ties excluded). Straight-up accuracy is the closing
spread favourite's, on decided games with a favourite.</dd>
<dt>Plays</dt><dd>The model plays a side when its cover probability beats the -110 break-even. "vs close" plays and
grades at the closing line; "vs open" hands the model the opening line (aussportsbetting sheet, 2014 to 2024 week 3;
the close where a game has no opener) and grades at it. CLV is how far the line then moved toward the open play.</dd>
<dt>ECE</dt><dd>Expected calibration error over ten equal-width probability bins.</dd>
</dl>
</main></body></html>
"""

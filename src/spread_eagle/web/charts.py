"""SVG charts drawn on the server (no script, no external asset): the card's line-movement
sparkline and the game page's line history by book. Every label goes through `escape`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from markupsafe import Markup, escape

PALETTE = ("#1f6feb", "#d1495b", "#0a7a3d", "#8e44ad", "#e67e22", "#00798c", "#5b6675")


def _scale(lo: float, hi: float, out_lo: float, out_hi: float) -> tuple[float, float]:
    """Linear map factors for [lo, hi] -> [out_lo, out_hi]; a flat range maps to the middle."""
    if hi == lo:
        return 0.0, (out_lo + out_hi) / 2
    k = (out_hi - out_lo) / (hi - lo)
    return k, out_lo - k * lo


def sparkline(values: Sequence[float], label: str, width: int = 120, height: int = 30) -> Markup:
    """Open -> current as a small line; the last point is marked."""
    if not values:
        return Markup("")
    pad = 4.0
    k, b = _scale(min(values), max(values), height - pad, pad)  # larger lines drawn higher
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points = [(pad + i * step, k * v + b) for i, v in enumerate(values)]
    if len(points) == 1:
        points.append((width - pad, points[0][1]))
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    x, y = points[-1]
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f'<polyline points="{path}" fill="none" stroke="#1f6feb" stroke-width="2"/>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f6feb"/></svg>'
    )


def history_chart(
    series: dict[str, list[tuple[datetime, float]]],
    title: str,
    opener: float | None = None,
    width: int = 640,
    height: int = 260,
) -> Markup:
    """One line per book over capture time; a dashed line marks the opener when known."""
    points = [p for pts in series.values() for p in pts]
    if not points:
        return Markup(f'<p class="muted">No {escape(title.lower())} history was published.</p>')
    left, right, top, bottom = 48.0, 16.0, 24.0, 40.0
    times = [t.timestamp() for t, _ in points]
    values = [v for _, v in points] + ([opener] if opener is not None else [])
    lo, hi = min(values) - 0.5, max(values) + 0.5
    kx, bx = _scale(min(times), max(times), left, width - right)
    ky, by = _scale(lo, hi, height - bottom, top)
    parts = [
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#99a3ad"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#99a3ad"/>',
    ]
    for value in (lo + 0.5, (lo + hi) / 2, hi - 0.5):
        y = ky * value + by
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6675">{value:g}</text>'
        )
    first, last = min(times), max(times)
    for stamp, anchor, x in ((first, "start", left), (last, "end", width - right)):
        label = datetime.fromtimestamp(stamp, UTC).strftime("%b %d %H:%MZ")
        parts.append(
            f'<text x="{x}" y="{height - bottom + 16}" text-anchor="{anchor}" font-size="11" fill="#5b6675">{label}</text>'
        )
    if opener is not None:
        y = ky * opener + by
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#99a3ad" stroke-dasharray="4 4"/>'
            f'<text x="{width - right}" y="{y - 4:.1f}" text-anchor="end" font-size="11" fill="#5b6675">open {opener:g}</text>'
        )
    for n, (book, pts) in enumerate(sorted(series.items())):
        colour = PALETTE[n % len(PALETTE)]
        coords = [(kx * t.timestamp() + bx, ky * v + by) for t, v in sorted(pts)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"><title>{escape(book)}</title></circle>'
            for x, y in coords
        )
        parts.append(
            f'<text x="{left + 8 + 150 * n}" y="{height - 6}" font-size="12" fill="{colour}">&#9632; {escape(book)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))

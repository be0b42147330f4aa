"""Inline SVG charts, generated here (no JavaScript, no CDN, no plotting library).

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (its text
alternative), every label is escaped, and the callers print the same figures in a table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Final

STATUS_COLORS: Final[dict[str, str]] = {
    "atteste": "#1b7837",
    "a_renouveler": "#b35806",
    "en_retard": "#b2182b",
    "echec": "#762a83",
    "en_cours": "#2166ac",
    "non_commence": "#767676",
}
BAR_COLOR: Final = "#2166ac"
FONT: Final = "font-family='system-ui, sans-serif' font-size='12'"

_counter = 0


def _ids(prefix: str) -> tuple[str, str]:
    global _counter
    _counter += 1
    return f"{prefix}-t{_counter}", f"{prefix}-d{_counter}"


def _shorten(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _open(width: int, height: int, title: str, desc: str, prefix: str) -> str:
    tid, did = _ids(prefix)
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' role='img' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' aria-labelledby='{tid} {did}' {FONT}>"
        f"<title id='{tid}'>{escape(title)}</title><desc id='{did}'>{escape(desc)}</desc>"
    )


def stacked_bars(
    title: str,
    rows: Sequence[tuple[str, Mapping[str, int]]],
    labels: Mapping[str, str],
    *,
    colors: Mapping[str, str] = STATUS_COLORS,
    width: int = 760,
) -> str:
    """Horizontal 100 % stacked bars, one per row (e.g. statuses per direction), with a legend."""
    label_w, bar_w, row_h = 220, width - 300, 24
    height = 40 + row_h * max(len(rows), 1) + 30
    parts = []
    desc_parts = []
    for name, counts in rows:
        total = sum(counts.values())
        done = counts.get("atteste", 0)
        pct = 100 * done / total if total else 0
        desc_parts.append(f"{name} : {pct:.0f} % attesté sur {total}")
    svg = [_open(width, height, title, " ; ".join(desc_parts) or "Aucune donnée.", "sb")]
    x = 0
    for code, label in labels.items():  # legend
        svg.append(
            f"<rect x='{x}' y='4' width='12' height='12' fill='{colors.get(code, BAR_COLOR)}'/>"
            f"<text x='{x + 16}' y='14'>{escape(label)}</text>"
        )
        x += 20 + 7 * len(label)
    for i, (name, counts) in enumerate(rows):
        y = 30 + i * row_h
        total = sum(counts.values())
        parts.append(f"<text x='0' y='{y + 15}'>{escape(_shorten(name))}</text>")
        offset = float(label_w)
        for code in labels:
            n = counts.get(code, 0)
            if not total or not n:
                continue
            w = bar_w * n / total
            parts.append(
                f"<rect x='{offset:.1f}' y='{y}' width='{w:.1f}' height='{row_h - 6}' "
                f"fill='{colors.get(code, BAR_COLOR)}'><title>{escape(name)} — {escape(labels[code])} : "
                f"{n}</title></rect>"
            )
            offset += w
        done = counts.get("atteste", 0)
        pct = 100 * done / total if total else 0
        parts.append(f"<text x='{label_w + bar_w + 8}' y='{y + 15}'>{pct:.0f} % ({total})</text>")
    svg.extend(parts)
    svg.append("</svg>")
    return "".join(svg)


def horizontal_bars(
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    unit: str = "",
    maximum: float | None = None,
    width: int = 760,
    color: str = BAR_COLOR,
    value_format: str = "{:.0f}",
) -> str:
    """One horizontal bar per row (e.g. late people per manager, success rate per scenario)."""
    label_w, row_h = 260, 22
    bar_w = width - label_w - 90
    top = max(maximum or 0.0, *(v for _n, v in rows), 1e-9) if rows else 1.0
    height = 10 + row_h * max(len(rows), 1)
    desc = " ; ".join(f"{n} : {value_format.format(v)}{unit}" for n, v in rows) or "Aucune donnée."
    svg = [_open(width, height, title, desc, "hb")]
    if not rows:
        svg.append("<text x='0' y='20'>Aucune donnée pour cette sélection.</text>")
    for i, (name, value) in enumerate(rows):
        y = 5 + i * row_h
        w = bar_w * value / top
        svg.append(
            f"<text x='0' y='{y + 14}'>{escape(_shorten(name, 38))}</text>"
            f"<rect x='{label_w}' y='{y}' width='{w:.1f}' height='{row_h - 5}' fill='{color}'/>"
            f"<text x='{label_w + w + 6:.1f}' y='{y + 14}'>"
            f"{escape(value_format.format(value))}{escape(unit)}</text>"
        )
    svg.append("</svg>")
    return "".join(svg)


def columns(
    title: str,
    points: Sequence[tuple[str, int]],
    *,
    width: int = 760,
    height: int = 220,
    color: str = BAR_COLOR,
) -> str:
    """Vertical bars over time (e.g. attestations per month)."""
    desc = " ; ".join(f"{label} : {n}" for label, n in points) or "Aucune donnée."
    svg = [_open(width, height, title, desc, "col")]
    if points:
        top = max(n for _l, n in points) or 1
        plot_h = height - 50
        step = (width - 40) / len(points)
        bar = max(step * 0.7, 1.0)
        svg.append(f"<line x1='30' y1='{plot_h + 10}' x2='{width}' y2='{plot_h + 10}' stroke='#444'/>")
        svg.append(f"<text x='0' y='20'>{top}</text><text x='0' y='{plot_h + 10}'>0</text>")
        every = max(1, len(points) // 12)
        for i, (label, n) in enumerate(points):
            h = plot_h * n / top
            x = 35 + i * step
            svg.append(
                f"<rect x='{x:.1f}' y='{plot_h + 10 - h:.1f}' width='{bar:.1f}' height='{h:.1f}' "
                f"fill='{color}'><title>{escape(label)} : {n}</title></rect>"
            )
            if i % every == 0:
                svg.append(f"<text x='{x:.1f}' y='{plot_h + 28}'>{escape(label)}</text>")
    else:
        svg.append(f"<text x='20' y='{height // 2}'>Aucune donnée pour cette sélection.</text>")
    svg.append("</svg>")
    return "".join(svg)

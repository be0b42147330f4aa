"""Inline SVG charts, generated here (no JavaScript, no CDN, no plotting library).

Every chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (its text
alternative), every label is escaped, and the callers print the same figures in a table.
Long labels (direction names, managers) are wrapped on several lines, never cut: the row
grows to hold them. Numbers are written in French (Canada) with :mod:`attest.fr_ca`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Final

from attest import fr_ca

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


LINE_HEIGHT: Final = 15
"""Pixels between two lines of a wrapped label (font size 12)."""


def wrap(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` characters, at spaces (a longer word
    is split); never shortened."""
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=True) or [""]


def _label(lines: Sequence[str], x: float, y: float) -> str:
    """A ``<text>`` of several lines whose first baseline is at ``y``."""
    spans = "".join(
        f"<tspan x='{x}' dy='{0 if i == 0 else LINE_HEIGHT}'>{escape(line)}</tspan>"
        for i, line in enumerate(lines)
    )
    return f"<text x='{x}' y='{y}'>{spans}</text>"


def integer_text(value: float) -> str:
    """« 12 345 » (rounded)."""
    return fr_ca.integer(round(value))


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
    label_w, bar_w, bar_h, gap = 220, width - 320, 18, 8
    wrapped = [wrap(name, 34) for name, _c in rows]
    desc_parts = []
    for name, counts in rows:
        total = sum(counts.values())
        share = counts.get("atteste", 0) / total if total else 0.0
        desc_parts.append(f"{name} : {fr_ca.percent(share)} attesté sur {fr_ca.integer(total)}")
    legend: list[str] = []
    x, legend_y = 0, 4
    for code, label in labels.items():
        item_w = 20 + 7 * len(label)
        if x and x + item_w > width:
            x, legend_y = 0, legend_y + 18
        legend.append(
            f"<rect x='{x}' y='{legend_y}' width='12' height='12' fill='{colors.get(code, BAR_COLOR)}'/>"
            f"<text x='{x + 16}' y='{legend_y + 10}'>{escape(label)}</text>"
        )
        x += item_w
    parts: list[str] = []
    y = legend_y + 26
    for lines, (name, counts) in zip(wrapped, rows, strict=True):
        row_h = max(bar_h, LINE_HEIGHT * len(lines)) + gap
        total = sum(counts.values())
        parts.append(_label(lines, 0, y + 13))
        offset = float(label_w)
        for code in labels:
            n = counts.get(code, 0)
            if not total or not n:
                continue
            w = bar_w * n / total
            parts.append(
                f"<rect x='{offset:.1f}' y='{y}' width='{w:.1f}' height='{bar_h}' "
                f"fill='{colors.get(code, BAR_COLOR)}'><title>{escape(name)} — {escape(labels[code])} : "
                f"{fr_ca.integer(n)}</title></rect>"
            )
            offset += w
        share = counts.get("atteste", 0) / total if total else 0.0
        parts.append(
            f"<text x='{label_w + bar_w + 8}' y='{y + 13}'>"
            f"{escape(fr_ca.percent(share))} ({escape(fr_ca.integer(total))})</text>"
        )
        y += row_h
    height = y + 4 if rows else y + 20
    svg = [_open(width, height, title, " ; ".join(desc_parts) or "Aucune donnée.", "sb"), *legend, *parts]
    svg.append("</svg>")
    return "".join(svg)


def horizontal_bars(
    title: str,
    rows: Sequence[tuple[str, float]],
    *,
    maximum: float | None = None,
    width: int = 760,
    color: str = BAR_COLOR,
    value_text: Callable[[float], str] = integer_text,
) -> str:
    """One horizontal bar per row (e.g. late people per manager, success rate per scenario);
    ``value_text`` writes a value for people (default « 12 345 »)."""
    label_w, bar_h, gap = 260, 17, 6
    bar_w = width - label_w - 90
    top = max(maximum or 0.0, *(v for _n, v in rows), 1e-9) if rows else 1.0
    desc = " ; ".join(f"{n} : {value_text(v)}" for n, v in rows) or "Aucune donnée."
    body: list[str] = []
    y = 5
    if not rows:
        body.append("<text x='0' y='20'>Aucune donnée pour cette sélection.</text>")
        y = 30
    for name, value in rows:
        lines = wrap(name, 40)
        w = bar_w * value / top
        body.append(
            _label(lines, 0, y + 13)
            + f"<rect x='{label_w}' y='{y}' width='{w:.1f}' height='{bar_h}' fill='{color}'/>"
            f"<text x='{label_w + w + 6:.1f}' y='{y + 13}'>{escape(value_text(value))}</text>"
        )
        y += max(bar_h, LINE_HEIGHT * len(lines)) + gap
    svg = [_open(width, y + 4, title, desc, "hb"), *body, "</svg>"]
    return "".join(svg)


def columns(
    title: str,
    points: Sequence[tuple[str, int]],
    *,
    width: int = 760,
    height: int = 220,
    color: str = BAR_COLOR,
) -> str:
    """Vertical bars over time (e.g. attestations per month, labelled « mai 2023 »)."""
    desc = " ; ".join(f"{label} : {fr_ca.integer(n)}" for label, n in points) or "Aucune donnée."
    svg = [_open(width, height, title, desc, "col")]
    if points:
        top = max(n for _l, n in points) or 1
        plot_h = height - 50
        step = (width - 40) / len(points)
        bar = max(step * 0.7, 1.0)
        svg.append(f"<line x1='30' y1='{plot_h + 10}' x2='{width}' y2='{plot_h + 10}' stroke='#444'/>")
        svg.append(
            f"<text x='0' y='20'>{escape(fr_ca.integer(top))}</text><text x='0' y='{plot_h + 10}'>0</text>"
        )
        label_w = 7 * max(len(label) for label, _n in points) + 8  # one label every `every` bars
        every = max(1, math.ceil(label_w / step))
        for i, (label, n) in enumerate(points):
            h = plot_h * n / top
            x = 35 + i * step
            svg.append(
                f"<rect x='{x:.1f}' y='{plot_h + 10 - h:.1f}' width='{bar:.1f}' height='{h:.1f}' "
                f"fill='{color}'><title>{escape(label)} : {escape(fr_ca.integer(n))}</title></rect>"
            )
            if i % every == 0:
                svg.append(f"<text x='{x:.1f}' y='{plot_h + 28}'>{escape(label)}</text>")
    else:
        svg.append(f"<text x='20' y='{height // 2}'>Aucune donnée pour cette sélection.</text>")
    svg.append("</svg>")
    return "".join(svg)

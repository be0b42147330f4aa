"""Small HTML and widget helpers shared by the learner app's views (French, escaped)."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from attest import fr_ca
from attest.widgets import alert_html as alert
from attest.widgets import alert_list_html as alert_list

__all__ = ["alert", "alert_list", "button", "esc", "pct"]


def esc(text: object) -> str:
    """``text`` as HTML-escaped text."""
    return html.escape(str(text))


def pct(value: float) -> str:
    """A 0-to-1 ratio as a rounded French (Québec) percentage: « 80 % » (Babel, no-break space)."""
    return fr_ca.percent(value)


def button(label: str, action: Callable[[], None], primary: bool = True) -> w.Button:
    """A button showing its whole label that calls ``action()`` when pressed."""
    widget = w.Button(description=label, tooltip=label, button_style="primary" if primary else "")
    widget.layout.width = "auto"
    widget.on_click(lambda _b: action())
    return widget

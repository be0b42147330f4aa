"""The built book passes axe-core's WCAG 2.0/2.1/2.2 A and AA rules (SGQRI 008 3.0), offline.

Served on 127.0.0.1, read by headless Chromium at a desktop (1280×800) and a phone (390×844)
size. The theme's own violations are fixed by the overrides in ``book/_templates/`` (see the
comment at the top of each), never by switching an axe rule off.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.a11y import axe_violations, format_violations, read_axe_script
from tests.browser import Blocked, guard, offline_browser
from tests.conftest import BOOK_HTML

PAGES = ["intro.html", "guide-decision.html", "chapitres/02-renseignements-confidentiels.html"]
"""The home page, the decision guide and a chapter (with a table, a definition list, admonitions)."""
VIEWPORTS = {"bureau": (1280, 800), "telephone": (390, 844)}


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def book_url(built_book: Path) -> Iterator[str]:
    handler = partial(_QuietHandler, directory=str(built_book / BOOK_HTML))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with offline_browser() as (browser, _blocked):
        yield browser


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_book_page_has_no_wcag_violation(book_url: str, chromium: Browser, name: str, viewport: str) -> None:
    width, height = VIEWPORTS[viewport]
    blocked = Blocked()
    context = chromium.new_context(viewport={"width": width, "height": height}, locale="fr-CA")
    try:
        page = guard(context.new_page(), blocked)
        response = page.goto(f"{book_url}/{name}")
        assert response is not None and response.ok, name
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
    finally:
        context.close()
    assert violations == [], format_violations(violations, where=f"{name} à {width}×{height}")
    assert blocked.urls == []


def test_a_missing_axe_core_fails_with_the_install_command(tmp_path: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"npm ci --prefix \.ci"):
        read_axe_script(tmp_path / "axe.min.js")

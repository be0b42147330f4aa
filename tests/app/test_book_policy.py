"""The book at /livre/ shares the app's origin: the browser runs none of a page's inline script
but the theme's own (Content-Security-Policy), whatever reached the built HTML."""

from __future__ import annotations

import shutil

import httpx
import pytest

from tests.app.conftest import AppServer
from tests.browser import guard, offline_browser

pytestmark = pytest.mark.slow


def test_book_pages_carry_a_policy_without_unsafe_inline(app_server: AppServer) -> None:
    response = httpx.get(app_server.url + "livre/intro.html", timeout=30)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("style-src")[0]
    assert "object-src 'none'" in policy and "frame-ancestors 'self'" in policy


def test_injected_inline_script_does_not_run_while_the_theme_still_works(app_server: AppServer) -> None:
    html = app_server.data_dir / "livre" / "_build" / "html"
    trap = html / "piege.html"
    page_text = (html / "intro.html").read_text(encoding="utf-8")
    hostile = (
        "<script>window.__piege = 1;</script>"
        '<img src="nulle-part.png" onerror="window.__piege2 = 1">'
        "<script>DOCUMENTATION_OPTIONS.pagename = 'x'; window.__piege3 = 1;</script>"
    )
    trap.write_text(page_text.replace("</body>", hostile + "</body>"), encoding="utf-8")
    try:
        with offline_browser() as (browser, blocked):
            page = guard(browser.new_page(), blocked)
            refused: list[str] = []
            page.on(
                "console",
                lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
            )
            page.goto(app_server.url + "livre/intro.html", wait_until="load")
            assert page.evaluate("DOCUMENTATION_OPTIONS.pagename") == "intro"  # theme script ran
            assert refused == [], refused  # nothing of the theme itself is blocked
            page.goto(app_server.url + "livre/piege.html", wait_until="load")
            page.wait_for_timeout(500)
            assert page.evaluate("[window.__piege, window.__piege2, window.__piege3]") == [None, None, None]
            assert page.evaluate("DOCUMENTATION_OPTIONS.pagename") == "intro"  # not rewritten by the trap
            assert len(refused) >= 3, refused
        assert blocked.urls == []
    finally:
        trap.unlink()
        shutil.rmtree(html / "nulle-part.png", ignore_errors=True)

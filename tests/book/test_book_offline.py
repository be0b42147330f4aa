"""The built book, served on 127.0.0.1, read in a real browser with no internet."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser import guard, offline_browser, screenshot


@pytest.fixture(scope="module")
def book_url(built_book: Path) -> Iterator[str]:
    handler = partial(SimpleHTTPRequestHandler, directory=str(built_book / "var/livre/_build/html"))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_book_pages_load_without_any_external_request(book_url: str, built_book: Path) -> None:
    html = built_book / "var/livre/_build/html"
    pages = [
        "intro.html",
        "banque/index.html",
        "guide-decision.html",
        "glossaire.html",
        *sorted(str(p.relative_to(html)) for p in (html / "chapitres").glob("*.html")),
    ]
    with offline_browser() as (browser, blocked):
        page = guard(browser.new_page(), blocked)
        for name in pages:
            response = page.goto(f"{book_url}/{name}")
            assert response is not None and response.ok, name
            page.wait_for_load_state("networkidle")
        screenshot(page, "book-chapter")
    assert blocked.urls == []


def test_a_scenario_answer_opens_with_the_keyboard_and_no_script(book_url: str) -> None:
    with offline_browser() as (browser, blocked):
        context = browser.new_context(java_script_enabled=False)
        page = guard(context.new_page(), blocked)
        page.goto(f"{book_url}/banque/urgence-texto-nuit.html")
        answer = page.locator("details", has_text="Voir la réponse")
        assert not answer.evaluate("d => d.open")
        summary = answer.locator("summary")
        summary.focus()
        page.keyboard.press("Enter")
        assert answer.evaluate("d => d.open")
        assert page.get_by_text("Bonne réponse").first.is_visible()
        screenshot(page, "book-scenario-answer")
    assert blocked.urls == []


def test_search_works_offline(book_url: str) -> None:
    with offline_browser() as (browser, blocked):
        page = guard(browser.new_page(), blocked)
        page.goto(f"{book_url}/search.html?q=consentement")
        page.wait_for_selector("#search-results li", timeout=20000)
        assert page.locator("#search-results li").count() > 0
    assert blocked.urls == []


def test_pages_are_accessible_structures(built_book: Path) -> None:
    """One title per page, no skipped heading level, every image described."""
    html = built_book / "var/livre/_build/html"
    pages = [
        p
        for p in html.rglob("*.html")
        if p.name not in {"search.html", "genindex.html"} and "_static" not in p.parts
    ]
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        article = text.split('<article class="bd-article">', 1)[-1].split("</article>", 1)[0]
        if "Redirect" in text[:200] or 'http-equiv="Refresh"' in text:
            continue
        levels = [int(n) for n in re.findall(r"<h([1-6])\b", article)]
        assert levels.count(1) == 1, f"{page}: {levels.count(1)} titres h1"
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, f"{page}: h{before} suivi de h{after}"
        for img in re.findall(r"<img\b[^>]*>", article):
            assert re.search(r'\balt="[^"]+"', img), f"{page}: image sans texte de remplacement"

"""The downloaded receipt, opened and printed in headless Chromium as a person would.

The file is the one the learner app's download link saves (clicked in the browser, saved by
Chromium), served as is from a loopback HTTP server, with every request recorded: it must need
nothing but itself (a relative link would show as a request; any other host is blocked). It
passes axe-core's WCAG 2.0/2.1/2.2 A and AA rules at 1280 and 390 px with the « Pour la
vérification » section closed (as it opens) and open, does not scroll sideways at 390 px, opens
that section with the keyboard, and prints (Chromium's PDF, print media) on at most two Letter
or A4 pages with the verification material printed expanded, even with every field at its
longest and a revocation notice.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from attest import AttestationRecord, AttestationStore, DirectiveInfo, FormContent
from attest.receipt import VERIFICATION_SUMMARY, render_receipt
from formation_tic.app.receipt_view import download_link
from tests.a11y import axe_violations, format_violations
from tests.browser import guard, offline_browser, screenshot

pytestmark = pytest.mark.slow

VIEWPORTS = {"bureau": (1280, 800), "telephone": (390, 844)}
PDF_PAGE = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")
"""A page object in a PDF (not the ``/Pages`` tree)."""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def _download(browser: Browser, html_link: str, folder: Path) -> Path:
    """Click the app's download link in Chromium; the file Chromium saved."""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_content(f'<!DOCTYPE html><html lang="fr-CA"><body><main>{html_link}</main></body></html>')
    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger l'accusé de réception").click()
    download = info.value
    path = folder / download.suggested_filename
    download.save_as(path)
    context.close()
    return path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _served(path: Path) -> Iterator[str]:
    """``path``'s folder served on a loopback port; the file's URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(path.parent)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{path.name}"
    finally:
        server.shutdown()
        server.server_close()


def _open(page: Page, url: str) -> list[str]:
    """Open ``url`` in ``page``; the list of every request the page makes (kept up to date)."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(url)
    assert response is not None and response.ok
    page.wait_for_load_state("networkidle")
    return requests


def _pages(pdf: bytes) -> int:
    count = len(PDF_PAGE.findall(pdf))
    assert count >= 1, "no page object found in Chromium's PDF"
    return count


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_downloaded_receipt_is_self_contained_accessible_and_opens_with_the_keyboard(
    tmp_path: Path,
    form: FormContent,
    directive: DirectiveInfo,
    sign_one: Callable[..., AttestationRecord],
    viewport: str,
) -> None:
    width, height = VIEWPORTS[viewport]
    with AttestationStore(tmp_path / "a.db") as store:
        record = sign_one(store)
    with offline_browser() as (browser, blocked):
        saved = _download(browser, download_link(record, form, directive), tmp_path)
        assert saved.name == f"accuse-engagement-{record.verification_code}.html"
        assert saved.read_text(encoding="utf-8") == render_receipt(record, form, directive)
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-CA")
        page = guard(context.new_page(), blocked)
        with _served(saved) as url:
            requests = _open(page, url)
        details = page.locator("details.verification")
        fingerprint = page.get_by_text(record.record_hash)
        # As it opens: the verification material is collapsed.
        assert page.title() == f"Accusé de réception de votre engagement – code {record.verification_code}"
        assert page.get_attribute("html", "lang") == "fr-CA"
        assert details.evaluate("d => d.open") is False and not fingerprint.is_visible()
        closed = axe_violations(page)
        closed_overflow = page.evaluate(OVERFLOW)
        screenshot(page, f"accuse-ferme-{viewport}")
        # The keyboard alone: Tab reaches « Pour la vérification », Enter opens it.
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.textContent")
        page.keyboard.press("Enter")
        opened = details.evaluate("d => d.open")
        fingerprint.wait_for(state="visible")
        open_ = axe_violations(page)
        open_overflow = page.evaluate(OVERFLOW)
        screenshot(page, f"accuse-ouvert-{viewport}")
        page.keyboard.press("Space")
        closed_again = details.evaluate("d => d.open") is False
        context.close()
    assert focused == VERIFICATION_SUMMARY and opened and closed_again
    assert closed == [], format_violations(closed, where=f"accusé (fermé) à {width} px")
    assert open_ == [], format_violations(open_, where=f"accusé (ouvert) à {width} px")
    assert closed_overflow <= 0 and open_overflow <= 0, (closed_overflow, open_overflow)
    assert requests == [url], requests  # the file itself, nothing else
    assert blocked.urls == []


def test_receipt_prints_on_two_pages_at_most_with_the_verification_material(
    tmp_path: Path,
    form: FormContent,
    directive: DirectiveInfo,
    sign_one: Callable[..., AttestationRecord],
) -> None:
    """The longest receipt: every field at its maximum length, revoked with a long reason."""
    name = ("Marie-Ève-Geneviève " * 6).strip()[:120]
    with AttestationStore(tmp_path / "a.db") as store:
        record = sign_one(
            store,
            full_name=name,
            signature=name,
            job_title=("Conseillère en soins infirmiers " * 5)[:150],
            direction=("Direction des soins infirmiers et de l'enseignement universitaire " * 4)[:200],
            establishment=("Centre intégré de santé et de services sociaux des Laurentides " * 3)[:150],
        )
    reason = "Nom mal orthographié lors de la signature ; une nouvelle signature est demandée. " * 3
    path = tmp_path / "accuse.html"
    path.write_text(render_receipt(record, form, directive, revoked_reason=reason), encoding="utf-8")
    with offline_browser() as (browser, blocked):
        page = guard(browser.new_page(), blocked)
        with _served(path) as url:
            requests = _open(page, url)
        assert not page.get_by_text(record.record_hash).is_visible()  # on screen: collapsed
        page.emulate_media(media="print")
        printed = {
            "summary": page.locator("summary").is_visible(),
            "fingerprint": page.get_by_text(record.record_hash).is_visible(),
            "command": page.get_by_text(f"formation-tic attest show {record.verification_code}").is_visible(),
        }
        letter = page.pdf(format="Letter")
        a4 = page.pdf(format="A4")
        screenshot(page, "accuse-impression")
    assert printed == {"summary": True, "fingerprint": True, "command": True}
    assert _pages(letter) <= 2, f"{_pages(letter)} pages (Letter)"
    assert _pages(a4) <= 2, f"{_pages(a4)} pages (A4)"
    assert requests == [url] and blocked.urls == []

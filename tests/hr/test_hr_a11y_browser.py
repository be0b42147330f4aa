"""The HR HTML report and the managers' dashboard as people read them, in headless Chromium.

A real register (roster import, signed attestations, pulled statements) with a very long
direction name and a hire date decades ago; the report produced by ``formation-tic report``;
the dashboard served by a real ``formation-tic dashboard`` process. Both pass axe-core's
WCAG 2.0/2.1/2.2 A and AA rules at 1280 and 390 px, and neither scrolls sideways at 390 px
(wide tables and charts scroll inside their own region). Offline: any request leaving the
machine is blocked and fails the test.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page

from attest import DirectiveInfo, FormContent, fr_ca
from tests.a11y import axe_violations, format_violations
from tests.browser import guard, offline_browser, screenshot
from tests.live import running_dashboard

from .hr_support import failed, started
from .world import Person, World

pytestmark = pytest.mark.slow

HEADER = "X-Employee-Number"
VIEWPORTS = {"bureau": (1280, 800), "telephone": (390, 844)}
LONG_DIRECTION = (
    "Direction des soins infirmiers, de la pratique professionnelle et de l'enseignement universitaire"
)
DECADES_AGO = 40 * 365
"""Days since a hire date typed decades ago (a year typed 1986 for 2026, say)."""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, hr_keys: Any, directive: DirectiveInfo, form: FormContent
) -> World:
    w = World(tmp_path_factory.mktemp("donnees"), hr_keys, directive, form)
    w.people = [
        Person("7000", hired_days_ago=900, last_name="Chef"),
        Person("7001", manager="7000", hired_days_ago=90, last_name="Bouchard"),
        Person(
            "7002",
            manager="7000",
            hired_days_ago=45,
            last_name="Gagnon",
            direction=LONG_DIRECTION,
            service="Service de la prévention et du contrôle des infections, volet hospitalier",
        ),
        Person(
            "7003", manager="7001", hired_days_ago=DECADES_AGO, last_name="Ancienne", direction=LONG_DIRECTION
        ),
        Person(
            "7004", manager="7001", hired_days_ago=60, last_name="Lavoie", direction="DRH", service="Paie"
        ),
        Person("7005", manager="7000", hired_days_ago=10, last_name="Roy"),
    ]
    w.signatures = [("7000", form, directive), ("7001", form, directive)]
    w.statements = started("7005") + failed("7004")
    w.build()
    return w


REFLOW = """() => {
  const width = window.innerWidth;
  const cut = [...document.querySelectorAll('body *')]
    .filter(el => !el.closest('.defile') && el.getBoundingClientRect().right > width + 1)
    .map(el => el.tagName + (el.className ? '.' + String(el.className).split(' ')[0] : ''));
  return [document.documentElement.scrollWidth - width, cut];
}"""
"""Pixels the page scrolls sideways, and the elements that stick out of the screen (cut off
by an ``overflow: hidden`` ancestor, if not scrolled) outside the scrolling regions."""


def _reflow(page: Page) -> tuple[int, list[str]]:
    overflow, cut = page.evaluate(REFLOW)
    return int(overflow), list(cut)


@pytest.fixture(scope="module")
def report_url(world: World, hr_keys: Any) -> Iterator[str]:
    from formation_tic.cli import main as cli

    out = world.tmp / "rapports"
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(world.tmp),
            "report",
            "--format",
            "html",
            "--output-dir",
            str(out),
            "--public-key",
            str(hr_keys.certificate),
        ],
    )
    assert result.exit_code == 0, (result.output, result.exception)
    name = next(out.glob("registre-*.html")).name
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{name}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_html_report_is_accessible_and_reflows(report_url: str, viewport: str) -> None:
    width, height = VIEWPORTS[viewport]
    with offline_browser() as (browser, blocked):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="fr-CA")
        page = guard(context.new_page(), blocked)
        response = page.goto(report_url)
        assert response is not None and response.ok
        page.wait_for_load_state("networkidle")
        violations = axe_violations(page)
        overflow, cut = _reflow(page)
        text = page.inner_text("body")
        chart = page.locator("svg").first.text_content() or ""
        screenshot(page, f"rapport-rh-{viewport}")
        context.close()
    assert violations == [], format_violations(violations, where=f"rapport HTML à {width} px")
    assert overflow <= 0, f"la page défile de {overflow} px à l'horizontale à {width} px"
    assert cut == [], f"éléments qui dépassent de l'écran à {width} px : {cut}"
    assert blocked.urls == []
    # Figures and dates for people; the hire date decades ago is flagged, not counted in days.
    assert f"État au {fr_ca.date_long(dt.date.today())}" in text
    assert "33,3\u00a0%" in text  # 2 people of 6 attested (the summary's percentages)
    assert "jour(s)" not in text and "(s)" not in text
    assert "Dates d'embauche à vérifier" in text and "date d'embauche à vérifier" in text
    # The long direction name is wrapped in the chart, whole.
    assert "l'enseignement universitaire" in chart and "…" not in chart


@pytest.fixture(scope="module")
def dashboard_url(world: World, hr_keys: Any) -> Iterator[str]:
    with running_dashboard(world.tmp, world.tmp, hr_keys.certificate, probe="sante.txt") as url:
        yield url


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_dashboard_wording_and_accessibility(dashboard_url: str, viewport: str) -> None:
    width, height = VIEWPORTS[viewport]
    with offline_browser() as (browser, blocked):
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="fr-CA", extra_http_headers={HEADER: "7000"}
        )
        page = guard(context.new_page(), blocked)
        page.goto(dashboard_url)
        page.get_by_role("heading", name="Personnes à suivre").wait_for(timeout=90000)
        page.wait_for_load_state("networkidle")
        headings = page.get_by_role("heading", level=1)
        titles = headings.all_inner_texts()
        text = page.inner_text("body")
        service = page.get_by_label("Service", exact=True)
        options = [o.replace("\u00a0", " ") for o in service.locator("option").all_inner_texts()]
        violations = axe_violations(page)
        overflow, cut = _reflow(page)
        screenshot(page, f"tableau-de-bord-{viewport}")
        context.close()
    assert titles == ["Tableau de bord des gestionnaires"]
    assert text.count("Tableau de bord des gestionnaires") == 1
    assert options[0] == "Tous les services" and "(toutes)" not in text
    assert f"État au {fr_ca.date_long(dt.date.today())}" in text and "état au" not in text
    assert "Ancienne" in text and "date d'embauche à vérifier" in text and "(s)" not in text
    assert violations == [], format_violations(violations, where=f"tableau de bord à {width} px")
    assert overflow <= 0, f"la page défile de {overflow} px à l'horizontale à {width} px"
    assert cut == [], f"éléments qui dépassent de l'écran à {width} px : {cut}"
    assert blocked.urls == []

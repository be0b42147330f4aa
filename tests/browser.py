"""Headless Debian Chromium through Playwright, with every non-local request blocked and counted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Browser, Page, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Blocked:
    """Requests that tried to leave the machine."""

    urls: list[str] = field(default_factory=list)


@contextmanager
def offline_browser() -> Iterator[tuple[Browser, Blocked]]:
    """A Chromium browser whose pages can only reach loopback addresses."""
    blocked = Blocked()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser, blocked
        finally:
            browser.close()


def guard(page: Page, blocked: Blocked) -> Page:
    """Abort and record every request from ``page`` to a non-local host."""

    def handle(route: Route) -> None:
        url = route.request.url
        parsed = urlparse(url)
        if parsed.scheme in {"data", "blob", "about"} or parsed.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.urls.append(url)
            route.abort()

    page.route("**/*", handle)
    return page


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/ (kept by CI as an artifact)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path

"""The managers' dashboard served by a real Voilà process, read in a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attest import DirectiveInfo, FormContent
from tests.browser import guard, offline_browser, screenshot
from tests.live import running_dashboard

from .world import Person, World

HEADER = "X-Employee-Number"


@pytest.fixture
def dashboard_url(tmp_path: Path, hr_keys: Any, directive: DirectiveInfo, form: FormContent) -> Iterator[str]:
    world = World(tmp_path, hr_keys, directive, form)
    world.people = [
        Person("7000", last_name="Chef"),
        Person("7001", manager="7000", hired_days_ago=90, last_name="Directe"),
        Person("7002", manager="7001", hired_days_ago=90, last_name="Indirecte"),
        Person("7003", manager="7999", hired_days_ago=90, last_name="Ailleurs"),
    ]
    world.build()
    # a relative data directory, as a person would give it: kernels must still find it
    with running_dashboard(tmp_path, ".", hr_keys.certificate) as url:
        yield url


def test_a_manager_sees_their_whole_team_and_nobody_else(dashboard_url: str) -> None:
    with offline_browser() as (browser, blocked):
        context = browser.new_context(extra_http_headers={HEADER: "7000"})
        page = guard(context.new_page(), blocked)
        page.goto(dashboard_url)
        page.get_by_text("Indirecte").first.wait_for(timeout=60000)
        text = page.inner_text("body")
        assert "Directe" in text and "Indirecte" in text
        assert "Ailleurs" not in text
        screenshot(page, "tableau-de-bord-gestionnaire")
    assert blocked.urls == []


def test_without_the_trusted_header_nothing_is_shown(dashboard_url: str) -> None:
    with offline_browser() as (browser, blocked):
        page = guard(browser.new_page(), blocked)
        page.goto(dashboard_url + "?manager=7000")
        page.get_by_text("authentification unique").first.wait_for(timeout=60000)
        text = page.inner_text("body")
        assert "Directe" not in text and "Ailleurs" not in text
    assert blocked.urls == []

"""The learner launched from the ENA, in Debian Chromium: the real test platform shows the tool
in its iframe (another site: third-party cookies) or in a new window, the whole OIDC flow runs,
the learner goes through the journey, and the platform's gradebook receives each score once.

Screenshots go to tests/artifacts/; with ``FTIC_GUIDE_SHOTS=1`` those of the guide
(book/guide-ena.md) are written to book/_static/ena/ too.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from attest.store import AttestationStore
from formation_tic.settings import DataPaths
from scenarios.model import Scenario
from tests.app.pilot import TIMEOUT, Learner
from tests.browser import ARTIFACTS, Blocked
from tests.live import learner_page
from tests.lti.support import ROOT, LtiServer, PlatformProcess

pytestmark = pytest.mark.slow

GUIDE_SHOTS = ROOT / "book" / "_static" / "ena"


def shot(page: Page, name: str, guide: bool = False) -> None:
    """A screenshot of the whole window (the ENA page and the tool in its frame)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"ena-{name}.png"
    page.screenshot(path=str(path))
    if guide and os.environ.get("FTIC_GUIDE_SHOTS") == "1":
        GUIDE_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, GUIDE_SHOTS / f"{name}.png")


@pytest.fixture
def page(browser: tuple[Browser, Blocked]) -> Iterator[Page]:
    """Taller than the app's: the ENA page with the tool in its frame."""
    with learner_page(browser, height=1000) as opened:
        yield opened


def tool_frame(page: Page) -> Frame:
    handle = page.wait_for_selector("#outil", timeout=TIMEOUT)
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    return frame


def wait_scores(
    platform: PlatformProcess, user: str, count: int, wait: Callable[..., Any]
) -> list[dict[str, Any]]:
    def enough() -> list[dict[str, Any]] | None:
        scores = platform.scores(user)
        return scores if len(scores) >= count else None

    scores = wait(enough, timeout=90)
    assert scores, f"the platform got {platform.scores(user)}"
    return list(scores)


def queued_for(server: LtiServer, user: str) -> list[dict[str, Any]]:
    return [s for s in server.queued() if s["body"]["userId"] == user]


def journey(learner: Learner, page: Page, prefix: str | None = None) -> str:
    """Fail the first attempt, retry and pass, sign: returns the verification code."""
    frame = learner.page
    if prefix is not None:
        expect(frame.get_by_role("button", name="Commencer le questionnaire")).to_be_enabled(timeout=TIMEOUT)
        shot(page, f"{prefix}accueil", guide=True)
    learner.start_quiz()
    learner.answer_all(correct=False)
    expect(frame.get_by_role("heading", name="À revoir")).to_be_visible(timeout=TIMEOUT)
    learner.press("Recommencer avec de nouvelles questions")
    learner.answer_all(correct=True)
    expect(frame.get_by_text("Bravo, vous avez réussi!")).to_be_visible(timeout=TIMEOUT)
    if prefix is not None:
        shot(page, f"{prefix}resultat", guide=True)
    learner.press("Passer à l'engagement")
    code = learner.sign()
    if prefix is not None:
        frame.locator(".ftic-code").scroll_into_view_if_needed()
        shot(page, f"{prefix}accuse", guide=True)
    return code


def assert_three_scores_in_order(scores: list[dict[str, Any]], code: str) -> None:
    assert [s["activityProgress"] for s in scores] == ["InProgress", "Submitted", "Completed"]
    assert {s["gradingProgress"] for s in scores} == {"FullyGraded"}
    failed, passed, signed = scores
    assert failed["comment"].startswith("Questionnaire non réussi")
    assert passed["comment"].startswith("Questionnaire réussi")
    assert signed["comment"].endswith(f"Code de vérification : {code}.")
    assert failed["scoreGiven"] < passed["scoreGiven"] == signed["scoreGiven"] == signed["scoreMaximum"]
    assert failed["timestamp"] < passed["timestamp"] < signed["timestamp"]


def test_in_the_enas_iframe_fail_retry_pass_sign_and_the_gradebook_gets_each_score_once(
    lti_platform: PlatformProcess,
    lti_server: LtiServer,
    page: Page,
    bank: dict[str, Scenario],
    wait_for: Callable[..., Any],
) -> None:
    user, number = "moodle-201", "32000001"
    page.goto(lti_platform.course(user, number), timeout=TIMEOUT)
    frame = tool_frame(page)
    # No identification page: the ENA has identified the learner.
    expect(frame.get_by_text("Ce qui vous attend")).to_be_visible(timeout=TIMEOUT)
    expect(frame.get_by_label("Numéro d'employé", exact=True)).to_have_count(0)
    code = journey(Learner(frame, bank), page, prefix="")  # type: ignore[arg-type]
    scores = wait_scores(lti_platform, user, 3, wait_for)
    assert_three_scores_in_order(scores, code)
    assert {s["lineitem"] for s in scores} == {"/ags/1/lineitems/7"}
    time.sleep(2)  # a few more rounds of the sender: nothing more arrives
    assert len(lti_platform.scores(user)) == 3
    assert lti_platform.state()["tokens"] == 1  # one access token, reused until it expires
    assert [s["status"] for s in lti_server.queued() if s["body"]["userId"] == user] == ["sent"] * 3
    with AttestationStore(DataPaths(lti_server.data_dir).attestations, create=False) as store:
        record = store.find_by_code(code)
    assert record.employee_number == number and record.identification == "lti"
    page.goto(lti_platform.url + "carnet", timeout=TIMEOUT)
    shot(page, "carnet", guide=True)


def test_with_the_score_endpoint_down_then_slow_every_score_arrives_once(
    lti_platform: PlatformProcess,
    lti_server: LtiServer,
    page: Page,
    bank: dict[str, Scenario],
    wait_for: Callable[..., Any],
) -> None:
    user, number = "moodle-202", "32000002"
    lti_platform.set_scores("down")
    try:
        page.goto(lti_platform.course(user, number), timeout=TIMEOUT)
        frame = tool_frame(page)
        code = journey(Learner(frame, bank), page)  # type: ignore[arg-type]
        # The learner was never held up; the scores wait in the queue, tried and kept.
        queued = wait_for(lambda: len(queued_for(lti_server, user)) == 3 and queued_for(lti_server, user))
        assert [s["kind"] for s in queued] == ["failed", "passed", "signed"]
        assert wait_for(lambda: any(s["attempts"] for s in queued_for(lti_server, user)))
        assert lti_platform.scores(user) == []
        # Slow: the platform records the score but answers after the tool gave up waiting.
        lti_platform.set_scores("slow", delay=3.0)
        wait_for(lambda: lti_platform.scores(user), timeout=60)
        time.sleep(3)
    finally:
        lti_platform.set_scores("up")
    scores = wait_scores(lti_platform, user, 3, wait_for)
    assert wait_for(
        lambda: [s["status"] for s in lti_server.queued() if s["body"]["userId"] == user] == ["sent"] * 3
    )
    time.sleep(2)
    scores = lti_platform.scores(user)
    assert len(scores) == 3  # resent with the same timestamp: the platform kept one of each
    assert_three_scores_in_order(scores, code)
    first = next(s for s in lti_server.queued() if s["body"]["userId"] == user)
    assert first["attempts"] >= 3


def test_in_a_new_window_the_launch_works_too(
    lti_platform: PlatformProcess, lti_server: LtiServer, page: Page
) -> None:
    page.goto(lti_platform.course("moodle-203", "32000003", target="fenetre"), timeout=TIMEOUT)
    with page.context.expect_page() as popup_info:
        page.get_by_role("link", name="Ouvrir la formation").click()
    popup = popup_info.value
    expect(popup.get_by_text("Ce qui vous attend")).to_be_visible(timeout=TIMEOUT)
    assert popup.url.startswith(lti_server.url)
    expect(popup.get_by_label("Numéro d'employé", exact=True)).to_have_count(0)


def test_a_refused_launch_shows_a_french_page_in_the_frame(
    lti_platform: PlatformProcess, lti_server: LtiServer, page: Page
) -> None:
    started = lti_server.log.read_text(errors="replace").count("Kernel started:")
    page.goto(lti_platform.course("moodle-204", "32000004", variant="sans-numero"), timeout=TIMEOUT)
    frame = tool_frame(page)
    expect(frame.get_by_role("heading", name="Numéro d'employé non transmis")).to_be_visible(timeout=TIMEOUT)
    expect(frame.get_by_text("employee_number=$Person.sourcedId")).to_be_visible()
    shot(page, "refus-numero", guide=True)
    assert lti_server.log.read_text(errors="replace").count("Kernel started:") == started
    assert Path(DataPaths(lti_server.data_dir).progress).exists()

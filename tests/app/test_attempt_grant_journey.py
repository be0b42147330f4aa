"""A locked-out learner gets one more attempt, end to end, with real components.

A real ``formation-tic serve`` (its own data directory) sending to the real Ralph LRS, real
Chromium, and the real commands run as a person would (subprocesses on the same data
directory): the HR report flags the person « essais épuisés », ``attempts grant`` opens one
more attempt, the learner identifies again and starts it, the grant's statement (without
its reason) reaches Ralph, and the report then lists the grant.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from attest import load_directive
from formation_tic.app.progress import ProgressStore
from formation_tic.settings import DataPaths
from lrs_export import vocabulary as V
from lrs_export.local_lrs import LocalLrs
from scenarios.bank import load_graded_bank
from scenarios.model import Scenario
from scenarios.profile import load_profile
from tests.app.conftest import FORMATION_TIC, AppServer, lrs_statements, start_server
from tests.app.pilot import TIMEOUT, Learner
from tests.hr.hr_support import ROSTER_HEADER

pytestmark = pytest.mark.slow

LEARNER = "10000071"
MANAGER = "10000072"
REASON = "Revu les chapitres 4 et 9 avec sa gestionnaire après un congé de maladie"


@pytest.fixture
def server(built_book: Path, app_lrs: LocalLrs, tmp_path: Path) -> Iterator[AppServer]:
    """A server of its own: its data directory gets a roster and HR reports."""
    started = start_server(built_book, tmp_path / "data", app_lrs)
    yield started
    assert started.stop() in (0, 1, -2), started.log.read_text(errors="replace")[-2000:]


def _cli(server: AppServer, built_book: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``formation-tic …`` as a person runs it on the server, with the server's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMATION_TIC_")}
    env.update(
        FORMATION_TIC_DATA_DIR=str(server.data_dir),
        FORMATION_TIC_BANK=str(built_book / "bank"),
        FORMATION_TIC_BOOK=str(built_book / "book"),
    )
    return subprocess.run(
        [str(FORMATION_TIC), *args], env=env, cwd=server.data_dir, capture_output=True, text=True, timeout=300
    )


def _seed_three_failures(server: AppServer, built_book: Path) -> None:
    """Three failed attempts, as the app stores them (one graded scenario per theme, all wrong)."""
    per_theme: dict[str, str] = {}
    for scenario in load_graded_bank([built_book / "bank"], load_profile(None)):
        per_theme.setdefault(str(scenario.theme), scenario.id)
    ids = list(per_theme.values())
    version = load_directive().version
    with ProgressStore(DataPaths(server.data_dir).progress) as progress:
        for n in (1, 2, 3):
            attempt = progress.create(LEARNER, f"00000000-0000-4000-a000-{n:012d}", version, ids, n, "quiz")
            for sid in ids:
                progress.record_answer(attempt.registration, sid, False)
            progress.set_state(attempt.registration, "failed" if n == 3 else "closed", score=0.0)


def _report_html(server: AppServer, built_book: Path, name: str) -> str:
    out = server.data_dir / name
    done = _cli(server, built_book, "report", "--format", "html", "--output-dir", str(out))
    assert done.returncode == 0, done.stderr
    [html] = out.glob("*.html")
    return html.read_text(encoding="utf-8")


def test_locked_out_learner_gets_one_more_attempt(
    server: AppServer,
    app_lrs: LocalLrs,
    built_book: Path,
    page: Page,
    bank: dict[str, Scenario],
    tmp_path: Path,
    wait_for: Callable[..., Any],
) -> None:
    _seed_three_failures(server, built_book)
    hired = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    roster = tmp_path / "personnel.csv"
    roster.write_text(
        f"{ROSTER_HEADER}\n{LEARNER};Gagnon;Alex;Préposé;DSI;Urgence;{MANAGER};{hired};actif\n"
        f"{MANAGER};Roy;Chantal;Gestionnaire;DSI;Urgence;;{hired};actif\n",
        encoding="utf-8",
    )
    imported = _cli(server, built_book, "roster", "import", str(roster))
    assert imported.returncode == 0, imported.stderr

    # HR sees the person locked out, distinct from a plain failure.
    before = _report_html(server, built_book, "rapport-avant")
    row = before.split(f"<th scope='row'>{LEARNER}</th>")[1].split("</tr>")[0]
    assert "— essais épuisés" in row
    assert "Aucun essai supplémentaire accordé." in before

    # The learner comes back: the lock-out page says what happens next, and offers nothing else.
    learner = Learner(page, bank, shots="essai-accorde")
    learner.open(server.url)
    learner.identify(LEARNER)
    expect(page.get_by_text("Vous avez utilisé tous vos essais.")).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_text("peuvent ensuite vous accorder un essai supplémentaire")).to_be_visible()
    expect(page.get_by_role("button", name="Recommencer avec de nouvelles questions")).to_have_count(0)
    learner.shot("1-essais-epuises")

    granted = _cli(server, built_book, "attempts", "grant", LEARNER, "--reason", REASON, "--by", MANAGER)
    assert granted.returncode == 0, granted.stderr
    assert f"Essai supplémentaire accordé à {LEARNER} par {MANAGER}" in granted.stdout
    reference = granted.stdout.split("Référence : ")[1].split(".")[0]

    # Identified again (a new page), the person is offered the new attempt and starts it.
    learner.open(server.url)
    learner.identify(LEARNER)
    expect(page.get_by_text("Un essai supplémentaire vous a été accordé.")).to_be_visible(timeout=TIMEOUT)
    learner.shot("2-accueil")
    learner.press("Commencer le questionnaire")
    expect(page.locator(".ftic-count")).to_have_text("1 / 13", timeout=TIMEOUT)
    attempts = server.attempts(LEARNER)
    assert [a.state for a in attempts] == ["closed", "closed", "closed", "quiz"]
    assert attempts[-1].attempt_no == 4

    # The grant's statement reaches the LRS, without the reason.
    server.wait_flushed()
    statement = wait_for(
        lambda: next(
            (
                s
                for s in lrs_statements(app_lrs)
                if s.get("context", {}).get("extensions", {}).get(V.EXT_GRANT_ID) == reference
            ),
            None,
        )
    )
    assert statement is not None, "the grant never reached the LRS"
    assert statement["verb"]["id"] == V.VERBS["granted-attempt"][0]
    assert statement["actor"]["account"]["name"] == LEARNER
    assert statement["context"]["instructor"]["account"]["name"] == MANAGER
    assert statement["context"]["extensions"][V.EXT_ATTEMPTS_ALLOWED] == 4
    assert "maladie" not in str(statement)

    # HR now sees the grant (who, when, why) and no lock-out.
    after = _report_html(server, built_book, "rapport-apres")
    assert "— essais épuisés" not in after
    section = after.split("<h2>Essais supplémentaires accordés</h2>")[1].split("</section>")[0]
    assert f"<th scope='row'>{LEARNER}</th>" in section and f"<td>{MANAGER}</td>" in section
    assert f"<td>{REASON}</td>" in section

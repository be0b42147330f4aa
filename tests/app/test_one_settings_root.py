"""Every command sees the same data: one data directory and one profile, set outside the repo.

A person sets ``FORMATION_TIC_DATA_DIR`` and ``FORMATION_TIC_PROFILE`` to paths of their own
and runs the commands from a third directory: ``serve`` (with its demo LRS), a learner who
attests in Chromium, ``roster import``, ``lrs status``, ``lrs pull``, ``report``,
``attest status`` and the managers' ``dashboard`` all see the same person and attestation,
and nothing is written under the repository or the current directory.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import expect

from lrs_export.local_lrs import free_port
from scenarios.bank import load_bank
from scenarios.profile import load_profile
from tests.browser import guard, offline_browser

from .conftest import FORMATION_TIC
from .pilot import TIMEOUT, Learner

ROOT = Path(__file__).resolve().parents[2]
LEARNER = "20260042"
MANAGER = "20260001"
LONG_NAME = "CIUSSS du Centre-Sud-de-l'Île-de-Montréal"  # longer than an X.509 name allows with a suffix
IGNORED = {".git", ".venv", "tests/artifacts", ".pytest_cache", ".mypy_cache", ".ruff_cache"}

pytestmark = pytest.mark.slow


def repo_files() -> set[str]:
    """Every path under the repository, except caches, the virtualenv and test screenshots."""
    found = set()
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = Path(dirpath).relative_to(ROOT).as_posix()
        dirnames[:] = [
            d for d in dirnames if d != "__pycache__" and (f"{rel}/{d}" if rel != "." else d) not in IGNORED
        ]
        found.update(f"{rel}/{name}" for name in filenames if not name.endswith(".pyc"))
    return found


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(FORMATION_TIC), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


class Served:
    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process, self.url, self.log = process, url, log

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)


def start(args: list[str], env: dict[str, str], cwd: Path, log: Path, port: int, probe: str) -> Served:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(FORMATION_TIC), *args],
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(process, f"http://127.0.0.1:{port}/", log)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(log.read_text(errors="replace")[-3000:])
        try:
            httpx.get(served.url + probe, timeout=2)
            return served
        except httpx.HTTPError:
            time.sleep(0.3)
    served.stop()
    raise AssertionError("not started:\n" + log.read_text(errors="replace")[-3000:])


@pytest.fixture
def world(tmp_path: Path, built_book: Path) -> Iterator[dict[str, Path]]:
    """A data directory, a profile and a working directory, all outside the repository."""
    data, cwd, logs = tmp_path / "donnees", tmp_path / "ailleurs", tmp_path / "journaux"
    cwd.mkdir()
    logs.mkdir()
    profile = yaml.safe_load((ROOT / "scenarios/profiles/cisss-laurentides.yaml").read_text("utf-8"))
    profile["etablissement"]["nom"] = LONG_NAME
    profile["directive"]["version"] = "9.1"
    (tmp_path / "profil.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    data.mkdir()
    shutil.copytree(built_book / "var" / "livre", data / "livre")  # the book, built once per session
    yield {"data": data, "cwd": cwd, "logs": logs, "profile": tmp_path / "profil.yaml"}


def test_every_command_reads_the_same_data_from_one_root(world: dict[str, Path]) -> None:
    before = repo_files()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMATION_TIC_")}
    env.update(
        FORMATION_TIC_DATA_DIR=str(world["data"]),
        FORMATION_TIC_PROFILE=str(world["profile"]),
        FORMATION_TIC_ATTEST_KEY_SIZE="2048",
        FORMATION_TIC_APP_FLUSH_INTERVAL="0.5",
        PYTHONUNBUFFERED="1",
    )
    cwd = world["cwd"]
    port = free_port()
    served = start(["serve", "--port", str(port)], env, cwd, world["logs"] / "serve.log", port, "sante.txt")
    try:
        # While serve runs its demo LRS, « lrs status » says so (no setting needed).
        status = run(["lrs", "status"], env, cwd).stdout
        assert "LRS local de démonstration" in status and "127.0.0.1" in status

        bank = {s.title: s for s in load_bank([ROOT / "scenarios" / "bank"], load_profile(world["profile"]))}
        with offline_browser() as (browser, blocked):
            page = guard(browser.new_page(), blocked)
            learner = Learner(page, bank)
            learner.open(served.url)
            learner.identify(LEARNER)
            learner.start_quiz()
            learner.answer_all(correct=True)
            learner.press("Passer à l'engagement")
            code = learner.sign()
        assert blocked.urls == []

        roster = world["logs"] / "personnel.csv"
        roster.write_text(
            "Matricule;Nom;Prénom;Titre d'emploi;Direction;Service;Matricule du gestionnaire;"
            "Date d'embauche;Statut\n"
            f"{MANAGER};Gagnon;Louise;Cheffe;DSI;Soins;;2020-01-06;actif\n"
            f"{LEARNER};Tremblay;Camille;Infirmière;DSI;Soins;{MANAGER};2026-11-01;actif\n",
            encoding="utf-8",
        )
        run(["roster", "import", str(roster)], env, cwd)
        deadline = time.monotonic() + 60
        while "En attente      : 0" not in run(["lrs", "status"], env, cwd).stdout:
            assert time.monotonic() < deadline, "the outbox was never flushed to the demo LRS"
            time.sleep(0.5)
        pulled = run(["lrs", "pull"], env, cwd).stdout
        assert "Importés :" in pulled and "Importés : 0 " not in pulled
        attested = run(["attest", "status", LEARNER], env, cwd).stdout
        assert f"Employé {LEARNER} : À jour" in attested
        shown = run(["attest", "show", code], env, cwd).stdout
        assert f"employé {LEARNER}" in shown and "version 9.1" in shown
        report = run(["report", "--no-files"], env, cwd).stdout
        assert any(line.startswith("Attesté") and " 1 " in f"{line} " for line in report.splitlines())
    finally:
        served.stop()
    assert not (world["data"] / "ralph" / "connection.json").exists()  # the demo LRS is gone with serve
    status = run(["lrs", "status"], env, cwd).stdout
    assert "LRS : aucun" in status

    # The managers' dashboard reads the same register: the learner shows as attested.
    dash_port = free_port()
    dashboard = start(
        ["dashboard", "--port", str(dash_port)], env, cwd, world["logs"] / "dashboard.log", dash_port, ""
    )
    try:
        with offline_browser() as (browser, blocked):
            context = browser.new_context(extra_http_headers={"X-Employee-Number": MANAGER})
            page = guard(context.new_page(), blocked)
            page.goto(dashboard.url, timeout=TIMEOUT)
            attested_row = page.locator("tr", has_text="Attesté").first
            expect(attested_row).to_be_visible(timeout=TIMEOUT)
            cells = attested_row.locator("td").all_inner_texts()
            assert cells[0].strip() == "1", cells  # the learner who signed through serve
            assert "There was an error" not in page.inner_text("body")
        assert blocked.urls == []
    finally:
        dashboard.stop()

    assert list(cwd.iterdir()) == [], "a command wrote into the current directory"
    assert repo_files() - before == set(), "a command wrote into the repository"

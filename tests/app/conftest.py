"""Fixtures for the learner app: a real Ralph LRS, real ``formation-tic serve`` processes and the
learner's page in offline Chromium."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page

from formation_tic.app.progress import AttemptProgress, ProgressStore
from formation_tic.settings import DataPaths
from lrs_export.local_lrs import LocalLrs, free_port, start_local_lrs
from lrs_export.outbox import Outbox
from scenarios.bank import load_bank
from scenarios.model import Scenario
from scenarios.profile import load_profile
from tests.browser import Blocked
from tests.live import FORMATION_TIC as FORMATION_TIC
from tests.live import browser as browser  # the fixture, for this folder's tests
from tests.live import learner_page, spawn_serve
from tests.live import wait_for as wait_for  # the fixture, for this folder's tests


@dataclass
class AppServer:
    """One ``formation-tic serve`` process on 127.0.0.1."""

    url: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def certificate(self) -> Path:
        return self.data_dir / "keys" / "signing-cert.pem"

    @property
    def attestations(self) -> Path:
        return self.data_dir / "attestations.db"

    def attempts(self, employee_number: str) -> list[AttemptProgress]:
        with ProgressStore(DataPaths(self.data_dir).progress) as store:
            return store.attempts(employee_number)

    def outbox_counts(self) -> dict[str, Any]:
        with Outbox(DataPaths(self.data_dir).outbox) as outbox:
            return outbox.counts()

    def outbox_ids(self) -> list[str]:
        with Outbox(DataPaths(self.data_dir).outbox) as outbox:
            return [*outbox.ids("pending"), *outbox.ids("sent")]

    def wait_flushed(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.outbox_counts()["pending"] == 0:
                return
            time.sleep(0.3)
        raise AssertionError(f"outbox not flushed: {self.outbox_counts()}")

    def stop(self) -> int:
        """Ctrl+C, as a person would; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return int(self.process.returncode)


def start_server(built_book: Path, data_dir: Path, lrs: LocalLrs | None, **app_env: str) -> AppServer:
    """Start ``formation-tic serve`` with its data in ``data_dir``; wait for the health file."""
    port = free_port()
    process, log = spawn_serve(data_dir, port, lrs, built_book=built_book, **app_env)
    server = AppServer(f"http://127.0.0.1:{port}/", port, data_dir, process, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("serve stopped:\n" + log.read_text(errors="replace")[-3000:])
        try:
            if httpx.get(server.url + "sante.txt", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    server.stop()
    raise AssertionError("serve did not answer:\n" + log.read_text(errors="replace")[-3000:])


@pytest.fixture(scope="session")
def app_lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLrs]:
    """The real local LRS (Ralph) the app sends to."""
    with start_local_lrs(tmp_path_factory.mktemp("app-ralph")) as lrs:
        yield lrs


@pytest.fixture(scope="session")
def app_server(
    built_book: Path, app_lrs: LocalLrs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    """The app in typed-identification mode (tests use distinct employee numbers)."""
    server = start_server(built_book, tmp_path_factory.mktemp("app-data"), app_lrs)
    yield server
    assert server.stop() in (0, 1, -2), server.log.read_text(errors="replace")[-2000:]


@pytest.fixture
def page(browser: tuple[Browser, Blocked]) -> Iterator[Page]:
    """A learner's page of its own for one test; no request of the test may leave the machine."""
    with learner_page(browser) as opened:
        yield opened
    assert browser[1].urls == [], f"requests left the machine: {browser[1].urls}"


@pytest.fixture(scope="session")
def bank(built_book: Path) -> dict[str, Scenario]:
    """The scenarios as the app sees them (profile applied), by title."""
    scenarios = load_bank([built_book / "bank"], load_profile(None))
    by_title = {s.title: s for s in scenarios}
    assert len(by_title) == len(scenarios), "scenario titles must be unique for the tests"
    return by_title


def lrs_statements(lrs: LocalLrs) -> list[dict[str, Any]]:
    """Every statement stored by Ralph (read from its file)."""
    if not lrs.statements_file.exists():
        return []
    with lrs.statements_file.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def verbs_for(lrs: LocalLrs, registration: str) -> Counter[str]:
    """How many statements of each verb (last IRI segment) the LRS holds for a registration."""
    return Counter(
        s["verb"]["id"].rsplit("/", 1)[-1]
        for s in lrs_statements(lrs)
        if s.get("context", {}).get("registration") == registration
    )

"""What the live tests share: real ``formation-tic serve`` and ``formation-tic dashboard`` processes,
and the learner's page in offline Chromium (tests/browser.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from lrs_export.local_lrs import LocalLrs, free_port
from tests.app.pilot import TIMEOUT
from tests.browser import Blocked, guard, offline_browser

ROOT = Path(__file__).resolve().parent.parent
FORMATION_TIC = Path(sys.executable).with_name("formation-tic")


def spawn_serve(
    data_dir: Path,
    port: int,
    lrs: LocalLrs | None,
    *,
    built_book: Path | None = None,
    config: Path | None = None,
    **app_env: str,
) -> tuple[subprocess.Popen[bytes], Path]:
    """Start ``formation-tic serve`` on ``port`` with its data in ``data_dir``, without waiting for it;
    returns the process and its log (``serve.log`` in ``data_dir``).

    ``built_book`` (tests/conftest.py): its bank and book instead of the repository's, and its built
    book copied into ``data_dir``; ``config``: a root TOML configuration; ``lrs``: where statements
    go; ``app_env``: ``FORMATION_TIC_APP_*`` settings (``identification="sso-header"``, …).
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    bank, book = ROOT / "scenarios" / "bank", ROOT / "book"
    if built_book is not None:
        bank, book = built_book / "bank", built_book / "book"
        if not (data_dir / "livre").exists():  # the book built once per session, not once per server
            shutil.copytree(built_book / "var" / "livre", data_dir / "livre")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMATION_TIC_")}
    env.update(
        FORMATION_TIC_DATA_DIR=str(data_dir),
        FORMATION_TIC_BANK=str(bank),
        FORMATION_TIC_BOOK=str(book),
        FORMATION_TIC_APP_PORT=str(port),
        FORMATION_TIC_APP_FLUSH_INTERVAL="0.5",
        FORMATION_TIC_ATTEST_KEY_SIZE="2048",
        # every test browser is 127.0.0.1: one client address for the whole suite
        FORMATION_TIC_APP_MAX_KERNELS_PER_CLIENT="40",
        PYTHONUNBUFFERED="1",
    )
    if config is not None:
        env.update(FORMATION_TIC_CONFIG=str(config))
    if lrs is not None:
        env.update(
            FORMATION_TIC_LRS_ENDPOINT=lrs.endpoint,
            FORMATION_TIC_LRS_USERNAME=lrs.username,
            FORMATION_TIC_LRS_PASSWORD=lrs.password,
            FORMATION_TIC_LRS_STATEMENT_MODE="jws-extension",
        )
    env.update({f"FORMATION_TIC_APP_{k.upper()}": v for k, v in app_env.items()})
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(FORMATION_TIC), "serve"],
            env=env,
            cwd=data_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, log


@contextmanager
def running_dashboard(cwd: Path, data_dir: str | Path, certificate: Path, probe: str = "") -> Iterator[str]:
    """``formation-tic dashboard`` on 127.0.0.1, run from ``cwd`` with ``data_dir`` as given and the
    HR certificate ``certificate``; yields its URL once ``probe`` (a path under it) answers, and
    stops it (SIGTERM) after."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FORMATION_TIC_")},
        "FORMATION_TIC_DATA_DIR": str(data_dir),
        "FORMATION_TIC_HR_PUBLIC_KEY_PATHS": json.dumps([str(certificate)]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "formation_tic", "dashboard", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(url + probe, timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.5)  # polling for the server to listen, not timing a behaviour
        else:
            pytest.fail("le tableau de bord n'a pas démarré")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[tuple[Browser, Blocked]]:
    """The offline Chromium of a test module: no request may have left the machine by its end.

    A fixture: a folder's conftest.py imports it (tests/app, tests/lti)."""
    with offline_browser() as pair:
        yield pair
        assert pair[1].urls == [], f"requests left the machine: {pair[1].urls}"


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """Poll ``check`` until it returns a truthy value (or the timeout passes: its last value).

    A fixture: a folder's conftest.py imports it (tests/app, tests/lti)."""

    def _wait(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.3) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(interval)

    return _wait


def learner_context(chromium: Browser, height: int = 900) -> BrowserContext:
    """A browser context of its own (cookies, storage): fr-CA, 1100 px wide, the pilot's timeout."""
    context = chromium.new_context(locale="fr-CA", viewport={"width": 1100, "height": height})
    context.set_default_timeout(TIMEOUT)
    return context


@contextmanager
def learner_page(browser: tuple[Browser, Blocked], height: int = 900) -> Iterator[Page]:
    """A guarded page in a :func:`learner_context` of its own, closed after."""
    b, blocked = browser
    context = learner_context(b, height)
    yield guard(context.new_page(), blocked)
    context.close()

"""Fixtures of the LTI tests: a real LTI 1.3 platform process, a real Ralph LRS and a real
``formation-tic serve`` in ``lti`` mode, shared by the session (distinct employee numbers); the
offline Chromium of a test module (tests/live.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lrs_export.local_lrs import LocalLrs, free_port, start_local_lrs
from scenarios.bank import load_bank
from scenarios.model import Scenario
from scenarios.profile import load_profile
from tests.live import browser as browser  # the fixture, for this folder's tests
from tests.live import wait_for as wait_for  # the fixture, for this folder's tests
from tests.lti.support import LtiServer, PlatformProcess, start_lti_server, start_platform, write_config


@pytest.fixture(scope="session")
def lti_lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLrs]:
    with start_local_lrs(tmp_path_factory.mktemp("lti-ralph")) as lrs:
        yield lrs


@pytest.fixture(scope="session")
def lti_world(
    tmp_path_factory: pytest.TempPathFactory, lti_lrs: LocalLrs, built_book: Path
) -> Iterator[tuple[PlatformProcess, LtiServer]]:
    """The platform and the tool, registered with each other."""
    work = tmp_path_factory.mktemp("lti")
    port = free_port()
    tool_url = f"http://localhost:{port}/"
    platform = start_platform(work / "platform", tool_url)
    config = write_config(
        work / "formation-tic.toml",
        tool_url,
        platform.url,
        score_interval=0.5,
        score_timeout=2.0,
        jwks_refresh_cooldown=0.0,
    )
    try:
        server = start_lti_server(work / "data", config, lti_lrs, port, built_book=built_book)
    except BaseException:
        platform.stop()
        raise
    yield platform, server
    server.stop()
    platform.stop()


@pytest.fixture(scope="session")
def lti_platform(lti_world: tuple[PlatformProcess, LtiServer]) -> PlatformProcess:
    return lti_world[0]


@pytest.fixture(scope="session")
def lti_server(lti_world: tuple[PlatformProcess, LtiServer]) -> LtiServer:
    return lti_world[1]


@pytest.fixture(scope="session")
def bank(built_book: Path) -> dict[str, Scenario]:
    """The scenarios as the app sees them (profile applied), by title."""
    scenarios = load_bank([built_book / "bank"], load_profile(None))
    return {s.title: s for s in scenarios}

"""Fixtures for lrs_export: a real Ralph LRS (fs backend) as a subprocess on 127.0.0.1."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from lrs_export.local_lrs import LocalLrs, start_local_lrs
from lrs_export.statements import Attempt


@pytest.fixture(scope="session")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalLrs]:
    """One Ralph LRS for the session (tests isolate themselves by registration / ids)."""
    with start_local_lrs(tmp_path_factory.mktemp("ralph")) as lrs:
        yield lrs


@pytest.fixture
def fresh_ralph(tmp_path: Path) -> Iterator[LocalLrs]:
    """A Ralph LRS with an empty store, for tests that count everything stored."""
    with start_local_lrs(tmp_path / "ralph") as lrs:
        yield lrs


@pytest.fixture
def attempt() -> Attempt:
    """A learner's attempt (new registration UUID each time)."""
    return Attempt(
        employee_number="4711042", homepage="https://ena.santeqc.example", directive_version="2022"
    )


def stored_id_counts(lrs: LocalLrs) -> Counter[str]:
    """How many times each id is in Ralph's fs store (read from its file, not the API)."""
    if not lrs.statements_file.exists():
        return Counter()
    with lrs.statements_file.open(encoding="utf-8") as f:
        return Counter(json.loads(line)["id"] for line in f if line.strip())

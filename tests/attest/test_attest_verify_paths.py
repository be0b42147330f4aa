"""The verifier's fast path and shared RSA checks find exactly what the full check finds.

``verify_store`` settles a record with nothing to report in one comparison (the canonical
JSON of the stored row is the signed payload) and shares RSA checks between threads; any
other record goes through the full per-field check. Here every tampering of the tamper tests
is verified three ways — every record through the full check, the fast path on one thread,
and the fast path with tiny batches shared by three threads — and the findings must agree.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from attest_testsupport import Keys
from test_attest_tamper import ALL_COLUMNS, _changed, _insert, _rows, _tamper

import attest.verify as verify_module
from attest import verify_store

Tampering = Callable[[Path, list[dict[str, Any]]], None]


def _set(seq: int, column: str, value: Any) -> Tampering:
    def apply(db: Path, rows: list[dict[str, Any]]) -> None:
        _tamper(db, f"UPDATE attestations SET {column} = ? WHERE seq = ?", (value, seq))

    return apply


def _change(seq: int, column: str) -> Tampering:
    def apply(db: Path, rows: list[dict[str, Any]]) -> None:
        _tamper(
            db,
            f"UPDATE attestations SET {column} = ? WHERE seq = ?",
            (_changed(rows[seq - 1][column], 0.5), seq),
        )

    return apply


def _delete(seq: int) -> Tampering:
    def apply(db: Path, rows: list[dict[str, Any]]) -> None:
        _tamper(db, "DELETE FROM attestations WHERE seq = ?", (seq,))

    return apply


def _swap_rows(db: Path, rows: list[dict[str, Any]]) -> None:
    _tamper(db, "UPDATE attestations SET seq = -1 WHERE seq = 2")
    _tamper(db, "UPDATE attestations SET seq = 2 WHERE seq = 5")
    _tamper(db, "UPDATE attestations SET seq = 5 WHERE seq = -1")


def _replay(db: Path, rows: list[dict[str, Any]]) -> None:
    _insert(db, {**rows[1], "seq": 8, "id": "copie", "verification_code": "COPIE-00000"})


def _spaced_commitments(db: Path, rows: list[dict[str, Any]]) -> None:
    """The same list, written with spaces: the full check compares values, not text."""
    spaced = json.dumps(json.loads(rows[2]["commitments"]), ensure_ascii=False, separators=(", ", ": "))
    _tamper(db, "UPDATE attestations SET commitments = ? WHERE seq = 3", (spaced,))


TAMPERINGS: dict[str, Tampering] = {
    "untouched": lambda db, rows: None,
    **{f"change-{c}": _change(3, c) for c in ALL_COLUMNS if c != "seq"},
    **{f"change-last-{c}": _change(7, c) for c in ALL_COLUMNS},  # the revocation; seq 7 -> 8
    "bool-2": _set(2, "electronic_signature_consent", 2),
    "bool-real": _set(2, "form_version_minor", 0.0),
    "text-as-int": _set(4, "employee_number", 1004),
    "real-null": _set(4, "quiz_score", None),
    "real-as-text": _set(4, "quiz_score", "0.9"),
    "json-invalid": _set(5, "commitments", "[pas du json"),
    "json-spaced": _spaced_commitments,
    "delete-4": _delete(4),
    "delete-1": _delete(1),
    "swap-rows": _swap_rows,
    "replay": _replay,
}


@pytest.fixture
def tampered(
    request: pytest.FixtureRequest, populated: Path, copy_db: Callable[[Path, str], Path]
) -> Iterator[Path]:
    name = request.param
    db = copy_db(populated, f"paths-{name}-{uuid.uuid4().hex[:6]}")
    TAMPERINGS[name](db, _rows(populated))
    yield db


def _findings(db: Path, keys: Keys, workers: int) -> tuple[list[str], int, int | None, str | None]:
    report = verify_store(db, keys.public, workers=workers)
    return [str(f) for f in report.findings], report.count, report.head_seq, report.head_hash


@pytest.mark.parametrize("tampered", list(TAMPERINGS), indirect=True)
def test_fast_path_and_shared_checks_agree_with_the_full_check(
    tampered: Path, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _findings(tampered, keys, workers=1)
    with monkeypatch.context() as m:
        m.setattr(verify_module, "_BATCH", 2)
        m.setattr(verify_module, "_SHARED_MIN", 1)
        shared = _findings(tampered, keys, workers=3)
    with monkeypatch.context() as m:
        m.setattr(verify_module._StoredFields, "__call__", lambda self, row: None)  # every row: full check
        full = _findings(tampered, keys, workers=1)
    assert fast == full
    assert shared == full

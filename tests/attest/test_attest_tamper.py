"""Tampering with the SQLite file is caught by ``verify_store`` and named."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from attest_testsupport import Keys
from cryptography.hazmat.primitives.asymmetric import rsa

from attest import Anchor, AttestationStore, StoreError, sign_attestation, verify_store
from attest.canonical import sha256_hex
from attest.record import COLUMNS


def _rows(path: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM attestations ORDER BY seq")]
    conn.close()
    return rows


def _tamper(path: Path, sql: str, params: tuple[Any, ...] = ()) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DROP TRIGGER IF EXISTS attestations_no_update")
    conn.execute("DROP TRIGGER IF EXISTS attestations_no_delete")
    conn.execute(sql, params)
    conn.commit()
    conn.close()


def _changed(value: Any, where: float) -> Any:
    """``value`` with one byte/character (or the number) changed; NULL becomes a value."""
    if value is None:
        return "x"
    if isinstance(value, bool | int):
        return value + 1 if value not in (0, 1) else 1 - value
    if isinstance(value, float):
        return value - 0.01 if value > 0.5 else value + 0.01
    text = str(value)
    i = min(len(text) - 1, int(len(text) * where))
    new = "Y" if text[i] == "X" else "X"
    return text[:i] + new + text[i + 1 :]


def test_untouched_store_verifies(populated: Path, keys: Keys) -> None:
    report = verify_store(populated, keys.public)
    assert report.ok, [str(f) for f in report.findings]
    assert report.count == 7
    assert report.head_seq == 7


ALL_COLUMNS = [*COLUMNS, "record_hash", "jws"]


@pytest.mark.parametrize("column", ALL_COLUMNS)
def test_changing_any_field_of_any_row_is_caught_and_named(
    populated: Path, keys: Keys, copy_db: Callable[[Path, str], Path], column: str
) -> None:
    rows = _rows(populated)
    positions = (0.0, 0.5, 0.999) if column not in ("seq",) else (0.0,)
    for row in rows:
        for where in positions:
            new = _changed(row[column], where)
            if column == "seq":
                new = 1000 + row["seq"]
            db = copy_db(populated, f"{column}-{row['seq']}-{where}")
            _tamper(db, f"UPDATE attestations SET {column} = ? WHERE seq = ?", (new, row["seq"]))
            report = verify_store(db, keys.public)
            assert not report.ok, (column, row["seq"], where)
            assert row["id"] in report.failing_ids() or (column == "id" and new in report.failing_ids()), (
                column,
                row["seq"],
                [str(f) for f in report.findings],
            )
            db.unlink()


@pytest.mark.parametrize("victim", [1, 4, 6])
def test_deleted_row_is_caught_and_named(
    populated: Path, keys: Keys, copy_db: Callable[[Path, str], Path], victim: int
) -> None:
    db = copy_db(populated, "deleted")
    _tamper(db, "DELETE FROM attestations WHERE seq = ?", (victim,))
    report = verify_store(db, keys.public)
    removed = [f for f in report.findings if f.problem == "removed"]
    assert [f.seq for f in removed] == [victim]
    assert f"n° {victim} supprimé" in removed[0].message


def test_deleted_consecutive_rows_are_named_as_a_range(
    populated: Path, keys: Keys, copy_db: Callable[[Path, str], Path]
) -> None:
    db = copy_db(populated, "deleted-range")
    _tamper(db, "DELETE FROM attestations WHERE seq IN (2, 3, 4)")
    report = verify_store(db, keys.public)
    assert not report.ok
    assert any("n° 2 à 4 supprimé" in f.message for f in report.findings)


def test_truncation_is_caught_with_an_anchor(
    populated: Path, keys: Keys, copy_db: Callable[[Path, str], Path]
) -> None:
    before = verify_store(populated, keys.public)
    assert before.head_seq is not None and before.head_hash is not None
    anchor = Anchor(before.head_seq, before.head_hash)
    db = copy_db(populated, "truncated")
    _tamper(db, "DELETE FROM attestations WHERE seq = 7")
    # Without an anchor, a removed tail looks like a shorter valid chain ...
    assert verify_store(db, keys.public).ok
    # ... with the head noted earlier, it is caught.
    report = verify_store(db, keys.public, [anchor])
    assert [(f.seq, f.problem) for f in report.findings] == [(7, "anchor")]


def test_swapped_rows_are_caught_and_named(
    populated: Path, keys: Keys, copy_db: Callable[[Path, str], Path]
) -> None:
    rows = _rows(populated)
    db = copy_db(populated, "swapped")
    _tamper(db, "UPDATE attestations SET seq = -1 WHERE seq = 2")
    _tamper(db, "UPDATE attestations SET seq = 2 WHERE seq = 5")
    _tamper(db, "UPDATE attestations SET seq = 5 WHERE seq = -1")
    report = verify_store(db, keys.public)
    moved = {f.record_id for f in report.findings if f.problem == "moved"}
    assert moved == {rows[1]["id"], rows[4]["id"]}
    assert report.failing_ids() == moved


def test_swapped_contents_are_caught(
    populated: Path, keys: Keys, copy_db: Callable[[Path, str], Path]
) -> None:
    """Swap everything but ``seq`` between two rows (same physical slots)."""
    rows = _rows(populated)
    a, b = rows[2], rows[3]
    db = copy_db(populated, "swapped-contents")
    cols = [c for c in ALL_COLUMNS if c != "seq"]
    sets = ", ".join(f"{c} = ?" for c in cols)
    _tamper(db, "UPDATE attestations SET id = 'tmp-a', verification_code = 'tmp-a' WHERE seq = 3")
    _tamper(db, "UPDATE attestations SET id = 'tmp-b', verification_code = 'tmp-b' WHERE seq = 4")
    _tamper(db, f"UPDATE attestations SET {sets} WHERE seq = 3", tuple(b[c] for c in cols))
    _tamper(db, f"UPDATE attestations SET {sets} WHERE seq = 4", tuple(a[c] for c in cols))
    report = verify_store(db, keys.public)
    assert {a["id"], b["id"]} <= report.failing_ids()


def _forged_row(last: dict[str, Any], key: rsa.RSAPrivateKey) -> dict[str, Any]:
    fields = {k: last[k] for k in COLUMNS}
    fields.update(
        seq=last["seq"] + 1,
        id=str(uuid.uuid4()),
        verification_code="FORGE-D0001",
        employee_number="9999",
        prev_hash=last["record_hash"],
    )
    converted = dict(fields)
    for name in ("electronic_signature_consent", "form_version_minor", "directive_version_minor"):
        converted[name] = bool(converted[name])
    converted["commitments"] = json.loads(converted["commitments"])
    payload, jws = sign_attestation(converted, key)
    return {**fields, "record_hash": sha256_hex(payload), "jws": jws}


def _insert(db: Path, row: dict[str, Any]) -> None:
    names = ", ".join(row)
    marks = ", ".join("?" for _ in row)
    _tamper(db, f"INSERT INTO attestations ({names}) VALUES ({marks})", tuple(row.values()))


def test_forged_row_signed_with_another_key_is_caught(
    populated: Path, keys: Keys, copy_db: Callable[[Path, str], Path]
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    last = _rows(populated)[-1]
    forged = _forged_row(last, other)
    db = copy_db(populated, "forged")
    _insert(db, forged)
    report = verify_store(db, keys.public)
    assert report.failing_ids() == {forged["id"]}
    assert any(f.problem == "signature" for f in report.findings)


def test_forged_row_inserted_in_the_middle_is_caught(
    populated: Path, keys: Keys, copy_db: Callable[[Path, str], Path]
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rows = _rows(populated)
    forged = _forged_row(rows[2], other)  # claims position 4
    db = copy_db(populated, "forged-middle")
    for seq in range(7, 3, -1):  # make room: shift 4..7 to 5..8
        _tamper(db, "UPDATE attestations SET seq = ? WHERE seq = ?", (seq + 1, seq))
    _insert(db, forged)
    report = verify_store(db, keys.public)
    assert forged["id"] in report.failing_ids()
    assert any(f.record_id == forged["id"] and f.problem == "signature" for f in report.findings)


def test_replayed_copy_of_a_genuine_row_is_caught(
    populated: Path, keys: Keys, copy_db: Callable[[Path, str], Path]
) -> None:
    """A genuine signed row copied to the end (new id to pass UNIQUE) does not verify."""
    row = _rows(populated)[1]
    db = copy_db(populated, "replay")
    _insert(db, {**row, "seq": 8, "id": "copie", "verification_code": "COPIE-00000"})
    report = verify_store(db, keys.public)
    assert "copie" in report.failing_ids()


def test_store_triggers_refuse_update_and_delete(populated: Path) -> None:
    conn = sqlite3.connect(populated)
    with pytest.raises(sqlite3.IntegrityError, match="ajout seulement"):
        conn.execute("UPDATE attestations SET full_name = 'X' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="ajout seulement"):
        conn.execute("DELETE FROM attestations WHERE seq = 1")
    conn.close()


def test_unknown_public_key_fails_every_row(populated: Path) -> None:
    from attest import public_keys_by_id

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    report = verify_store(populated, public_keys_by_id([other]))
    assert len(report.failing_ids()) == 7


def test_verify_refuses_a_missing_or_foreign_file(tmp_path: Path, keys: Keys) -> None:
    with pytest.raises(StoreError, match="introuvable"):
        verify_store(tmp_path / "absent.db", keys.public)
    other = tmp_path / "autre.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError, match="registre"):
        verify_store(other, keys.public)
    with pytest.raises(StoreError, match="introuvable"):
        AttestationStore(tmp_path / "absent.db", create=False)


def test_store_refuses_failed_quiz_and_form_mismatch(
    tmp_path: Path, keys: Keys, form: Any, directive: Any
) -> None:
    from attest_testsupport import valid_values

    from attest import QuizResult, validate_submission

    sub = validate_submission(form, valid_values(form))
    failed = QuizResult(registration=uuid.uuid4(), score=0.4, passed=False)
    newer = form.model_copy(update={"version": str(form.version_key[0] + 1)})
    with AttestationStore(tmp_path / "a.db") as store:
        with pytest.raises(StoreError, match="questionnaire"):
            store.sign(sub, form, directive, failed, "typed", keys.private)
        ok = QuizResult(registration=uuid.uuid4(), score=1.0)
        with pytest.raises(StoreError, match="version du formulaire"):
            store.sign(sub, newer, directive, ok, "typed", keys.private)
        assert store.count() == 0
        rec = store.sign(sub, form, directive, ok, "sso-header", keys.private)
        assert store.count() == 1 and store.get(rec.id) == rec
        assert store.find_by_code(rec.verification_code.lower()) == rec

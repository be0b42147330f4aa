"""The ``keys`` and ``attest`` commands (CliRunner, real files in a data directory)."""

from __future__ import annotations

import shutil
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from attest_testsupport import Keys
from click.testing import CliRunner

from attest import AttestationRecord, AttestationStore
from formation_tic.cli import main


@pytest.fixture
def env(tmp_path: Path, keys: Keys) -> dict[str, str]:
    """A data directory holding the establishment's keys (the register is created by tests)."""
    data = tmp_path / "data"
    (data / "keys").mkdir(parents=True)
    shutil.copy2(keys.files.private_key, data / "keys" / "signing-key.pem")
    shutil.copy2(keys.files.certificate, data / "keys" / "signing-cert.pem")
    shutil.copy2(keys.files.public_key, data / "keys" / "signing-key.pub.pem")
    return {"FORMATION_TIC_DATA_DIR": str(data)}


def _db(env: dict[str, str]) -> Path:
    return Path(env["FORMATION_TIC_DATA_DIR"]) / "attestations.db"


def attest_group(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(main, ["attest", *args], env=env)


def keys_group(args: list[str], env: dict[str, str]) -> Any:
    return CliRunner().invoke(main, ["keys", *args], env=env)


def test_keys_init_from_settings(tmp_path: Path) -> None:
    env = {"FORMATION_TIC_DATA_DIR": str(tmp_path / "data"), "FORMATION_TIC_ATTEST_KEY_SIZE": "2048"}
    result = keys_group(["init"], env)
    assert result.exit_code == 0, result.output
    assert "mode 0600" in result.output
    assert stat.S_IMODE((tmp_path / "data" / "keys" / "signing-key.pem").stat().st_mode) == 0o600
    again = keys_group(["init"], env)
    assert again.exit_code == 1 and "existe déjà" in again.output
    shown = keys_group(["show"], env)
    assert shown.exit_code == 0 and "kid" in shown.output


def test_bad_setting_is_a_french_error(tmp_path: Path) -> None:
    env = {"FORMATION_TIC_ATTEST_KEY_SIZE": "512", "FORMATION_TIC_DATA_DIR": str(tmp_path)}
    result = keys_group(["init"], env)
    assert result.exit_code == 1
    assert "configuration invalide" in result.output and "FORMATION_TIC_ATTEST_KEY_SIZE" in result.output


def test_verify_ok_then_names_tampered_row(populated: Path, keys: Keys, env: dict[str, str]) -> None:
    result = attest_group(
        ["verify", "--attestations", str(populated), "--public-key", str(keys.files.public_key)],
        env,
    )
    assert result.exit_code == 0, result.output
    assert "7\u00a0enregistrements, aucune anomalie" in result.output
    head = result.output.split("Tête de chaîne à noter : ")[1].split()[0]

    conn = sqlite3.connect(populated)
    conn.execute("DROP TRIGGER attestations_no_update")
    conn.execute("UPDATE attestations SET employee_number = '1009' WHERE seq = 3")
    (rid,) = conn.execute("SELECT id FROM attestations WHERE seq = 3").fetchone()
    conn.commit()
    conn.close()
    bad = attest_group(["verify", "--attestations", str(populated), "--anchor", head], env)
    assert bad.exit_code == 1
    assert f"n° 3 (id {rid}) : modifié" in bad.output
    assert "employee_number" in bad.output


def test_verify_detects_truncation_with_anchor(populated: Path, env: dict[str, str]) -> None:
    ok = attest_group(["verify", "--attestations", str(populated)], env)
    head = ok.output.split("Tête de chaîne à noter : ")[1].split()[0]
    conn = sqlite3.connect(populated)
    conn.execute("DROP TRIGGER attestations_no_delete")
    conn.execute("DELETE FROM attestations WHERE seq = 7")
    conn.commit()
    conn.close()
    bad = attest_group(["verify", "--attestations", str(populated), "--anchor", head], env)
    assert bad.exit_code == 1 and "n° 7" in bad.output and "tronqué" in bad.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "--anchor", "abc"], "ancre invalide"),
        (["verify", "--attestations", "/nonexistent/x.db"], "does not exist"),
        (["verify", "--public-key", "/nonexistent.pem"], "does not exist"),
        (["status", "12"], "de 4 à 10 chiffres"),
        (["status", "abcd"], "de 4 à 10 chiffres"),
        (["show", "ZZZZZ-ZZZZZ"], "Aucune attestation"),
        (["revoke", "inconnu", "--reason", "erreur"], "Aucune attestation"),
        (["revoke", "inconnu", "--reason", "   "], "raison"),
        (["revoke", "inconnu"], "--reason"),
    ],
)
def test_bad_cli_input(populated: Path, env: dict[str, str], args: list[str], message: str) -> None:
    shutil.copy2(populated, _db(env))
    result = attest_group(args, env)
    assert result.exit_code != 0
    assert message in result.output


def test_show_finds_and_verifies_and_writes_receipt(
    tmp_path: Path, env: dict[str, str], sign_one: Callable[..., AttestationRecord]
) -> None:
    db = _db(env)
    with AttestationStore(db) as store:
        rec = sign_one(store, employee_number="2001", job_title="Agente & <adm>".replace("<adm>", "adm"))
    receipt = tmp_path / "recu.html"
    code = rec.verification_code.lower().replace("-", " ")
    result = attest_group(["show", code, "--receipt", str(receipt)], env)
    assert result.exit_code == 0, result.output
    assert "Signature valide et chaînage intact" in result.output
    assert "employé 2001" in result.output
    html = receipt.read_text(encoding="utf-8")
    assert rec.verification_code in html and "Agente &amp; adm" in html


def test_revoke_then_status_and_show(env: dict[str, str], sign_one: Callable[..., AttestationRecord]) -> None:
    db = _db(env)
    with AttestationStore(db) as store:
        rec = sign_one(store, employee_number="3001")
    status = attest_group(["status", "3001"], env)
    assert status.exit_code == 0 and "Employé 3001 : À jour" in status.output
    none = attest_group(["status", "3002"], env)
    assert "Aucune attestation" in none.output
    revoked = attest_group(["revoke", rec.id, "--reason", "Signé pour une autre personne"], env=env)
    assert revoked.exit_code == 0, revoked.output
    twice = attest_group(["revoke", rec.id, "--reason", "encore"], env)
    assert twice.exit_code == 1 and "déjà révoquée" in twice.output
    status = attest_group(["status", "3001"], env)
    assert "Révoquée" in status.output and "autre personne" in status.output
    show = attest_group(["show", rec.verification_code], env)
    assert "RÉVOQUÉE" in show.output
    verify = attest_group(["verify"], env)
    assert verify.exit_code == 0, verify.output


def test_no_receipt_is_written_for_a_record_that_does_not_verify(
    tmp_path: Path, env: dict[str, str], sign_one: Callable[..., AttestationRecord]
) -> None:
    db = _db(env)
    with AttestationStore(db) as store:
        rec = sign_one(store, employee_number="2002")
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER attestations_no_update")
    conn.execute("UPDATE attestations SET full_name = 'Nom Forgé' WHERE id = ?", (rec.id,))
    conn.commit()
    conn.close()
    receipt = tmp_path / "recu.html"
    result = attest_group(["show", rec.verification_code, "--receipt", str(receipt)], env)
    assert result.exit_code == 1
    assert "VÉRIFICATION ÉCHOUÉE" in result.output and "Aucun accusé de réception" in result.output
    assert not receipt.exists()

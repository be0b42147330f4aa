"""The ``keys`` and ``attest`` click groups (CliRunner, real files)."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from attest_testsupport import Keys
from click.testing import CliRunner

from attest import AttestationRecord, AttestationStore
from attest.cli import attest_group, keys_group


@pytest.fixture
def env(tmp_path: Path, keys: Keys) -> dict[str, str]:
    return {
        "FORMATION_TIC_ATTEST_PRIVATE_KEY_PATH": str(keys.files.private_key),
        "FORMATION_TIC_ATTEST_CERTIFICATE_PATH": str(keys.files.certificate),
        "FORMATION_TIC_ATTEST_PUBLIC_KEY_PATH": str(keys.files.public_key),
        "FORMATION_TIC_ATTEST_DB_PATH": str(tmp_path / "attestations.db"),
    }


def test_keys_init_from_settings(tmp_path: Path) -> None:
    env = {
        "FORMATION_TIC_ATTEST_PRIVATE_KEY_PATH": str(tmp_path / "keys" / "signing-key.pem"),
        "FORMATION_TIC_ATTEST_CERTIFICATE_PATH": str(tmp_path / "keys" / "cert.pem"),
        "FORMATION_TIC_ATTEST_PUBLIC_KEY_PATH": str(tmp_path / "keys" / "pub.pem"),
        "FORMATION_TIC_ATTEST_KEY_SIZE": "2048",
    }
    runner = CliRunner()
    result = runner.invoke(keys_group, ["init"], env=env)
    assert result.exit_code == 0, result.output
    assert "mode 0600" in result.output
    assert stat.S_IMODE((tmp_path / "keys" / "signing-key.pem").stat().st_mode) == 0o600
    again = runner.invoke(keys_group, ["init"], env=env)
    assert again.exit_code == 1 and "existe déjà" in again.output
    shown = runner.invoke(keys_group, ["show"], env=env)
    assert shown.exit_code == 0 and "kid" in shown.output


def test_bad_setting_is_a_french_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(keys_group, ["init"], env={"FORMATION_TIC_ATTEST_KEY_SIZE": "512"})
    assert result.exit_code == 1 and "Configuration invalide" in result.output


def test_verify_ok_then_names_tampered_row(populated: Path, keys: Keys, env: dict[str, str]) -> None:
    runner = CliRunner()
    result = runner.invoke(
        attest_group,
        ["verify", "--db", str(populated), "--public-key", str(keys.files.public_key)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "7 enregistrement(s), aucune anomalie" in result.output
    head = result.output.split("Tête de chaîne à noter : ")[1].split()[0]

    conn = sqlite3.connect(populated)
    conn.execute("DROP TRIGGER attestations_no_update")
    conn.execute("UPDATE attestations SET employee_number = '1009' WHERE seq = 3")
    (rid,) = conn.execute("SELECT id FROM attestations WHERE seq = 3").fetchone()
    conn.commit()
    conn.close()
    bad = runner.invoke(attest_group, ["verify", "--db", str(populated), "--anchor", head], env=env)
    assert bad.exit_code == 1
    assert f"n° 3 (id {rid}) : modifié" in bad.output
    assert "employee_number" in bad.output


def test_verify_detects_truncation_with_anchor(populated: Path, env: dict[str, str]) -> None:
    runner = CliRunner()
    ok = runner.invoke(attest_group, ["verify", "--db", str(populated)], env=env)
    head = ok.output.split("Tête de chaîne à noter : ")[1].split()[0]
    conn = sqlite3.connect(populated)
    conn.execute("DROP TRIGGER attestations_no_delete")
    conn.execute("DELETE FROM attestations WHERE seq = 7")
    conn.commit()
    conn.close()
    bad = runner.invoke(attest_group, ["verify", "--db", str(populated), "--anchor", head], env=env)
    assert bad.exit_code == 1 and "n° 7" in bad.output and "tronqué" in bad.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["verify", "--anchor", "abc"], "ancre invalide"),
        (["verify", "--db", "/nonexistent/x.db"], "introuvable"),
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
    env = {**env, "FORMATION_TIC_ATTEST_DB_PATH": str(populated)}
    result = CliRunner().invoke(attest_group, args, env=env)
    assert result.exit_code != 0
    assert message in result.output


def test_show_finds_and_verifies_and_writes_receipt(
    tmp_path: Path, env: dict[str, str], sign_one: Callable[..., AttestationRecord]
) -> None:
    db = Path(env["FORMATION_TIC_ATTEST_DB_PATH"])
    with AttestationStore(db) as store:
        rec = sign_one(store, employee_number="2001", job_title="Agente & <adm>".replace("<adm>", "adm"))
    receipt = tmp_path / "recu.html"
    runner = CliRunner()
    code = rec.verification_code.lower().replace("-", " ")
    result = runner.invoke(attest_group, ["show", code, "--receipt", str(receipt)], env=env)
    assert result.exit_code == 0, result.output
    assert "Signature valide et chaînage intact" in result.output
    assert "employé 2001" in result.output
    html = receipt.read_text(encoding="utf-8")
    assert rec.verification_code in html and "Agente &amp; adm" in html


def test_revoke_then_status_and_show(env: dict[str, str], sign_one: Callable[..., AttestationRecord]) -> None:
    db = Path(env["FORMATION_TIC_ATTEST_DB_PATH"])
    with AttestationStore(db) as store:
        rec = sign_one(store, employee_number="3001")
    runner = CliRunner()
    status = runner.invoke(attest_group, ["status", "3001"], env=env)
    assert status.exit_code == 0 and "Employé 3001 : À jour" in status.output
    none = runner.invoke(attest_group, ["status", "3002"], env=env)
    assert "Aucune attestation" in none.output
    revoked = runner.invoke(
        attest_group, ["revoke", rec.id, "--reason", "Signé pour une autre personne"], env=env
    )
    assert revoked.exit_code == 0, revoked.output
    twice = runner.invoke(attest_group, ["revoke", rec.id, "--reason", "encore"], env=env)
    assert twice.exit_code == 1 and "déjà révoquée" in twice.output
    status = runner.invoke(attest_group, ["status", "3001"], env=env)
    assert "Révoquée" in status.output and "autre personne" in status.output
    show = runner.invoke(attest_group, ["show", rec.verification_code], env=env)
    assert "RÉVOQUÉE" in show.output
    verify = runner.invoke(attest_group, ["verify"], env=env)
    assert verify.exit_code == 0, verify.output

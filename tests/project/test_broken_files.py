"""Broken data files: a French message naming the file, exit code 1, nothing else touched.

Corrupted SQLite files (register, outbox, HR database, pulled statements), a read-only
HR database and a full disk while signing: never a traceback, never a half-written record.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from attest import (
    AttestationStore,
    QuizResult,
    init_keys,
    load_directive,
    load_form,
    load_private_key,
    load_public_key,
    public_keys_by_id,
    validate_submission,
    verify_store,
)
from formation_tic.cli import main
from localdb import LocalDbError

GARBAGE = b"SQLite format 3\x00" + b"\xff\x13 ceci n'est plus une base " * 400


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("FORMATION_TIC_"):
            monkeypatch.delenv(name)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A data directory with keys, an empty register and a roster."""
    d = tmp_path / "donnees"
    init_keys(
        d / "keys" / "signing-key.pem",
        d / "keys" / "signing-cert.pem",
        d / "keys" / "signing-key.pub.pem",
        establishment="CISSS des Laurentides",
        key_size=2048,
    )
    AttestationStore(d / "attestations.db").close()
    roster = tmp_path / "personnel.csv"
    roster.write_text(
        "Matricule;Nom;Prénom;Titre d'emploi;Direction;Service;Matricule du gestionnaire;"
        "Date d'embauche;Statut\n0001;Tremblay;Marie;Infirmière;DSI;Soins;;2024-01-02;actif\n",
        encoding="utf-8",
    )
    assert CliRunner().invoke(main, ["--data-dir", str(d), "roster", "import", str(roster)]).exit_code == 0
    return d


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("broken", "args"),
    [
        ("attestations.db", ["attest", "status", "0001"]),
        ("attestations.db", ["attest", "show", "ABCDE-FGHJK"]),
        ("attestations.db", ["attest", "verify"]),
        ("attestations.db", ["attest", "revoke", "x", "--reason", "essai"]),
        ("attestations.db", ["report", "--no-files"]),
        ("outbox.db", ["lrs", "status"]),
        ("outbox.db", ["lrs", "flush"]),
        ("outbox.db", ["lrs", "requeue", "--quarantined"]),
        ("hr.db", ["report", "--no-files"]),
        ("hr.db", ["roster", "import", "{roster}"]),
        ("lrs-statements.db", ["items"]),
    ],
)
def test_a_corrupted_file_is_named_in_french_and_left_as_it_was(
    data: Path, broken: str, args: list[str]
) -> None:
    target = data / broken
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    target.write_bytes(GARBAGE)
    before = digest(target)
    args = [a.replace("{roster}", str(data.parent / "personnel.csv")) for a in args]
    result = CliRunner().invoke(main, ["--data-dir", str(data), *args])
    assert result.exit_code == 1, result.output
    [error] = [line for line in result.output.splitlines() if line.startswith("Erreur : ")]
    assert str(target) in error and "corrompu" in error, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert digest(target) == before


def test_serve_refuses_to_start_on_a_corrupted_outbox(data: Path, tmp_path: Path) -> None:
    (data / "outbox.db").write_bytes(GARBAGE)
    from lrs_export.local_lrs import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMATION_TIC_")}
    env.update(FORMATION_TIC_DATA_DIR=str(data), FORMATION_TIC_APP_PORT=str(free_port()))
    (data / "livre" / "_build" / "html").mkdir(parents=True)
    (data / "livre" / "_build" / "html" / "index.html").write_text("<html></html>", encoding="utf-8")
    exe = Path(sys.executable).with_name("formation-tic")
    result = subprocess.run([str(exe), "serve"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert str(data / "outbox.db") in result.stderr and "corrompu" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_read_only_hr_database_is_a_french_error(data: Path) -> None:
    hr = data / "hr.db"
    # root ignores file modes: an immutable file is what « read-only » means for everyone
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(hr)]).returncode != 0:
        pytest.skip("this file system does not support immutable files")
    try:
        result = CliRunner().invoke(main, ["--data-dir", str(data), "report", "--no-files"])
    finally:
        subprocess.run(["chattr", "-i", str(hr)], check=True)
    assert result.exit_code == 1
    [error] = [line for line in result.output.splitlines() if line.startswith("Erreur : ")]
    assert str(hr) in error and "lecture seule" in error
    assert "Traceback" not in result.output


def _sign_until_full(store_path: Path, key_path: Path) -> tuple[int, LocalDbError]:
    form, directive = load_form(), load_directive()
    key = load_private_key(key_path)
    signed = 0
    with AttestationStore(store_path) as store:
        for i in range(100_000):
            values = {
                "employee_number": f"{1000 + i}",
                "full_name": "Personne " + "x" * 100,
                "job_title": "Infirmière",
                "direction": "Direction des soins infirmiers " + "y" * 150,
                "establishment": directive.etablissement,
                "signature": "Personne " + "x" * 100,
                "consent_electronic_signature": True,
                "commitments": {c.id: True for c in form.engagements},
            }
            sub = validate_submission(form, values)
            try:
                store.sign(
                    sub, form, directive, QuizResult(registration=uuid.uuid4(), score=1.0), "typed", key
                )
            except LocalDbError as exc:
                return signed, exc
            signed += 1
    raise AssertionError("the disk never filled up")


def _sign_with_a_file_size_limit(store: Path, key: Path) -> tuple[int, str]:
    """Where no file system can be mounted: the same test under a file-size limit (child process)."""
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(_limited_signer, (str(store), str(key)))


def _limited_signer(store: str, key: str) -> tuple[int, str]:
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (600_000, 600_000))
    signed, error = _sign_until_full(Path(store), Path(key))
    return signed, str(error)


def test_a_full_disk_while_signing_says_so_and_loses_nothing(data: Path, tmp_path: Path) -> None:
    mount = tmp_path / "petit-disque"
    mount.mkdir()
    mounted = (
        shutil.which("mount") is not None
        and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)]).returncode == 0
    )
    store = mount / "attestations.db"
    try:
        if mounted:
            signed, exc = _sign_until_full(store, data / "keys" / "signing-key.pem")
            error = str(exc)
            assert "disque plein" in error
        else:
            signed, error = _sign_with_a_file_size_limit(store, data / "keys" / "signing-key.pem")
            assert "disque" in error
        assert signed > 10 and str(store) in error
        keys = public_keys_by_id([load_public_key(data / "keys" / "signing-cert.pem")])
        report = verify_store(store, keys)
        assert report.ok and report.count == signed  # every acknowledged signature is there, intact
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=False)

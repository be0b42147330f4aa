"""20 processes sign 50 attestations each, at the same time, on one SQLite file."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
from pathlib import Path

from attest_testsupport import Keys, concurrent_signer

from attest import verify_store

WORKERS = 20
PER_WORKER = 50


def test_concurrent_signers_build_one_valid_chain(tmp_path: Path, keys: Keys) -> None:
    db = tmp_path / "concurrent.db"
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(WORKERS)
        jobs = [(str(db), str(keys.files.private_key), w, PER_WORKER, barrier) for w in range(WORKERS)]
        with ctx.Pool(WORKERS) as pool:
            done = pool.map(concurrent_signer, jobs)
    assert sum(done) == WORKERS * PER_WORKER
    report = verify_store(db, keys.public)
    assert report.ok, [str(f) for f in report.findings[:5]]
    assert report.count == WORKERS * PER_WORKER
    assert report.head_seq == WORKERS * PER_WORKER
    conn = sqlite3.connect(db)
    (distinct,) = conn.execute("SELECT COUNT(DISTINCT employee_number) FROM attestations").fetchone()
    (ids,) = conn.execute("SELECT COUNT(DISTINCT id) FROM attestations").fetchone()
    conn.close()
    assert distinct == ids == WORKERS * PER_WORKER


def test_one_quiz_registration_gets_one_attestation_whatever_the_timing(tmp_path: Path, keys: Keys) -> None:
    """Two tabs (here: eight processes) pressing « Signer » together for one passed quiz."""
    import uuid

    from attest_testsupport import same_registration_signer

    db = tmp_path / "onglets.db"
    registration = str(uuid.uuid4())
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(8)
        jobs = [(str(db), str(keys.files.private_key), registration, barrier) for _ in range(8)]
        with ctx.Pool(8) as pool:
            results = pool.map(same_registration_signer, jobs)
    signed = [r for r in results if not r.startswith("déjà:")]
    assert len(signed) == 1, results
    assert {r.removeprefix("déjà:") for r in results} == {signed[0]}  # the others are shown that one
    conn = sqlite3.connect(db)
    (count,) = conn.execute(
        "SELECT COUNT(*) FROM attestations WHERE quiz_registration = ?", (registration,)
    ).fetchone()
    conn.close()
    assert count == 1
    assert verify_store(db, keys.public).ok

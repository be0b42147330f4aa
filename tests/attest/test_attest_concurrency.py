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

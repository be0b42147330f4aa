"""The SQLite outbox: durable adds, idempotence, many writer processes, one sender."""

from __future__ import annotations

import multiprocessing
import sqlite3
import uuid
from pathlib import Path

import pytest

from lrs_export.errors import OutboxError, SenderBusy
from lrs_export.outbox import Attachment, Outbox


def _statement(n: int = 0) -> dict:
    return {
        "actor": {"objectType": "Agent", "account": {"name": "1", "homePage": "https://e.example"}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": f"https://x.example/{n}"},
        "timestamp": "2024-01-01T00:00:00+00:00",
    }


def test_add_assigns_uuid_stores_and_is_idempotent(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    sid = outbox.add(_statement())
    uuid.UUID(sid)
    row = outbox.get(sid)
    assert row["body"]["id"] == sid and row["status"] == "pending"
    same = {**_statement(), "id": sid}
    assert outbox.add(same) == sid
    with pytest.raises(OutboxError):
        outbox.add({**_statement(1), "id": sid})
    assert outbox.counts()["pending"] == 1
    assert outbox.counts()["oldest_pending"] is not None
    # WAL, and the row is visible to another connection at once (committed).
    conn = sqlite3.connect(tmp_path / "o.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT count(*) FROM statements").fetchone()[0] == 1


def test_attachments_roundtrip_and_metadata(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.db")
    att = Attachment(
        "http://adlnet.gov/expapi/attachments/signature",
        "application/octet-stream",
        b"jws",
        {"fr-CA": "Signature"},
    )
    sid = outbox.add(_statement(), [att])
    (pending,) = outbox.next_batch(10)
    assert pending.attachments == (att,)
    entry = outbox.get(sid)["body"]["attachments"][0]
    assert entry["sha2"] == att.sha2 and entry["length"] == 3


def _writer(path: str, n: int) -> None:
    outbox = Outbox(Path(path))
    for i in range(n):
        outbox.add(_statement(i))


def test_many_writer_processes(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    Outbox(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), 150)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert Outbox(path).counts()["pending"] == 600


def test_single_sender_lock(tmp_path: Path) -> None:
    a, b = Outbox(tmp_path / "o.db"), Outbox(tmp_path / "o.db")
    with a.sender_lock(), pytest.raises(SenderBusy), b.sender_lock():
        pass
    with b.sender_lock():
        pass


@pytest.mark.parametrize(
    ("mode", "shown"),
    [
        ("signed-multipart", "Mode des attestations : signed-multipart"),
        ("jws-extension", "Mode des attestations : jws-extension"),
    ],
)
def test_status_says_which_attestation_mode_is_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, shown: str
) -> None:
    from click.testing import CliRunner

    from formation_tic.cli import main

    monkeypatch.delenv("FORMATION_TIC_LRS_ENDPOINT", raising=False)
    monkeypatch.setenv("FORMATION_TIC_LRS_STATEMENT_MODE", mode)
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "lrs", "status"])
    assert result.exit_code == 0, result.output
    assert shown in result.output

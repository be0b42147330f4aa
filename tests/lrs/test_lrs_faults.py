"""Exactly once through faults: a fault-injecting proxy, and kill -9 of the sender; the
LRS's Retry-After honoured; the xAPI version header on every request."""

from __future__ import annotations

import email.utils
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from lrs_export import statements as S
from lrs_export.client import LrsClient
from lrs_export.local_lrs import LocalLrs
from lrs_export.outbox import Outbox
from lrs_export.pull import pull
from lrs_export.reconcile import reconcile
from lrs_export.sender import Sender
from lrs_export.signature import sign_statement

from .conftest import stored_id_counts
from .faultproxy import FaultProxy, Scripted

NO_FAULTS = {"p_500": 0, "p_503": 0, "p_delay": 0, "p_drop": 0, "p_store_then_reset": 0}


def _many(attempt: S.Attempt, n: int) -> list[dict]:
    """n distinct statements (copies of built ones with new ids: building is not under test)."""
    templates = [S.experienced(attempt, "page", "Page"), S.terminated(attempt)]
    return [{**templates[i % 2], "id": str(uuid.uuid4())} for i in range(n)]


def test_5000_statements_through_faults_arrive_exactly_once(
    fresh_ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt
) -> None:
    outbox = Outbox(tmp_path / "o.db")
    ids = outbox.add_many(_many(attempt, 5000))
    upstream = f"http://127.0.0.1:{fresh_ralph.port}"
    with FaultProxy(upstream, seed=2024, delay=1.3) as proxy:
        settings = fresh_ralph.settings(
            endpoint=proxy.endpoint,
            batch_size=50,
            read_timeout=1.0,
            max_retries=60,
            backoff_base=0.02,
            backoff_max=0.3,
        )
        with Sender(outbox, settings, rng=random.Random(7)) as sender:
            report = sender.flush()
    assert report.sent == 5000 and report.remaining == 0
    # every fault kind happened
    assert all(proxy.stats[k] > 0 for k in ("500", "503", "delay", "drop", "store_then_reset"))
    assert report.retries >= sum(proxy.stats[k] for k in ("500", "503", "delay", "drop"))
    stored = stored_id_counts(fresh_ralph)
    assert set(stored) == set(ids)  # none lost, nothing else
    assert max(stored.values()) == 1  # none duplicated
    assert outbox.counts()["sent"] == 5000


def test_kill_9_during_flush_then_restart_exactly_once(
    fresh_ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt
) -> None:
    db = tmp_path / "outbox.db"
    outbox = Outbox(db)
    ids = outbox.add_many(_many(attempt, 3000))
    env = {
        **os.environ,
        "FORMATION_TIC_LRS_ENDPOINT": fresh_ralph.endpoint,
        "FORMATION_TIC_LRS_USERNAME": fresh_ralph.username,
        "FORMATION_TIC_LRS_PASSWORD": fresh_ralph.password,
        "FORMATION_TIC_LRS_BATCH_SIZE": "5",
    }
    cmd = [sys.executable, "-m", "formation_tic", "--data-dir", str(tmp_path), "lrs", "flush"]
    rng = random.Random(99)
    kills_mid_flush = 0
    for _ in range(8):
        before = outbox.counts()["sent"]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.8, 1.6))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            kills_mid_flush += 1
        after = outbox.counts()
        if after["pending"] == 0:
            break
        assert after["sent"] >= before
    assert kills_mid_flush >= 3
    final = subprocess.run(cmd, env=env, capture_output=True, timeout=300, check=False)
    assert final.returncode == 0, final.stderr.decode()
    counts = outbox.counts()
    assert (counts["pending"], counts["sent"]) == (0, 3000)
    stored = stored_id_counts(fresh_ralph)
    assert set(stored) == set(ids) and max(stored.values()) == 1


def test_retry_after_is_honoured_through_the_proxy_exactly_once(
    ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt
) -> None:
    outbox = Outbox(tmp_path / "o.db")
    ids = outbox.add_many(_many(attempt, 30))
    with FaultProxy(f"http://127.0.0.1:{ralph.port}", **NO_FAULTS) as proxy:
        proxy.script.extend(
            [
                Scripted(429, "1"),  # refused: wait 1 s
                # stored by Ralph, then 503: wait until the date (1 to 2 s), resend (harmless)
                Scripted(503, lambda: email.utils.formatdate(time.time() + 2, usegmt=True), forward=True),
                Scripted(429, "3600"),  # bounded by backoff_max
            ]
        )
        # backoff_base=0: without Retry-After every retry would be immediate.
        settings = ralph.settings(
            endpoint=proxy.endpoint, batch_size=10, backoff_base=0, backoff_max=1.5, max_retries=5
        )
        with Sender(outbox, settings) as sender:
            report = sender.flush()
    assert report.sent == 30 and report.retries == 3 and report.remaining == 0
    log = proxy.requests("POST")
    # 204: Ralph already held the batch stored before the scripted 503 (the resend is harmless)
    assert [e.status for e in log] == [429, 503, 429, 204, 200, 200]
    gaps = [log[i + 1].arrived - log[i].answered for i in range(3)]
    assert 0.95 <= gaps[0] < 1.9, gaps
    assert 0.95 <= gaps[1] < 2.9, gaps  # the date was 2 s ahead, whole seconds: a 1 to 2 s wait
    assert 1.45 <= gaps[2] < 2.4, gaps  # 1.5 s, not an hour
    assert log[0].body == log[1].body == log[2].body == log[3].body  # the same batch each time
    counts = stored_id_counts(ralph)
    assert all(counts[i] == 1 for i in ids)  # none lost, none duplicated
    assert outbox.counts()["sent"] == 30


def test_version_header_on_every_request_through_the_proxy(
    ralph: LocalLrs, tmp_path: Path, attempt: S.Attempt
) -> None:
    outbox = Outbox(tmp_path / "o.db")
    ids = outbox.add_many(_many(attempt, 12))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signed, jws = sign_statement(S.accepted("2024-01", "2022", attempt=attempt), key)
    ids.append(outbox.add(signed, [jws]))
    with FaultProxy(f"http://127.0.0.1:{ralph.port}", **NO_FAULTS) as proxy:
        settings = ralph.settings(endpoint=proxy.endpoint, batch_size=5)
        with Sender(outbox, settings) as sender:
            assert sender.flush().sent == 13
        with LrsClient(settings) as client:
            assert reconcile(outbox, client).missing == []
            pulled = pull(client, tmp_path / "r.db", filters={"registration": str(attempt.registration)})
            assert pulled.fetched == 13
    log = proxy.requests()
    kinds = {(e.method, e.content_type.split(";")[0]) for e in log}
    assert {("POST", "application/json"), ("POST", "multipart/mixed"), ("GET", "")} <= kinds
    assert any("statementId=" in e.path for e in log)  # reconcile
    assert any("registration=" in e.path for e in log)  # pull
    assert [e for e in log if e.headers.get("x-experience-api-version") != "1.0.3"] == []

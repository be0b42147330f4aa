"""Exactly once through faults: a fault-injecting proxy, and kill -9 of the sender."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from lrs_export import statements as S
from lrs_export.local_lrs import LocalLrs
from lrs_export.outbox import Outbox
from lrs_export.sender import Sender

from .conftest import stored_id_counts
from .faultproxy import FaultProxy


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

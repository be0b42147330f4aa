"""Benchmark (not a test): outbox + sender vs raw httpx batches, each to a fresh Ralph LRS.

    python benchmarks/bench_lrs.py [--n 20000] [--batch 100]

Prints both rates (statements/s) and the ratio outbox/raw (aim: ≥ 0.9). The outbox
figure includes the durable enqueue (one transaction per batch-sized chunk, as
``Outbox.add_many``) and the flush.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from lrs_export import statements as S
from lrs_export.local_lrs import start_local_lrs
from lrs_export.outbox import Outbox
from lrs_export.sender import Sender


def make_statements(n: int) -> list[dict]:
    """n distinct statements built by the module's builders (copied with new ids)."""
    attempt = S.Attempt(
        employee_number="1000001", homepage="https://ena.santeqc.example", directive_version="2022"
    )
    templates = [S.initialized(attempt), S.experienced(attempt, "p", "Page"), S.terminated(attempt)]
    return [{**templates[i % 3], "id": str(uuid.uuid4())} for i in range(n)]


def raw(endpoint: str, auth: tuple[str, str], statements: list[dict], batch: int) -> float:
    """POST the statements in batches with plain httpx; return elapsed seconds."""
    with httpx.Client(
        base_url=endpoint, auth=auth, timeout=60, headers={"X-Experience-API-Version": "1.0.3"}
    ) as client:
        start = time.perf_counter()
        for i in range(0, len(statements), batch):
            body = json.dumps(statements[i : i + batch]).encode()
            r = client.post("statements", content=body, headers={"Content-Type": "application/json"})
            r.raise_for_status()
        return time.perf_counter() - start


def main() -> None:
    """Run both measurements in the same process, each against its own fresh LRS."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    statements = make_statements(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with start_local_lrs(root / "raw") as lrs:
            t_raw = raw(lrs.endpoint, (lrs.username, lrs.password), statements, args.batch)
        with start_local_lrs(root / "outbox") as lrs:
            outbox = Outbox(root / "outbox.db")
            start = time.perf_counter()
            for i in range(0, len(statements), args.batch):
                outbox.add_many(statements[i : i + args.batch])
            t_enqueue = time.perf_counter() - start
            with Sender(outbox, lrs.settings(batch_size=args.batch)) as sender:
                report = sender.flush()
            t_total = time.perf_counter() - start
            assert report.sent == args.n, report
    rate_raw, rate_outbox = args.n / t_raw, args.n / t_total
    print(f"énoncés : {args.n}, lots de {args.batch}")
    print(f"httpx brut          : {rate_raw:8.0f} énoncés/s ({t_raw:.1f} s)")
    print(
        f"boîte d'envoi+envoi : {rate_outbox:8.0f} énoncés/s ({t_total:.1f} s,"
        f" dont mise en file {t_enqueue:.1f} s)"
    )
    print(f"ratio               : {rate_outbox / rate_raw:.2f}")


if __name__ == "__main__":
    main()

"""Reconcile: ask the LRS for every statement the outbox marked sent; report missing ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lrs_export.client import LrsClient
from lrs_export.outbox import Outbox


@dataclass
class ReconcileReport:
    """Result of a reconcile run."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    requeued: int = 0


def reconcile(
    outbox: Outbox,
    client: LrsClient,
    *,
    requeue: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ReconcileReport:
    """``GET statements?statementId=…`` for each sent statement; optionally requeue missing ones."""
    report = ReconcileReport()
    for statement_id in outbox.ids("sent"):
        if client.get_statement(statement_id) is None:
            report.missing.append(statement_id)
        report.checked += 1
        if progress:
            progress(1)
    if requeue and report.missing:
        report.requeued = outbox.requeue(report.missing)
    return report

"""Reconcile: ask the LRS for every statement the outbox marked sent; report missing ones.

A voided statement is not missing. xAPI 1.0.3 (Data 2.3.2, Communication 2.1.3): an LRS
answers ``404`` to ``GET statements?statementId=`` for a statement it considers voided and
returns it only to ``GET statements?voidedStatementId=``; so a statement not found by
``statementId`` is asked again by ``voidedStatementId`` before being called missing.
Ralph 5.1 implements no voiding: it returns voided statements by ``statementId`` like any
other, and ignores ``voidedStatementId`` (it answers with unfiltered statements): only a
statement whose ``id`` is the one asked counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lrs_export.client import LrsClient
from lrs_export.errors import LrsProtocolError
from lrs_export.outbox import Outbox


@dataclass
class ReconcileReport:
    """Result of a reconcile run."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    requeued: int = 0
    voided: list[str] = field(default_factory=list)
    """Sent statements the LRS holds as voided (returned only by ``voidedStatementId``)."""


def get_voided_statement(client: LrsClient, statement_id: str) -> dict[str, Any] | None:
    """The statement with this id if the LRS holds it as voided (``voidedStatementId``), else None."""
    # The client's GET (auth, 5xx and transport errors in French); a public
    # ``LrsClient.get_voided_statement`` would be its home.
    response = client._get("statements", {"voidedStatementId": statement_id})
    if response.status_code in (400, 404):
        return None  # 400: an LRS that does not know the parameter
    if response.status_code != 200:
        raise LrsProtocolError(f"Réponse inattendue du LRS (HTTP {response.status_code}).")
    data = response.json()
    if isinstance(data, dict) and "statements" in data and "actor" not in data:
        found = [s for s in data["statements"] if isinstance(s, dict) and s.get("id") == statement_id]
        return found[0] if found else None
    return data if isinstance(data, dict) and data.get("id") == statement_id else None


def find_statement(client: LrsClient, statement_id: str) -> tuple[dict[str, Any] | None, bool]:
    """(statement, voided): the statement by ``statementId``, else by ``voidedStatementId``."""
    found = client.get_statement(statement_id)
    if found is not None:
        return found, False
    found = get_voided_statement(client, statement_id)
    return found, found is not None


def reconcile(
    outbox: Outbox,
    client: LrsClient,
    *,
    requeue: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ReconcileReport:
    """``GET statements?statementId=…`` (then ``voidedStatementId``) for each sent statement;
    optionally requeue missing ones."""
    report = ReconcileReport()
    for statement_id in outbox.ids("sent"):
        found, voided = find_statement(client, statement_id)
        if found is None:
            report.missing.append(statement_id)
        elif voided:
            report.voided.append(statement_id)
        report.checked += 1
        if progress:
            progress(1)
    if requeue and report.missing:
        report.requeued = outbox.requeue(report.missing)
    return report

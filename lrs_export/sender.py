"""The sender: flushes the outbox to the LRS in batches, exactly once.

Per response: 2xx → sent; 409 → conflict (after isolating the statement); 400/413/422 →
the batch is split in halves until the bad statement is alone, then it is quarantined
with the LRS's reason (never retried blindly); 401/403 → stop, credentials are wrong;
5xx, 408, 429, timeouts, resets → retry the same batch later with exponential backoff
and full jitter. Resending ids the LRS already stored is harmless (the spec makes the
LRS ignore identical statements), and the outbox records what was sent.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from lrs_export.client import TRANSIENT_ERRORS, build_http_client, check_auth, multipart_body
from lrs_export.errors import LrsProtocolError, LrsUnavailable
from lrs_export.outbox import Outbox, PendingStatement
from lrs_export.settings import LrsSettings

logger = logging.getLogger(__name__)

SPLIT_STATUSES = frozenset({400, 409, 413, 422})
RETRY_STATUSES = frozenset({408, 425, 429})

Progress = Callable[[int], None]


@dataclass
class FlushReport:
    """What one flush did."""

    sent: int = 0
    conflicts: int = 0
    quarantined: int = 0
    retries: int = 0
    requests: int = 0
    remaining: int = 0


class Sender:
    """Sends the outbox's pending statements to the configured LRS."""

    def __init__(
        self,
        outbox: Outbox,
        settings: LrsSettings,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.outbox = outbox
        self.settings = settings
        self.http = http or build_http_client(settings)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.report = FlushReport()

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- public --------------------------------------------------------------------------

    def flush(self, *, progress: Progress | None = None, max_batches: int | None = None) -> FlushReport:
        """Send pending statements until none are left (or ``max_batches`` were sent).

        Raises :class:`CredentialsRejected` on 401/403 and :class:`LrsUnavailable` when one
        batch still fails after ``settings.max_retries`` retries; what was sent stays sent.
        """
        self.report = FlushReport()
        with self.outbox.sender_lock():
            batches = 0
            while max_batches is None or batches < max_batches:
                batch = self.outbox.next_batch(self.settings.batch_size)
                if not batch:
                    break
                batches += 1
                plain = [s for s in batch if not s.attachments]
                if plain:
                    self._send_batch(plain, progress)
                for statement in (s for s in batch if s.attachments):
                    self._send_batch([statement], progress)
        self.report.remaining = self.outbox.counts()["pending"]
        return self.report

    # --- internals -----------------------------------------------------------------------

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff delay for the n-th retry (n ≥ 1)."""
        ceiling = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)

    def _request(self, batch: Sequence[PendingStatement]) -> httpx.Response:
        body = ("[" + ",".join(s.body for s in batch) + "]").encode("utf-8")
        attachments = [a for s in batch for a in s.attachments]
        if attachments:
            body, content_type = multipart_body(body, attachments)
        else:
            content_type = "application/json"
        self.report.requests += 1
        return self.http.post("statements", content=body, headers={"Content-Type": content_type})

    def _send_batch(self, batch: Sequence[PendingStatement], progress: Progress | None) -> None:
        ids = [s.id for s in batch]
        attempt = 0
        while True:
            try:
                response = self._request(batch)
            except TRANSIENT_ERRORS as error:
                reason = f"{type(error).__name__}"
            else:
                status = response.status_code
                check_auth(response)
                if 200 <= status < 300:
                    self.outbox.mark_sent(ids)
                    self.report.sent += len(ids)
                    if progress:
                        progress(len(ids))
                    return
                if status in SPLIT_STATUSES:
                    self._isolate(batch, status, _reason(response), progress)
                    return
                if status < 500 and status not in RETRY_STATUSES:
                    raise LrsProtocolError(
                        f"Réponse inattendue du LRS (HTTP {status}) : vérifiez l'adresse"
                        f" FORMATION_TIC_LRS_ENDPOINT. {_reason(response)}"
                    )
                reason = f"HTTP {status}"
            attempt += 1
            self.report.retries += 1
            self.outbox.record_failure(ids, reason)
            logger.info("LRS transient failure (%s), %d statement(s), retry %d", reason, len(ids), attempt)
            if attempt > self.settings.max_retries:
                raise LrsUnavailable(
                    f"Le LRS est injoignable ou en erreur ({reason}) après {attempt} essais ;"
                    " les énoncés restent en attente."
                )
            self._sleep(self.backoff(attempt))

    def _isolate(
        self, batch: Sequence[PendingStatement], status: int, reason: str, progress: Progress | None
    ) -> None:
        if len(batch) == 1:
            statement = batch[0]
            if status == 409:
                self.outbox.mark_conflict(statement.id, f"HTTP 409 : {reason}")
                self.report.conflicts += 1
            else:
                self.outbox.quarantine(statement.id, f"HTTP {status} : {reason}")
                self.report.quarantined += 1
            logger.warning("Statement %s set aside (HTTP %d)", statement.id, status)
            if progress:
                progress(1)
            return
        middle = len(batch) // 2
        self._send_batch(batch[:middle], progress)
        self._send_batch(batch[middle:], progress)


def _reason(response: httpx.Response) -> str:
    """The LRS's explanation, from its JSON ``detail``/``message`` or its text."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:1000]
    if isinstance(data, dict):
        for key in ("detail", "message", "error", "errors"):
            if key in data:
                return str(data[key])[:1000]
    return str(data)[:1000]

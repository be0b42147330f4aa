"""The sender: flushes the outbox to the LRS in batches, exactly once.

Per response: 2xx → sent; 409 → conflict (after isolating the statement); 400/413/422 →
the batch is split in halves until the bad statement is alone, then it is quarantined
with the LRS's reason (never retried blindly); 401/403 → stop, credentials are wrong;
5xx, 408, 429, timeouts, resets → retry the same batch later with exponential backoff
and full jitter. A ``Retry-After`` on 429 or 503 (delta-seconds or HTTP-date) replaces
the backoff for that wait, bounded by ``settings.backoff_max``. Resending ids the LRS
already stored is harmless (the spec makes the LRS ignore identical statements), and the
outbox records what was sent.

Signed statements (with a signature attachment) go one per request as
``multipart/mixed``, unless the LRS is known to refuse multipart: then they go in the
``jws-extension`` fallback form with the plain statements. The first multipart refusal
is detected from the LRS's answer and the statement resent at once in the fallback form
(see :mod:`lrs_export.capabilities`). Every request carries ``X-Experience-API-Version``.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC

import httpx

from lrs_export.capabilities import endpoint_key, refuses_multipart, to_jws_extension
from lrs_export.client import (
    TRANSIENT_ERRORS,
    VERSION_HEADER,
    build_http_client,
    check_auth,
    multipart_body,
)
from lrs_export.errors import LrsProtocolError, LrsUnavailable
from lrs_export.outbox import LrsCapability, Outbox, PendingStatement
from lrs_export.settings import LrsSettings

logger = logging.getLogger(__name__)

SPLIT_STATUSES = frozenset({400, 409, 413, 422})
RETRY_STATUSES = frozenset({408, 425, 429})
RETRY_AFTER_STATUSES = frozenset({429, 503})

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
    fallbacks: int = 0
    """Signed statements sent in the ``jws-extension`` fallback form."""


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
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.outbox = outbox
        self.settings = settings
        self.http = http or build_http_client(settings)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self.report = FlushReport()
        self.endpoint = endpoint_key(settings.endpoint or str(self.http.base_url))
        """Key of this LRS's capabilities in the outbox (no credentials)."""
        self.capability: LrsCapability | None = None
        self._fallback_ids: set[str] = set()

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
        self._fallback_ids = set()
        with self.outbox.sender_lock():
            self.capability = self.outbox.capability(self.endpoint)
            batches = 0
            while max_batches is None or batches < max_batches:
                batch = self.outbox.next_batch(self.settings.batch_size)
                if not batch:
                    break
                batches += 1
                wire = [self._wire_form(s) for s in batch]
                plain = [s for s in wire if not s.attachments]
                if plain:
                    self._send_batch(plain, progress)
                for statement in (s for s in wire if s.attachments):
                    # Asked again: a refusal learned earlier in this batch applies at once.
                    self._send_batch([self._wire_form(statement)], progress)
        self.report.remaining = self.outbox.counts()["pending"]
        return self.report

    # --- internals -----------------------------------------------------------------------

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff delay for the n-th retry (n ≥ 1)."""
        ceiling = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)

    def retry_delay(self, attempt: int, retry_after: str | None) -> float:
        """The wait before the n-th retry: the LRS's ``Retry-After`` if it gave a valid one
        (bounded by ``backoff_max``), else the jittered backoff."""
        asked = parse_retry_after(retry_after, self._clock())
        if asked is None:
            return self.backoff(attempt)
        return min(self.settings.backoff_max, asked)

    def _wire_form(self, statement: PendingStatement) -> PendingStatement:
        """What to send for a stored statement: the fallback form if the LRS refuses multipart."""
        if statement.attachments and self.capability is not None and not self.capability.multipart:
            converted = to_jws_extension(statement)
            if converted is not None:
                self._fallback_ids.add(statement.id)
                return converted
        return statement

    def _remember(self, *, multipart: bool, evidence: str) -> None:
        if self.capability is not None and self.capability.multipart == multipart:
            return
        self.capability = self.outbox.remember_capability(
            self.endpoint, multipart=multipart, evidence=evidence
        )
        verdict = "accepted" if multipart else "refused"
        logger.info("LRS %s: multipart %s (%s)", self.endpoint, verdict, evidence)

    def _request(self, batch: Sequence[PendingStatement]) -> httpx.Response:
        body = ("[" + ",".join(s.body for s in batch) + "]").encode("utf-8")
        attachments = [a for s in batch for a in s.attachments]
        if attachments:
            body, content_type = multipart_body(body, attachments)
        else:
            content_type = "application/json"
        self.report.requests += 1
        return self.http.post(
            "statements", content=body, headers={**VERSION_HEADER, "Content-Type": content_type}
        )

    def _send_batch(self, batch: Sequence[PendingStatement], progress: Progress | None) -> None:
        ids = [s.id for s in batch]
        multipart = any(s.attachments for s in batch)
        attempt = 0
        while True:
            retry_after: str | None = None
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
                    self.report.fallbacks += len(self._fallback_ids.intersection(ids))
                    if multipart:
                        self._remember(multipart=True, evidence=f"HTTP {status}")
                    if progress:
                        progress(len(ids))
                    return
                if multipart and len(batch) == 1 and refuses_multipart(status, _reason(response)):
                    self._fall_back(batch[0], f"HTTP {status} : {_reason(response)}", progress)
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
                if status in RETRY_AFTER_STATUSES:
                    retry_after = response.headers.get("Retry-After")
            attempt += 1
            self.report.retries += 1
            self.outbox.record_failure(ids, reason)
            if attempt > self.settings.max_retries:
                raise LrsUnavailable(
                    f"Le LRS est injoignable ou en erreur ({reason}) après {attempt} essais ;"
                    " les énoncés restent en attente."
                )
            delay = self.retry_delay(attempt, retry_after)
            logger.info(
                "LRS transient failure (%s), %d statement(s), retry %d in %.2f s%s",
                reason,
                len(ids),
                attempt,
                delay,
                f" (Retry-After: {retry_after})" if retry_after is not None else "",
            )
            self._sleep(delay)

    def _fall_back(self, statement: PendingStatement, refusal: str, progress: Progress | None) -> None:
        """The LRS refused to read a multipart request: resend in the fallback form."""
        converted = to_jws_extension(statement)
        if converted is None:
            self.outbox.quarantine(
                statement.id,
                f"{refusal} (le LRS refuse le multipart et cet énoncé n'a pas de forme de repli"
                " jws-extension : ses pièces jointes ne sont pas qu'une signature)",
            )
            self.report.quarantined += 1
            if progress:
                progress(1)
            return
        logger.info("LRS refused multipart (%s): resending %s as jws-extension", refusal, statement.id)
        self._fallback_ids.add(statement.id)
        sent = self.report.sent
        self._send_batch([converted], progress)
        if self.report.sent > sent:
            self._remember(multipart=False, evidence=refusal)

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


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait per a ``Retry-After`` value (RFC 9110 §10.2.3), or None if invalid.

    Delta-seconds (``120``) or an HTTP-date (``Wed, 21 Oct 2026 07:28:00 GMT``), read
    against ``now`` (a POSIX time); a date in the past means no wait.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(min(int(value), 10**9))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


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

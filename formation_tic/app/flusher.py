"""Send the outbox to the LRS in a background thread of the server, never in a page's path.

A stopped or failing LRS only delays the statements: they stay pending in the outbox and
the next round sends them (exactly once: the LRS keeps one copy per statement id).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from lrs_export.errors import CredentialsRejected, LrsError, SenderBusy
from lrs_export.outbox import Outbox
from lrs_export.sender import Sender
from lrs_export.settings import LrsSettings

logger = logging.getLogger(__name__)


class BackgroundFlusher:
    """Every ``interval`` seconds, send what is pending (one short try per round)."""

    def __init__(self, outbox_path: Path, settings: LrsSettings, interval: float = 5.0) -> None:
        # Short rounds: retries happen at the next round, not inside one.
        self.settings = settings.model_copy(
            update={"max_retries": 1, "backoff_base": 0.2, "backoff_max": 1.0}
        )
        self.outbox_path = outbox_path
        self.interval = interval
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="formation-tic-flusher", daemon=True)
        self.rounds = 0

    def start(self) -> BackgroundFlusher:
        self._thread.start()
        return self

    def wake(self) -> None:
        """Flush now rather than at the next tick."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after a last round."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        outbox = Outbox(self.outbox_path)
        sender = Sender(outbox, self.settings)
        try:
            while True:
                self.flush_once(outbox, sender)
                if self._stop.is_set():
                    return
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            sender.close()
            outbox.close()

    def flush_once(self, outbox: Outbox, sender: Sender) -> None:
        """One round; errors are logged (without personal data) and never raised."""
        self.rounds += 1
        try:
            if outbox.counts()["pending"] == 0:
                return
            report = sender.flush()
            if report.sent or report.quarantined or report.conflicts:
                logger.info(
                    "LRS: %d sent, %d quarantined, %d conflicts, %d pending",
                    report.sent,
                    report.quarantined,
                    report.conflicts,
                    report.remaining,
                )
        except SenderBusy:
            logger.debug("another sender is flushing this outbox")
        except CredentialsRejected as exc:
            logger.error("LRS refused the credentials: %s", exc)
        except LrsError as exc:
            logger.info("LRS unavailable, statements stay pending: %s", exc)
        except Exception:
            logger.exception("unexpected error while flushing the outbox")

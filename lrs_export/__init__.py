"""xAPI statements for formation-tic, a durable SQLite outbox, and a sender to the LRS.

Library first: build statements (:mod:`lrs_export.statements`), enqueue them
(:class:`Outbox`), flush them (:class:`Sender`). The CLI (:mod:`lrs_export.cli`) is thin.
"""

from typing import TYPE_CHECKING, Any

from lrs_export.errors import (
    CredentialsRejected,
    LocalLrsError,
    LrsError,
    LrsProtocolError,
    LrsUnavailable,
    NotConfigured,
    OutboxError,
    SenderBusy,
)
from lrs_export.outbox import Attachment, Outbox
from lrs_export.settings import LrsSettings
from lrs_export.statements import Attempt, answer_callback, answered_from_event

if TYPE_CHECKING:
    from lrs_export.sender import FlushReport, Sender


def __getattr__(name: str) -> Any:
    """Import the sender (and httpx) only when asked: learner kernels only enqueue."""
    if name in {"FlushReport", "Sender"}:
        from lrs_export import sender

        return getattr(sender, name)
    raise AttributeError(f"module 'lrs_export' has no attribute {name!r}")

__all__ = [
    "Attachment",
    "Attempt",
    "CredentialsRejected",
    "FlushReport",
    "LocalLrsError",
    "LrsError",
    "LrsProtocolError",
    "LrsSettings",
    "LrsUnavailable",
    "NotConfigured",
    "Outbox",
    "OutboxError",
    "Sender",
    "SenderBusy",
    "answer_callback",
    "answered_from_event",
]

"""xAPI statements for formation-tic, a durable SQLite outbox, and a sender to the LRS.

Library first: build statements (:mod:`lrs_export.statements`), enqueue them
(:class:`Outbox`), flush them (:class:`Sender`). The CLI (:mod:`lrs_export.cli`) is thin.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from lrs_export.sender import FlushReport, Sender
    from lrs_export.settings import LrsSettings
    from lrs_export.statements import Attempt, answer_callback, answered_from_event

_HOMES: dict[str, str] = {
    **dict.fromkeys(
        (
            "CredentialsRejected",
            "LocalLrsError",
            "LrsError",
            "LrsProtocolError",
            "LrsUnavailable",
            "NotConfigured",
            "OutboxError",
            "SenderBusy",
        ),
        "errors",
    ),
    **dict.fromkeys(("Attachment", "Outbox"), "outbox"),
    **dict.fromkeys(("FlushReport", "Sender"), "sender"),
    "LrsSettings": "settings",
    **dict.fromkeys(("Attempt", "answer_callback", "answered_from_event"), "statements"),
}
"""Where each public name lives. Nothing is imported with the package: a learner kernel that
imports ``lrs_export.settings`` does not load the statement builders (tincan), the outbox
(sqlite-utils) or the sender (httpx) with it; each comes on first use."""


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'lrs_export' has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


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

"""Exceptions raised by lrs_export (messages are shown to users: French)."""


class LrsError(Exception):
    """Base class for every error raised by lrs_export."""


class NotConfigured(LrsError):
    """No LRS endpoint is configured: statements wait in the outbox."""


class CredentialsRejected(LrsError):
    """The LRS answered 401 or 403: the configured credentials are wrong."""


class LrsUnavailable(LrsError):
    """The LRS could not be reached or kept failing (5xx, timeouts, resets)."""


class LrsProtocolError(LrsError):
    """The LRS answered something this client cannot use (unexpected status or body)."""


class OutboxError(LrsError):
    """The outbox refused an operation (e.g. same id, different content)."""


class SenderBusy(LrsError):
    """Another sender process already holds the outbox's sender lock."""


class LocalLrsError(LrsError):
    """The local Ralph LRS could not be started or stopped."""

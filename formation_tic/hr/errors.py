"""Exceptions raised by formation_tic.hr (messages are shown to people: French)."""

from __future__ import annotations

from attest.errors import AttestError


class HrError(AttestError):
    """Base class of the HR register errors (roster, register, exports)."""


class RosterError(HrError):
    """A roster file cannot be read at all (unknown format, missing required columns)."""

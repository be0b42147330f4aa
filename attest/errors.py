"""Exceptions raised by attest (their messages are shown to people: French)."""

from __future__ import annotations


class AttestError(Exception):
    """Base class for every error raised by attest."""


class FormError(AttestError):
    """A form content file is missing, unreadable or invalid."""


class SubmissionError(AttestError):
    """A submitted engagement form was refused; ``errors`` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        lines = [msg for msgs in errors.values() for msg in msgs]
        super().__init__("Formulaire refusé :\n- " + "\n- ".join(lines))


class SigningKeyError(AttestError):
    """The signing key or public key/certificate is missing, unreadable or unsafe."""


class StoreError(AttestError):
    """The attestation store refused an operation."""


class AlreadySigned(StoreError):
    """This quiz registration already has its attestation; ``record`` is that attestation."""

    def __init__(self, record: object) -> None:
        super().__init__("Cet engagement est déjà signé : une seule attestation par questionnaire réussi.")
        self.record = record


class NotFound(AttestError):
    """No attestation matches the given code or identifier."""

"""Send the register's records to the LRS through ``lrs_export``'s outbox.

An attestation becomes an ``accept`` statement, a revocation a ``voided`` statement (xAPI
1.0.3, Data 2.3.2) whose object is a ``StatementRef`` to the revoked attestation's
statement. In both, the statement id is the record id, and ``context.extensions`` carry
the record's place in the register (the outside witness of the register's tail, compared
by ``formation-tic attest verify --against-lrs``):

* :data:`lrs_export.vocabulary.EXT_REGISTER_SEQ`: the record's position ``seq``;
* :data:`lrs_export.vocabulary.EXT_REGISTER_WITNESS`: :func:`register_witness`, the SHA-256
  of the record's compact JWS as stored in the register. Not ``record_hash``: that digest
  covers the signed fields, names included, and everything else it covers is visible to
  the LRS, so it would let the LRS test guessed names; the JWS's signature cannot be
  computed without the establishment's private key.

Nothing personal leaves: the only identifier of a person is the employee number in an
``accept``'s actor (a ``voided``'s actor is the installation's account). The name, job
title, direction, typed signature, reason of a revocation, the record's payload, its JWS
and its ``record_hash`` are never sent.

The establishment signs the STATEMENT itself (xAPI Data 2.6: JWS RS256 over the statement
without its signature), in one of two forms (``LrsSettings.statement_mode``):

* ``signed-multipart`` (default): the JWS is an attachment (usageType
  ``http://adlnet.gov/expapi/attachments/signature``), sent as ``multipart/mixed``;
* ``jws-extension``: for LRSs refusing attachments (Ralph 5.1 answers 400 to any
  multipart request): the same statement without the attachment entry and with the same
  JWS string in ``result.extensions[EXT_JWS]``. This is exactly what the sender's
  fallback (``lrs_export.capabilities.to_jws_extension``) makes of the signed-multipart
  form: a record gives the same LRS statement whichever way it travels.

An ``accept``'s object is the form version, ``context.registration`` the registration of
the quiz that allowed signing, and ``result.extensions`` its verification code
(:data:`EXT_VERIFICATION_CODE`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from lrs_export import vocabulary as V

from .errors import AttestError
from .keys import key_id
from .record import AttestationRecord

EXT_VERIFICATION_CODE = V.EXT_VERIFICATION_CODE
"""``result.extensions`` key holding the receipt's verification code (``accept``)."""

STATEMENT_MODES = ("signed-multipart", "jws-extension")


def register_witness(jws: str) -> str:
    """What the LRS keeps of a record: SHA-256 (hex) of its compact JWS (column ``jws``)."""
    return hashlib.sha256(jws.encode("ascii")).hexdigest()


def register_extensions(record: AttestationRecord) -> dict[str, Any]:
    """The record's place in the register, for ``context.extensions``."""
    return {V.EXT_REGISTER_SEQ: record.seq, V.EXT_REGISTER_WITNESS: register_witness(record.jws)}


_ONLY_KIND: dict[str, str] = {
    "attestation": "Seule une attestation (pas une révocation) devient un énoncé « accept ».",
    "revocation": "Seule une révocation devient un énoncé « voided ».",
}
"""The refusal of a record of another kind, by the kind a statement builder expects."""


def _require_kind(record: AttestationRecord, kind: str) -> None:
    """Raise the French refusal of :data:`_ONLY_KIND` unless ``record`` is of ``kind``."""
    if record.kind != kind:
        raise AttestError(_ONLY_KIND[kind])


def _signed_at(record: AttestationRecord) -> dt.datetime:
    return dt.datetime.strptime(record.signed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def attestation_statement(
    record: AttestationRecord, homepage: str, *, platform: str = "formation-tic"
) -> dict[str, Any]:
    """The ``accept`` statement of an attestation, unsigned."""
    from lrs_export.statements import Attempt, accepted

    if record.kind != "attestation" or record.quiz_registration is None:
        raise AttestError(_ONLY_KIND["attestation"])
    attempt = Attempt(
        employee_number=record.employee_number,
        homepage=homepage,
        registration=uuid.UUID(record.quiz_registration),
        directive_version=record.directive_version,
        platform=platform,
    )
    return accepted(
        record.form_version,
        record.directive_version,
        attempt=attempt,
        result_extensions={EXT_VERIFICATION_CODE: record.verification_code},
        context_extensions=register_extensions(record),
        timestamp=_signed_at(record),
        statement_id=record.id,
    )


def revocation_statement(
    record: AttestationRecord, homepage: str, *, platform: str = "formation-tic"
) -> dict[str, Any]:
    """The ``voided`` statement of a revocation, unsigned: it voids the revoked attestation's
    ``accept`` (whose id is the attestation's id)."""
    from lrs_export.statements import voided

    if record.kind != "revocation" or record.revokes is None:
        raise AttestError(_ONLY_KIND["revocation"])
    return voided(
        record.revokes,
        homepage=homepage,
        account_name=platform,
        directive_version=record.directive_version,
        context_extensions=register_extensions(record),
        timestamp=_signed_at(record),
        statement_id=record.id,
    )


def record_statement(
    record: AttestationRecord, homepage: str, *, platform: str = "formation-tic"
) -> dict[str, Any]:
    """The unsigned statement of a record of either kind."""
    if record.kind == "revocation":
        return revocation_statement(record, homepage, platform=platform)
    return attestation_statement(record, homepage, platform=platform)


def signed_record_statement(
    record: AttestationRecord,
    lrs_settings: Any,
    private_key: rsa.RSAPrivateKey,
    certificate_pem: bytes | None = None,
) -> tuple[dict[str, Any], list[Any]]:
    """The statement of ``record`` signed per ``lrs_settings.statement_mode``, with the
    attachments it travels with (the JWS in ``signed-multipart``, none in ``jws-extension``)."""
    from lrs_export.signature import jws_extension_form, sign_statement

    mode = lrs_settings.statement_mode
    if mode not in STATEMENT_MODES:
        raise AttestError(f"Mode d'envoi des déclarations inconnu : {mode!r}.")
    statement = record_statement(record, lrs_settings.homepage, platform=lrs_settings.platform)
    signed, attachment = sign_statement(
        statement, private_key, certificate_pem, kid=key_id(private_key.public_key())
    )
    if mode == "signed-multipart":
        return signed, [attachment]
    return jws_extension_form(signed, attachment), []


def enqueue_record(
    record: AttestationRecord,
    outbox: Any,
    lrs_settings: Any,
    private_key: rsa.RSAPrivateKey,
    certificate_pem: bytes | None = None,
) -> str:
    """Add the statement of ``record`` (attestation or revocation) to ``outbox``.

    ``outbox`` is an ``lrs_export.outbox.Outbox``, ``lrs_settings`` an
    ``lrs_export.settings.LrsSettings``. Returns the statement id (= the record id).
    Enqueuing the same record again is harmless (same statement, byte for byte).
    """
    statement, attachments = signed_record_statement(record, lrs_settings, private_key, certificate_pem)
    return str(outbox.add(statement, attachments))


def enqueue_attestation(
    record: AttestationRecord,
    outbox: Any,
    lrs_settings: Any,
    private_key: rsa.RSAPrivateKey,
    certificate_pem: bytes | None = None,
) -> str:
    """Add an attestation's ``accept`` statement to ``outbox`` (see :func:`enqueue_record`)."""
    _require_kind(record, "attestation")
    return enqueue_record(record, outbox, lrs_settings, private_key, certificate_pem)


def enqueue_revocation(
    record: AttestationRecord,
    outbox: Any,
    lrs_settings: Any,
    private_key: rsa.RSAPrivateKey,
    certificate_pem: bytes | None = None,
) -> str:
    """Add a revocation's ``voided`` statement to ``outbox`` (see :func:`enqueue_record`)."""
    _require_kind(record, "revocation")
    return enqueue_record(record, outbox, lrs_settings, private_key, certificate_pem)

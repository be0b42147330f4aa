"""Send an attestation to the LRS through ``lrs_export``'s outbox, as an ``accept`` statement.

Two modes (``LrsSettings.statement_mode``):

* ``signed-multipart`` (default): xAPI 1.0.3 signed statement (Data 2.6): the statement
  is signed by the establishment's key and travels with its JWS attachment
  (usageType ``http://adlnet.gov/expapi/attachments/signature``) as ``multipart/mixed``.
* ``jws-extension``: for LRSs refusing attachments (Ralph 5.1 answers 400 to any
  multipart request): a plain statement whose ``result.extensions`` carry the
  attestation's own JWS (``lrs_export.vocabulary.EXT_JWS``) and its verification code
  (:data:`EXT_VERIFICATION_CODE`).

In both modes the statement id is the attestation id, the object is the form version and
``context.registration`` is the registration of the quiz that allowed signing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from lrs_export import vocabulary as V

from .errors import AttestError
from .record import AttestationRecord

EXT_VERIFICATION_CODE = V.EXT_VERIFICATION_CODE
"""``result.extensions`` key holding the receipt's verification code (both modes)."""


def attestation_statement(
    record: AttestationRecord, homepage: str, *, with_jws: bool = False
) -> dict[str, Any]:
    """The ``accept`` statement of an attestation (the JWS in an extension if ``with_jws``)."""
    from lrs_export.statements import Attempt, accepted

    if record.kind != "attestation" or record.quiz_registration is None:
        raise AttestError("Seule une attestation (pas une révocation) est transmise au LRS.")
    extensions: dict[str, Any] = {EXT_VERIFICATION_CODE: record.verification_code}
    if with_jws:
        extensions[V.EXT_JWS] = record.jws
    attempt = Attempt(
        employee_number=record.employee_number,
        homepage=homepage,
        registration=uuid.UUID(record.quiz_registration),
        directive_version=record.directive_version,
    )
    signed_at = dt.datetime.strptime(record.signed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    return accepted(
        record.form_version,
        record.directive_version,
        attempt=attempt,
        result_extensions=extensions,
        timestamp=signed_at,
        statement_id=record.id,
    )


def enqueue_attestation(
    record: AttestationRecord,
    outbox: Any,
    lrs_settings: Any,
    private_key: rsa.RSAPrivateKey,
    certificate_pem: bytes | None = None,
) -> str:
    """Add the attestation's statement to ``outbox`` per ``lrs_settings.statement_mode``.

    ``outbox`` is an ``lrs_export.outbox.Outbox``, ``lrs_settings`` an
    ``lrs_export.settings.LrsSettings``. Returns the statement id (= the attestation id).
    """
    from lrs_export.signature import sign_statement

    mode = lrs_settings.statement_mode
    if mode == "signed-multipart":
        statement = attestation_statement(record, lrs_settings.homepage)
        signed, attachment = sign_statement(statement, private_key, certificate_pem)
        return str(outbox.add(signed, [attachment]))
    if mode == "jws-extension":
        statement = attestation_statement(record, lrs_settings.homepage, with_jws=True)
        return str(outbox.add(statement))
    raise AttestError(f"Mode d'envoi des déclarations inconnu : {mode!r}.")

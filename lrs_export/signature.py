"""Signed statements (xAPI 1.0.3, Data 2.6 "Signed Statements").

The JWS (RS256, compact serialization) has as payload the JSON serialization of the
complete statement before the signature attachment was added; it travels as an
attachment with usageType ``http://adlnet.gov/expapi/attachments/signature`` and
contentType ``application/octet-stream``. With a certificate, its chain is put in the
JWS header's ``x5c``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import Encoding

from lrs_export.outbox import Attachment
from lrs_export.vocabulary import SIGNATURE_USAGE_TYPE

SIGNATURE_CONTENT_TYPE = "application/octet-stream"
ALGORITHMS = ["RS256", "RS384", "RS512"]
# Properties an LRS may add or change: ignored when comparing payload and statement.
LRS_MANAGED = ("authority", "stored", "version")


def _x5c(certificate_pem: bytes) -> list[str]:
    chain = x509.load_pem_x509_certificates(certificate_pem)
    return [base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii") for cert in chain]


def _without_signature(statement: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(statement)
    attachments = [a for a in data.get("attachments") or [] if a.get("usageType") != SIGNATURE_USAGE_TYPE]
    if attachments:
        data["attachments"] = attachments
    else:
        data.pop("attachments", None)
    for key in LRS_MANAGED:
        data.pop(key, None)
    return data


def sign_statement(
    statement: dict[str, Any],
    private_key: RSAPrivateKey,
    certificate_pem: bytes | None = None,
) -> tuple[dict[str, Any], Attachment]:
    """Sign a statement; return it with its signature ``attachments`` entry, and the JWS.

    The statement gets an ``id`` first if it has none (the id is part of what is signed).
    """
    payload_statement = _without_signature(statement)
    payload_statement.setdefault("id", str(uuid.uuid4()))
    payload = json.dumps(payload_statement, ensure_ascii=False, separators=(",", ":")).encode()
    headers: dict[str, Any] = {"x5c": _x5c(certificate_pem)} if certificate_pem else {}
    token = jwt.api_jws.PyJWS().encode(payload, private_key, algorithm="RS256", headers=headers)
    attachment = Attachment(
        usage_type=SIGNATURE_USAGE_TYPE,
        content_type=SIGNATURE_CONTENT_TYPE,
        content=token.encode("ascii"),
        display={"fr-CA": "Signature de l'engagement"},
    )
    signed = copy.deepcopy(payload_statement)
    signed["attachments"] = [*signed.get("attachments", []), attachment.metadata()]
    return signed, attachment


def verify_signed_statement(statement: dict[str, Any], jws_bytes: bytes, public_key: RSAPublicKey) -> bool:
    """True if ``jws_bytes`` is a valid signature of ``statement`` by ``public_key``.

    Checks the signature, that the statement's signature attachment entry has the JWS's
    sha2, and that the payload equals the statement (ignoring LRS-managed properties).
    """
    entries = [a for a in statement.get("attachments") or [] if a.get("usageType") == SIGNATURE_USAGE_TYPE]
    if len(entries) != 1 or entries[0].get("sha2") != hashlib.sha256(jws_bytes).hexdigest():
        return False
    try:
        payload = jwt.api_jws.PyJWS().decode(jws_bytes, public_key, algorithms=ALGORITHMS)
        signed = json.loads(payload)
    except (jwt.PyJWTError, ValueError):
        return False
    return bool(_without_signature(signed) == _without_signature(statement))

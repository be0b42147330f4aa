"""Signed statements (xAPI 1.0.3, Data 2.6 "Signed Statements").

The JWS (RS256, compact serialization) has as payload the JSON serialization of the
complete statement before the signature was added (its ``version`` included); it travels
as an attachment with usageType ``http://adlnet.gov/expapi/attachments/signature`` and
contentType ``application/octet-stream`` (signed-multipart form), or as the value of
``result.extensions[vocabulary.EXT_JWS]`` (jws-extension form, :func:`jws_extension_form`).
With a certificate, its chain is put in the JWS header's ``x5c``; with a key id, ``kid``.

What is signed is the statement itself, never anything else: whatever is in the payload is
in the statement already, so the signature reveals nothing the LRS does not see.
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
from lrs_export.vocabulary import EXT_JWS, SIGNATURE_USAGE_TYPE

SIGNATURE_CONTENT_TYPE = "application/octet-stream"
ALGORITHMS = ["RS256", "RS384", "RS512"]
# Properties an LRS sets: never in what is signed.
LRS_SET = ("authority", "stored")
# Properties an LRS may add or change: ignored when comparing payload and statement.
LRS_MANAGED = (*LRS_SET, "version")


def _x5c(certificate_pem: bytes) -> list[str]:
    chain = x509.load_pem_x509_certificates(certificate_pem)
    return [base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii") for cert in chain]


def _without_signature(statement: dict[str, Any], drop: tuple[str, ...] = LRS_SET) -> dict[str, Any]:
    """The statement without its signature (attachment entry or EXT_JWS) and ``drop``."""
    data = copy.deepcopy(statement)
    attachments = [a for a in data.get("attachments") or [] if a.get("usageType") != SIGNATURE_USAGE_TYPE]
    if attachments:
        data["attachments"] = attachments
    else:
        data.pop("attachments", None)
    result = data.get("result")
    if isinstance(result, dict):
        extensions = result.get("extensions")
        if isinstance(extensions, dict) and extensions.pop(EXT_JWS, None) is not None and not extensions:
            del result["extensions"]
            if not result:
                del data["result"]  # a result that only carried the JWS (a voiding statement's)
    for key in drop:
        data.pop(key, None)
    return data


def sign_statement(
    statement: dict[str, Any],
    private_key: RSAPrivateKey,
    certificate_pem: bytes | None = None,
    *,
    kid: str | None = None,
) -> tuple[dict[str, Any], Attachment]:
    """Sign a statement; return it with its signature ``attachments`` entry, and the JWS.

    The statement gets an ``id`` first if it has none (the id is part of what is signed).
    """
    payload_statement = _without_signature(statement)
    payload_statement.setdefault("id", str(uuid.uuid4()))
    payload = json.dumps(payload_statement, ensure_ascii=False, separators=(",", ":")).encode()
    headers: dict[str, Any] = {"x5c": _x5c(certificate_pem)} if certificate_pem else {}
    if kid:
        headers["kid"] = kid
    token = jwt.api_jws.PyJWS().encode(payload, private_key, algorithm="RS256", headers=headers)
    attachment = Attachment(
        usage_type=SIGNATURE_USAGE_TYPE,
        content_type=SIGNATURE_CONTENT_TYPE,
        content=token.encode("ascii"),
        display={"fr-CA": "Signature de l'établissement"},
    )
    signed = copy.deepcopy(payload_statement)
    signed["attachments"] = [*signed.get("attachments", []), attachment.metadata()]
    return signed, attachment


def jws_extension_form(signed: dict[str, Any], attachment: Attachment) -> dict[str, Any]:
    """The jws-extension form of a statement signed by :func:`sign_statement`.

    The signature's ``attachments`` entry is removed and the same JWS string is put in
    ``result.extensions[EXT_JWS]`` (last key): the JSON is the one the sender's multipart
    fallback (``lrs_export.capabilities.to_jws_extension``) builds from ``signed``.
    """
    data = copy.deepcopy(signed)
    entries = [
        e
        for e in data.get("attachments") or []
        if not (e.get("usageType") == SIGNATURE_USAGE_TYPE and e.get("sha2") == attachment.sha2)
    ]
    if entries:
        data["attachments"] = entries
    else:
        data.pop("attachments", None)
    data.setdefault("result", {}).setdefault("extensions", {})[EXT_JWS] = attachment.content.decode("ascii")
    return data


def signed_payload(jws: str | bytes, public_key: RSAPublicKey) -> dict[str, Any] | None:
    """The statement signed by ``jws`` if it verifies with ``public_key``, else None."""
    try:
        payload = json.loads(jwt.api_jws.PyJWS().decode(jws, public_key, algorithms=ALGORITHMS))
    except (jwt.PyJWTError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def verify_signed_statement(statement: dict[str, Any], jws_bytes: bytes, public_key: RSAPublicKey) -> bool:
    """True if ``jws_bytes`` is a valid signature of ``statement`` by ``public_key``.

    Checks the signature, that the statement's signature attachment entry has the JWS's
    sha2, and that the payload equals the statement (ignoring LRS-managed properties).
    """
    entries = [a for a in statement.get("attachments") or [] if a.get("usageType") == SIGNATURE_USAGE_TYPE]
    if len(entries) != 1 or entries[0].get("sha2") != hashlib.sha256(jws_bytes).hexdigest():
        return False
    signed = signed_payload(jws_bytes, public_key)
    if signed is None:
        return False
    return bool(_without_signature(signed, LRS_MANAGED) == _without_signature(statement, LRS_MANAGED))


def verify_jws_extension(statement: dict[str, Any], public_key: RSAPublicKey) -> bool:
    """True if a statement in the jws-extension form carries a valid signature of itself."""
    jws = ((statement.get("result") or {}).get("extensions") or {}).get(EXT_JWS)
    if not isinstance(jws, str):
        return False
    signed = signed_payload(jws, public_key)
    if signed is None:
        return False
    return bool(_without_signature(signed, LRS_MANAGED) == _without_signature(statement, LRS_MANAGED))

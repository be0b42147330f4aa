"""JWS (RS256, compact serialization) over the canonical JSON of an attestation."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .canonical import canonical_json
from .errors import AttestError
from .keys import key_id

_JWS = jwt.PyJWS()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment.encode("ascii") + b"=" * (-len(segment) % 4))
    except (ValueError, TypeError, UnicodeEncodeError):
        return b"\x00invalid"


class SignatureInvalid(AttestError):
    """A JWS does not verify against any of the given public keys."""


def sign_payload(payload: bytes, private_key: rsa.RSAPrivateKey, kid: str | None = None) -> str:
    """Compact JWS (RS256) of ``payload``; ``kid`` defaults to the key's :func:`key_id`."""
    headers = {"kid": kid or key_id(private_key.public_key()), "typ": None}
    return _JWS.encode(payload, private_key, algorithm="RS256", headers=headers)


def sign_attestation(
    fields: Mapping[str, Any], private_key: rsa.RSAPrivateKey, kid: str | None = None
) -> tuple[bytes, str]:
    """Canonical JSON of ``fields`` and its compact JWS (RS256)."""
    payload = canonical_json(dict(fields))
    return payload, sign_payload(payload, private_key, kid)


def verify_jws(token: str, public_keys: Mapping[str, rsa.RSAPublicKey]) -> bytes:
    """Verify a compact RS256 JWS against the key named by its ``kid``; return the payload.

    Implemented directly on ``cryptography`` (RSASSA-PKCS1-v1_5 + SHA-256, RFC 7515/7518),
    refusing any other ``alg`` and any non-canonical base64url segment.
    Raises :class:`SignatureInvalid` (French message) on any problem.
    """
    segments = token.split(".")
    if len(segments) != 3:
        raise SignatureInvalid("JWS mal formé (trois segments attendus)")
    raw = [_unb64url(seg) for seg in segments]
    if any(_b64url(r) != seg for r, seg in zip(raw, segments, strict=True)):
        raise SignatureInvalid("JWS mal formé (segments non canoniques)")
    try:
        header = json.loads(raw[0])
    except ValueError as exc:
        raise SignatureInvalid("en-tête JWS illisible") from exc
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        alg = header.get("alg") if isinstance(header, dict) else None
        raise SignatureInvalid(f"algorithme de signature refusé : {alg!r}")
    if header.get("crit"):
        raise SignatureInvalid("en-tête JWS « crit » non pris en charge")
    kid = header.get("kid")
    public_key = public_keys.get(kid) if isinstance(kid, str) else None
    if public_key is None:
        raise SignatureInvalid("signé par une clé inconnue (kid absent ou différent)")
    signing_input = f"{segments[0]}.{segments[1]}".encode("ascii")
    try:
        public_key.verify(raw[2], signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureInvalid("signature invalide") from exc
    return raw[1]


def payload_fields(payload: bytes) -> dict[str, Any]:
    """The attestation fields of a verified payload."""
    value = json.loads(payload)
    if not isinstance(value, dict):
        raise SignatureInvalid("contenu signé inattendu (objet JSON attendu)")
    return value

"""JWS (RS256, compact serialization) over the canonical JSON of an attestation."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from .canonical import canonical_json
from .errors import AttestError
from .keys import key_id

_JWS = jwt.PyJWS()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(segment: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (ValueError, TypeError):
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

    Raises :class:`SignatureInvalid` (French message) on any problem.
    """
    segments = token.split(".")
    if len(segments) != 3 or any(_b64url(_unb64url(seg)) != seg for seg in segments):
        raise SignatureInvalid("JWS mal formé (segments non canoniques)")
    try:
        header = _JWS.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise SignatureInvalid(f"JWS illisible ({exc})") from exc
    if header.get("alg") != "RS256":
        raise SignatureInvalid(f"algorithme de signature refusé : {header.get('alg')!r}")
    kid = header.get("kid")
    candidates = [public_keys[kid]] if isinstance(kid, str) and kid in public_keys else []
    if not candidates:
        raise SignatureInvalid("signé par une clé inconnue (kid absent ou différent)")
    try:
        decoded = _JWS.decode_complete(token, candidates[0], algorithms=["RS256"])
    except jwt.PyJWTError as exc:
        raise SignatureInvalid(f"signature invalide ({exc})") from exc
    payload = decoded["payload"]
    assert isinstance(payload, bytes)
    return payload


def payload_fields(payload: bytes) -> dict[str, Any]:
    """The attestation fields of a verified payload."""
    value = json.loads(payload)
    if not isinstance(value, dict):
        raise SignatureInvalid("contenu signé inattendu (objet JSON attendu)")
    return value

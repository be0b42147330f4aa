"""JWS (RS256, compact serialization) over the canonical JSON of an attestation.

Written directly on ``cryptography`` (RSASSA-PKCS1-v1_5 + SHA-256, RFC 7515/7518), which is
imported on first use: a learner kernel imports this module long before it signs, if it does.
:class:`JwsVerifier` checks many tokens signed the same way (a whole register) and parses each
distinct protected header once.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .canonical import canonical_json
from .errors import AttestError
from .keys import key_id

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

_URL_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# base64url -> standard base64; "+", "/" and "=" become "*", which strict decoding refuses.
_TO_STD = bytes.maketrans(b"-_+/=", b"+/***")
_TO_URL = bytes.maketrans(b"+/", b"-_")
_PADDING = (b"", None, b"==", b"=")
# Unused low bits of the last character, by segment length modulo 4 (canonical: all zero).
_UNUSED_BITS = (0, 0, 0b1111, 0b11)
_VALUES = {chr(c): i for i, c in enumerate(_URL_ALPHABET)}


def _b64url(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def _unb64url(segment: str) -> bytes | None:
    """The bytes of a canonical base64url segment (no padding, no stray bits), else None."""
    if not segment.isascii():
        return None
    rest = len(segment) % 4
    padding = _PADDING[rest]
    if padding is None:
        return None
    try:
        data = binascii.a2b_base64(segment.encode("ascii").translate(_TO_STD) + padding, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    # Several encodings decode to the same bytes (unused trailing bits): accept only the one.
    if rest and _VALUES[segment[-1]] & _UNUSED_BITS[rest]:
        return None
    return data


class SignatureInvalid(AttestError):
    """A JWS does not verify against any of the given public keys."""


def sign_payload(payload: bytes, private_key: rsa.RSAPrivateKey, kid: str | None = None) -> str:
    """Compact JWS (RS256) of ``payload``; ``kid`` defaults to the key's :func:`key_id`.

    The protected header is ``{"alg":"RS256","kid":…}`` (sorted keys, no spaces).
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    kid = kid or key_id(private_key.public_key())
    header = json.dumps({"alg": "RS256", "kid": kid}, separators=(",", ":"), sort_keys=True).encode()
    signing_input = f"{_b64url(header)}.{_b64url(payload)}"
    signature = private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


def sign_attestation(
    fields: Mapping[str, Any], private_key: rsa.RSAPrivateKey, kid: str | None = None
) -> tuple[bytes, str]:
    """Canonical JSON of ``fields`` and its compact JWS (RS256)."""
    payload = canonical_json(dict(fields))
    return payload, sign_payload(payload, private_key, kid)


class JwsVerifier:
    """Verifies compact RS256 JWS against the keys named by their ``kid`` (see :func:`verify_jws`).

    Each distinct protected header is decoded and checked once (a register's tokens share one
    or a few), then each token costs its two base64url segments and one RSA verification.
    """

    def __init__(self, public_keys: Mapping[str, rsa.RSAPublicKey]) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        self._keys = dict(public_keys)
        self._headers: dict[str, rsa.RSAPublicKey | str] = {}
        self._padding = padding.PKCS1v15()
        self._hash = hashes.SHA256()
        self._invalid = InvalidSignature

    def _key_for(self, header_segment: str) -> rsa.RSAPublicKey | str:
        """The key the header names, or the French reason the header is refused."""
        raw = _unb64url(header_segment)
        if raw is None:
            return "JWS mal formé (segments non canoniques)"
        try:
            header = json.loads(raw)
        except ValueError:
            return "en-tête JWS illisible"
        if not isinstance(header, dict) or header.get("alg") != "RS256":
            alg = header.get("alg") if isinstance(header, dict) else None
            return f"algorithme de signature refusé : {alg!r}"
        if header.get("crit"):
            return "en-tête JWS « crit » non pris en charge"
        kid = header.get("kid")
        public_key = self._keys.get(kid) if isinstance(kid, str) else None
        if public_key is None:
            return "signé par une clé inconnue (kid absent ou différent)"
        return public_key

    def _cached_key_for(self, header_segment: str) -> rsa.RSAPublicKey | str:
        key = self._headers.get(header_segment)
        if key is None:
            key = self._key_for(header_segment)
            if len(self._headers) < 64:
                self._headers[header_segment] = key
        return key

    def decode(self, token: str) -> tuple[rsa.RSAPublicKey, bytes, bytes, bytes]:
        """Everything but the RSA check: the key its header names, the signing input, the
        signature and the payload; :class:`SignatureInvalid` (French) when the token is refused."""
        segments = token.split(".")
        if len(segments) != 3:
            raise SignatureInvalid("JWS mal formé (trois segments attendus)")
        head, body, sig = segments
        key = self._cached_key_for(head)
        payload = _unb64url(body)
        signature = _unb64url(sig)
        if payload is None or signature is None:
            raise SignatureInvalid("JWS mal formé (segments non canoniques)")
        if isinstance(key, str):
            raise SignatureInvalid(key)
        return key, token[: len(head) + len(body) + 1].encode("ascii"), signature, payload

    def check(self, key: rsa.RSAPublicKey, signing_input: bytes, signature: bytes) -> bool:
        """The RSA check of a decoded token (``cryptography`` releases the GIL meanwhile)."""
        try:
            key.verify(signature, signing_input, self._padding, self._hash)
        except self._invalid:
            return False
        return True

    def prepare(self, token: str, payload: bytes) -> tuple[rsa.RSAPublicKey, bytes, bytes] | None:
        """For :meth:`check`: the key, signing input and signature of ``token`` if it is a
        well-formed JWS of exactly ``payload`` under a known key, else None. The payload
        segment is not decoded but compared to the encoding of ``payload`` (canonical
        base64url is unique). The hot loop of a register's verification: written flat."""
        segments = token.split(".")
        if len(segments) != 3:
            return None
        head, body, sig = segments
        key = self._headers.get(head) or self._cached_key_for(head)
        if isinstance(key, str) or body != _b64url(payload):
            return None
        signature = _unb64url(sig)
        if signature is None:
            return None
        return key, token[: len(head) + len(body) + 1].encode("ascii"), signature

    def verifies(self, token: str, payload: bytes) -> bool:
        """True when ``token`` is a valid JWS of exactly ``payload`` (what :meth:`verify` would
        return)."""
        prepared = self.prepare(token, payload)
        return prepared is not None and self.check(*prepared)

    def verify(self, token: str) -> bytes:
        """The verified payload of ``token``; :class:`SignatureInvalid` (French) otherwise."""
        key, signing_input, signature, payload = self.decode(token)
        if not self.check(key, signing_input, signature):
            raise SignatureInvalid("signature invalide")
        return payload


def verify_jws(token: str, public_keys: Mapping[str, rsa.RSAPublicKey]) -> bytes:
    """Verify a compact RS256 JWS against the key named by its ``kid``; return the payload.

    Implemented directly on ``cryptography`` (RSASSA-PKCS1-v1_5 + SHA-256, RFC 7515/7518),
    refusing any other ``alg`` and any non-canonical base64url segment.
    Raises :class:`SignatureInvalid` (French message) on any problem.
    """
    return JwsVerifier(public_keys).verify(token)


def payload_fields(payload: bytes) -> dict[str, Any]:
    """The attestation fields of a verified payload."""
    value = json.loads(payload)
    if not isinstance(value, dict):
        raise SignatureInvalid("contenu signé inattendu (objet JSON attendu)")
    return value

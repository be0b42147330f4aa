"""The establishment's signing key (RSA, RS256) and what verifiers receive.

The ``cryptography`` library is imported inside the functions that use it: a learner kernel
imports this module (for :func:`key_id`) long before it signs anything, if it ever does.

``init_keys`` writes the private key with mode 0600 (created exclusively, never
overwritten unless asked), a self-signed X.509 certificate (the ``x5c`` of signed xAPI
statements) and the bare public key. Verifiers need only the certificate or the public key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import SigningKeyError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass(frozen=True)
class KeyFiles:
    """Paths written by :func:`init_keys` and the key identifier (``kid``)."""

    private_key: Path
    certificate: Path
    public_key: Path
    kid: str


def key_id(public_key: rsa.RSAPublicKey) -> str:
    """Key identifier: first 16 bytes (hex) of the SHA-256 of the DER SubjectPublicKeyInfo."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:32]


X509_NAME_MAX = 64
"""Upper bound of an X.509 common or organization name (RFC 5280, ub-common-name), in UTF-8 bytes
as the cryptography library counts it."""


def _fit(text: str, limit: int = X509_NAME_MAX) -> str:
    """``text`` shortened to ``limit`` UTF-8 bytes (an ellipsis marks the cut)."""
    text = " ".join(text.split())
    if len(text.encode()) <= limit:
        return text
    while len((text + "…").encode()) > limit:
        text = text[:-1]
    return text.rstrip() + "…"


def _write_exclusive(path: Path, data: bytes, mode: int, force: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    if force and path.exists():
        path.unlink()
    try:
        fd = os.open(path, flags, mode)
    except FileExistsError as exc:
        raise SigningKeyError(
            f"Le fichier {path} existe déjà : refus de l'écraser (option --force pour remplacer)."
        ) from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)


def init_keys(
    private_key_path: Path,
    certificate_path: Path,
    public_key_path: Path,
    *,
    establishment: str,
    key_size: int = 3072,
    days: int = 3650,
    passphrase: bytes | None = None,
    force: bool = False,
) -> KeyFiles:
    """Create the signing key (0600), its self-signed certificate and public key (0644)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    if not force:
        for p in (private_key_path, certificate_path, public_key_path):
            if p.exists():
                raise SigningKeyError(
                    f"Le fichier {p} existe déjà : refus de l'écraser "
                    "(option --force pour remplacer ; les anciennes attestations resteront "
                    "vérifiables avec l'ancienne clé publique, conservez-la)."
                )
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(f"Attestations – {establishment}")),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(establishment)),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CA"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    _write_exclusive(private_key_path, pem, 0o600, force)
    _write_exclusive(certificate_path, cert.public_bytes(serialization.Encoding.PEM), 0o644, force)
    pub_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _write_exclusive(public_key_path, pub_pem, 0o644, force)
    return KeyFiles(private_key_path, certificate_path, public_key_path, key_id(key.public_key()))


def load_private_key(path: Path, passphrase: bytes | None = None) -> rsa.RSAPrivateKey:
    """Read the RSA private key; refuse a file readable by group or others."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        st = path.stat()
    except FileNotFoundError as exc:
        raise SigningKeyError(
            f"Clé de signature introuvable : {path} (créez-la avec « formation-tic keys init »)."
        ) from exc
    if os.name == "posix" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SigningKeyError(
            f"La clé de signature {path} est lisible par d'autres comptes "
            f"(mode {stat.S_IMODE(st.st_mode):04o}) : corrigez avec « chmod 600 »."
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=passphrase)
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"Clé de signature illisible ({path}) : {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyError(f"La clé {path} n'est pas une clé RSA.")
    return key


def load_public_key(path: Path) -> rsa.RSAPublicKey:
    """Read a public key from a PEM certificate or a PEM SubjectPublicKeyInfo file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"Clé publique illisible : {path} ({exc.strerror}).") from exc
    try:
        key: object
        if b"BEGIN CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise SigningKeyError(f"Clé publique ou certificat illisible ({path}) : {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise SigningKeyError(f"La clé publique {path} n'est pas une clé RSA.")
    return key


def public_keys_by_id(keys: Iterable[rsa.RSAPublicKey]) -> dict[str, rsa.RSAPublicKey]:
    """Index public keys by :func:`key_id` (several keys: after a key rotation)."""
    return {key_id(k): k for k in keys}

"""The tool's own RSA key: it signs the access-token requests (AGS); platforms read its JWKS.

``formation-tic lti keys init`` (or ``serve`` when it is missing) writes it under the data
directory with mode 0600, created exclusively; it is never committed (``var/`` is ignored).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from attest.errors import SigningKeyError
from attest.keys import load_private_key


@dataclass(frozen=True)
class ToolKey:
    """The tool's key pair, as PyLTI1p3 wants it (PEM text), and its key id."""

    private_pem: str
    public_pem: str

    @property
    def kid(self) -> str:
        """Key id: the JWK thumbprint (RFC 7638), as PyLTI1p3 puts it in its token requests."""
        return str(self.jwk()["kid"])

    def jwk(self) -> dict[str, Any]:
        """The public key as a JWK (RS256, signature use, ``kid``)."""
        from jwcrypto.jwk import JWK

        jwk: dict[str, Any] = json.loads(JWK.from_pem(self.public_pem.encode()).export_public())
        jwk.update({"alg": "RS256", "use": "sig"})
        return jwk

    def jwks(self) -> dict[str, list[dict[str, Any]]]:
        """The tool's JWKS document (served at ``/lti/jwks``)."""
        return {"keys": [self.jwk()]}


def create_tool_key(path: Path, *, key_size: int = 2048, force: bool = False) -> ToolKey:
    """Write a new RSA private key at ``path`` (mode 0600); refuse to replace one unless ``force``."""
    if path.exists() and not force:
        raise SigningKeyError(
            f"La clé de l'outil LTI existe déjà : {path}. Utilisez --force pour la remplacer "
            "(les plateformes reliront la nouvelle clé publique à l'adresse JWKS)."
        )
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    if force:
        path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    return load_tool_key(path)


def load_tool_key(path: Path) -> ToolKey:
    """Read the tool's key (refused if others can read it: French :class:`SigningKeyError`)."""
    if not path.exists():
        raise SigningKeyError(
            f"Clé de l'outil LTI absente : {path}. Créez-la avec « formation-tic lti keys init »."
        )
    key = load_private_key(path)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return ToolKey(private_pem, public_pem)


def ensure_tool_key(path: Path) -> tuple[ToolKey, bool]:
    """The tool's key, created if missing; True when it was just created."""
    if path.exists():
        return load_tool_key(path), False
    return create_tool_key(path), True

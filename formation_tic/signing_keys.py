"""The establishment's signing key, where the settings root says it is."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import rsa

from attest.directive import load_directive
from attest.keys import KeyFiles, init_keys, load_private_key

from .settings import Settings


def create_signing_keys(settings: Settings, *, force: bool = False) -> KeyFiles:
    """Create the private key (0600), its certificate and public key (attest's errors, French)."""
    paths = settings.paths
    return init_keys(
        paths.private_key,
        paths.certificate,
        paths.public_key,
        establishment=load_directive(settings.profile).etablissement,
        key_size=settings.attest.key_size,
        days=settings.attest.certificate_days,
        passphrase=settings.attest.passphrase_bytes(),
        force=force,
    )


def signing_key(settings: Settings) -> rsa.RSAPrivateKey:
    """The private key (refused if others can read it, or if the passphrase is wrong)."""
    return load_private_key(settings.paths.private_key, settings.attest.passphrase_bytes())

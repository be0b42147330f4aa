"""What a journey needs, built once per kernel by :mod:`formation_tic.app.kernel`."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attest.directive import DirectiveInfo
from attest.form import FormContent
from attest.store import AttestationStore
from lrs_export.outbox import Outbox
from lrs_export.settings import LrsSettings
from scenarios.model import Scenario

from .progress import ProgressStore
from .settings import LearnerAppSettings

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa


class DeferredPrivateKey:
    """The signing key, read from its file the first time it is used.

    Most pages never sign (the learner leaves, fails, or comes back later): the signing
    library stays out of their kernel. ``serve`` has already read the key once at startup, so
    a key others can read or a wrong passphrase stops the server, not a learner's signature.
    Attribute access (``sign``, ``public_key``…) goes to the loaded key; code that needs the
    real object (a library checking its type) calls :meth:`load`.
    """

    def __init__(self, path: Path, passphrase: bytes | None = None) -> None:
        self.path = path
        self._passphrase = passphrase
        self._key: rsa.RSAPrivateKey | None = None

    def load(self) -> rsa.RSAPrivateKey:
        """The key (read and checked on the first call)."""
        if self._key is None:
            from attest.keys import load_private_key

            self._key = load_private_key(self.path, self._passphrase)
            self._passphrase = None
        return self._key

    def __getattr__(self, name: str) -> Any:
        return getattr(self.load(), name)


def real_key(key: rsa.RSAPrivateKey | DeferredPrivateKey) -> rsa.RSAPrivateKey:
    """The loaded key behind ``key`` (itself when it is already one)."""
    return key.load() if isinstance(key, DeferredPrivateKey) else key


@dataclass
class JourneyContext:
    """Everything a journey needs, built once per kernel by the entry point."""

    settings: LearnerAppSettings
    scenarios: Mapping[str, Scenario]
    form: FormContent
    forms: list[FormContent]
    directive: DirectiveInfo
    progress: ProgressStore
    outbox: Outbox
    store: AttestationStore
    private_key: rsa.RSAPrivateKey
    """A :class:`DeferredPrivateKey` in the learner kernel (loaded when the learner signs)."""
    lrs: LrsSettings
    certificate_pem: bytes | None = None
    chapters: list[tuple[str, str]] = field(default_factory=list)
    book_url: str = "/livre/"
    rng: random.Random = field(default_factory=random.SystemRandom)

"""What a journey needs, built once per kernel by :mod:`formation_tic.app.kernel`."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from attest.directive import DirectiveInfo
from attest.form import FormContent
from attest.store import AttestationStore
from lrs_export.outbox import Outbox
from lrs_export.settings import LrsSettings
from scenarios.model import Scenario

from .progress import ProgressStore
from .settings import LearnerAppSettings


@dataclass
class JourneyContext:
    """Everything a journey needs, built once per kernel by the entry point."""

    settings: LearnerAppSettings
    scenarios: dict[str, Scenario]
    form: FormContent
    forms: list[FormContent]
    directive: DirectiveInfo
    progress: ProgressStore
    outbox: Outbox
    store: AttestationStore
    private_key: rsa.RSAPrivateKey
    lrs: LrsSettings
    certificate_pem: bytes | None = None
    chapters: list[tuple[str, str]] = field(default_factory=list)
    book_url: str = "/livre/"
    rng: random.Random = field(default_factory=random.SystemRandom)

"""Kernel-side entry point of the app notebook: the one place that reads the environment.

``formation-tic serve`` exports absolute paths and settings (``FORMATION_TIC_*``) before
starting Voilà; Voilà adds the request's trusted header (``HTTP_…``) to each kernel's
environment. Everything below :func:`main` receives values as arguments.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Mapping

from attest.form import available_forms, load_form
from attest.keys import load_private_key
from attest.settings import AttestSettings
from attest.store import AttestationStore
from formation_tic.settings import AppSettings
from lrs_export.outbox import Outbox
from lrs_export.settings import LrsSettings
from scenarios.bank import load_bank
from scenarios.profile import load_profile

from .identity import IdentificationError, identify
from .journey import Journey, JourneyContext, book_chapters
from .paths import book_html_dir, outbox_path, progress_path
from .progress import ProgressStore
from .settings import LearnerAppSettings

BOOK_URL = "/livre/"


def build_context(
    app: LearnerAppSettings, base: AppSettings, attest: AttestSettings, lrs: LrsSettings
) -> JourneyContext:
    """Load the bank, the form, the key and open the stores."""
    from attest.directive import load_directive

    profile = load_profile(base.profile)
    scenarios = {s.id: s for s in load_bank([base.bank], profile)}
    directive = load_directive(base.profile)
    secret = attest.private_key_passphrase
    key = load_private_key(attest.private_key_path, secret.get_secret_value().encode() if secret else None)
    cert = attest.certificate_path.read_bytes() if attest.certificate_path.exists() else None
    return JourneyContext(
        settings=app,
        scenarios=scenarios,
        form=load_form(attest.form_version),
        forms=available_forms(),
        directive=directive,
        progress=ProgressStore(progress_path(base.data_dir)),
        outbox=Outbox(outbox_path(base.data_dir)),
        store=AttestationStore(attest.db_path, busy_timeout=attest.busy_timeout),
        private_key=key,
        lrs=lrs,
        certificate_pem=cert,
        chapters=book_chapters(book_html_dir(base.book)),
        book_url=BOOK_URL,
        rng=random.Random(app.seed) if app.seed is not None else random.SystemRandom(),
    )


def make_journey(environ: Mapping[str, str]) -> Journey:
    """Build settings from ``environ`` and the journey for this page."""
    app = LearnerAppSettings()
    ctx = build_context(app, AppSettings(), AttestSettings(), LrsSettings())
    try:
        identity = identify(app, environ)
    except IdentificationError as exc:
        return Journey(ctx, error=str(exc))
    return Journey(ctx, identity=identity)


def main() -> Journey:
    """Called by the app notebook's only cell: show the journey."""
    from IPython.display import display

    logging.basicConfig(level=logging.WARNING)
    journey = make_journey(dict(os.environ))
    display(journey.widget)
    return journey

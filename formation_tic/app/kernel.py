"""Kernel-side entry point of the app notebook: the process edge.

``formation-tic serve`` writes the resolved settings root to a file and names it in one
environment variable; Voilà adds the request's trusted header (``HTTP_…``) to each kernel's
environment. Everything below :func:`main` receives values as arguments.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Mapping

from attest.directive import load_directive
from attest.form import available_forms, load_form
from attest.keys import load_private_key
from attest.store import AttestationStore
from formation_tic.settings import Settings, kernel_settings
from lrs_export.outbox import Outbox
from scenarios.bank import load_bank
from scenarios.profile import load_profile

from .identity import IdentificationError, identify
from .journey import Journey, JourneyContext, book_chapters
from .progress import ProgressStore

BOOK_URL = "/livre/"


def build_context(settings: Settings) -> JourneyContext:
    """Load the bank, the form, the key and open the stores."""
    app, paths = settings.app, settings.paths
    profile = load_profile(settings.profile)
    scenarios = {s.id: s for s in load_bank([settings.bank], profile)}
    key = load_private_key(paths.private_key, settings.attest.passphrase_bytes())
    cert = paths.certificate.read_bytes() if paths.certificate.exists() else None
    return JourneyContext(
        settings=app,
        scenarios=scenarios,
        form=load_form(settings.attest.form_version),
        forms=available_forms(),
        directive=load_directive(settings.profile),
        progress=ProgressStore(paths.progress),
        outbox=Outbox(paths.outbox),
        store=AttestationStore(paths.attestations, busy_timeout=settings.attest.busy_timeout),
        private_key=key,
        lrs=settings.lrs,
        certificate_pem=cert,
        chapters=book_chapters(paths.book_html),
        book_url=BOOK_URL,
        rng=random.Random(app.seed) if app.seed is not None else random.SystemRandom(),
    )


def make_journey(environ: Mapping[str, str]) -> Journey:
    """Build the settings from the kernel's configuration file and the journey for this page."""
    settings = kernel_settings(dict(environ))
    ctx = build_context(settings)
    try:
        identity = identify(settings.app, environ)
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

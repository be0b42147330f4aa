"""Kernel-side entry point of the app notebook: the process edge.

``formation-tic serve`` writes the resolved settings root to a file and names it in one
environment variable; Voilà adds the request's trusted header (``HTTP_…``) to each kernel's
environment. Everything below :func:`main` receives values as arguments.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import sys
from collections.abc import Mapping

from attest.directive import load_directive
from attest.form import available_forms, load_form
from attest.store import AttestationStore
from formation_tic.settings import Settings, kernel_settings
from formation_tic.signing_keys import signing_key
from lrs_export.outbox import Outbox
from scenarios.bank import load_graded_bank
from scenarios.profile import load_profile

from .identity import IdentificationError, identify
from .journey import Journey, JourneyContext, book_chapters
from .progress import ProgressStore

logger = logging.getLogger(__name__)

BOOK_URL = "/livre/"


def build_context(settings: Settings) -> JourneyContext:
    """Load the bank, the form, the key and open the stores."""
    app, paths = settings.app, settings.paths
    profile = load_profile(settings.profile)
    scenarios = {s.id: s for s in load_graded_bank([settings.bank], profile)}  # never the practice set
    key = signing_key(settings)
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


def main() -> Journey | None:
    """Called by the app notebook's only cell: show the journey.

    Whatever fails, the learner sees a French message with a reference number, never a
    traceback; the details go to the server's log under that reference.
    """
    from IPython.display import HTML, display

    log_to_server()
    try:
        journey = make_journey(dict(os.environ))
    except Exception:
        reference = secrets.token_hex(4).upper()
        logger.exception("page de formation impossible à préparer (référence %s)", reference)
        display(HTML(unavailable_message(reference)))
        return None
    display(journey.widget)
    return journey


def log_to_server() -> None:
    """Send this package's log to the server's log (the kernel process's own stderr).

    In a kernel, ``sys.stderr`` is shown in the page; ``sys.__stderr__`` is the log file of
    ``formation-tic serve``. Nothing logged here reaches a learner's screen.
    """
    package = logging.getLogger("formation_tic")
    if any(getattr(h, "ftic_server_log", False) for h in package.handlers):
        return
    handler: logging.Handler = logging.StreamHandler(sys.__stderr__)
    handler.ftic_server_log = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s : %(message)s"))
    package.addHandler(handler)
    package.setLevel(logging.INFO)
    package.propagate = False


def unavailable_message(reference: str) -> str:
    """What a learner reads when the app cannot start for them (French, no technical detail)."""
    return (
        "<div class='ftic-main' role='alert'><h1>La formation est momentanément indisponible</h1>"
        "<p>Un problème technique empêche d'afficher la formation. Réessayez dans quelques minutes ; "
        "si le problème persiste, communiquez avec le soutien informatique en donnant la référence "
        f"<strong>{reference}</strong>.</p></div>"
    )

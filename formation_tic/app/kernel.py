"""Kernel-side entry point of the app notebook: the process edge.

``formation-tic serve`` writes the resolved settings root to a file and names it in one
environment variable; Voilà adds the request's trusted header (``HTTP_…``) to each kernel's
environment. Everything below :func:`main` receives values as arguments.

Every learner page is a kernel process: it imports only what the page needs
(:mod:`.kernel_config` rather than the whole settings root; the signing key and the signing
library when the learner signs; never the LRS sender, the book build, HR code or the LTI
tool). ``tests/app/test_kernel_imports.py`` guards that diet.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

from attest.form import select_form
from attest.store import AttestationStore
from lrs_export.outbox import Outbox

from .context import DeferredPrivateKey
from .identity import IdentificationError, identify
from .journey import Journey, JourneyContext, book_chapters
from .kernel_config import KernelSettings, load_kernel_settings
from .progress import ProgressStore
from .shared_bank import shared_content

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

logger = logging.getLogger(__name__)

BOOK_URL = "/livre/"


def build_context(settings: KernelSettings) -> JourneyContext:
    """Load the bank and the form, open the stores; the key is read when the learner signs."""
    app, paths = settings.app, settings.paths
    content = shared_content(settings.bank, settings.profile, paths.bank_cache)  # never the practice set
    key = DeferredPrivateKey(paths.private_key, settings.attest.passphrase_bytes())
    cert = paths.certificate.read_bytes() if paths.certificate.exists() else None
    return JourneyContext(
        settings=app,
        scenarios=content.scenarios,
        form=select_form(content.forms, settings.attest.form_version),
        forms=content.forms,
        directive=content.directive,
        progress=ProgressStore(paths.progress),
        outbox=Outbox(paths.outbox),
        store=AttestationStore(paths.attestations, busy_timeout=settings.attest.busy_timeout),
        private_key=cast("rsa.RSAPrivateKey", key),  # signs like one (see DeferredPrivateKey)
        lrs=settings.lrs,
        certificate_pem=cert,
        chapters=book_chapters(paths.book_html),
        book_url=BOOK_URL,
        rng=random.Random(app.seed) if app.seed is not None else random.SystemRandom(),
    )


def make_journey(environ: Mapping[str, str]) -> Journey:
    """Build the settings from the kernel's configuration file and the journey for this page."""
    settings = load_kernel_settings(environ)
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
    release_free_memory()
    return journey


def release_free_memory() -> None:
    """Give back to the system the memory freed while the page was built.

    Reading and checking the shared content leaves freed blocks in the C heap; glibc keeps
    them for later unless asked. Each learner kernel lives as long as its page, so returning
    them lowers the server's memory per learner (see ``benchmarks/bench_app.py``). Elsewhere
    than glibc, nothing happens.
    """
    import contextlib
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


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

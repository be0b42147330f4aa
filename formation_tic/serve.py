"""``formation-tic serve``: the learner web app (Voilà), the book, the demo LRS, the flusher.

Everything listens on the loopback interface. In order: signing keys are created if missing
(private key mode 0600), the local Ralph LRS is started unless an LRS endpoint is configured,
a background thread sends the outbox to the LRS (in ``lti`` mode, another one sends the
scores to the ENA's gradebook: :mod:`formation_tic.lti`), then Voilà serves the app at ``/``
and the built book at ``/livre/`` until Ctrl+C; then everything stops, kernels included.
"""

from __future__ import annotations

import functools
import http.server
import logging
import socket
from collections.abc import Callable
from pathlib import Path

from attest.store import AttestationStore
from formation_tic.app.flusher import BackgroundFlusher
from formation_tic.app.progress import ProgressStore
from formation_tic.app.shared_bank import warm_shared_bank
from lrs_export.outbox import Outbox

from .settings import Settings, write_kernel_config
from .signing_keys import create_signing_keys, signing_key
from .voila_server import kernel_environment, patched_environ, run_voila

logger = logging.getLogger(__name__)
Echo = Callable[[str], None]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; access logs carry no personal data but are kept off the console."""

    def log_message(self, format: str, *args: object) -> None:
        return


def serve_directory(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``directory`` over HTTP until interrupted (the book alone, without the app)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    with http.server.ThreadingHTTPServer((host, port), handler) as server:
        server.serve_forever()


def ensure_keys(settings: Settings, echo: Echo) -> None:
    """Create the establishment's signing key (0600) and certificate if missing."""
    if settings.paths.private_key.exists():
        return
    files = create_signing_keys(settings)
    echo(f"Clé de signature créée : {files.private_key} (lisible par votre compte seulement).")


def prepare_stores(settings: Settings) -> None:
    """Create the databases once, before kernels open them concurrently."""
    paths = settings.paths
    ProgressStore(paths.progress).close()
    Outbox(paths.outbox).close()
    AttestationStore(paths.attestations).close()


def _check_port(host: str, port: int) -> None:
    """Fail early, before starting anything, when the port is taken (OSError)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def serve_app(settings: Settings, *, echo: Echo = print) -> None:
    """Run the learner app until Ctrl+C (or SIGTERM); stop the LRS and the flusher after."""
    app = settings.app
    paths = settings.paths
    _check_port(app.host, app.port)
    ensure_keys(settings, echo)
    # A key others can read, or a wrong passphrase, stops serve here (French error), before
    # any learner could reach a kernel that cannot sign.
    signing_key(settings)
    prepare_stores(settings)
    warm_shared_bank(settings.bank, settings.profile, paths.bank_cache)  # checked once for every kernel
    local = None
    lrs = settings.lrs
    if not lrs.configured:
        from lrs_export.local_lrs import LocalLrs, publish_connection

        echo("Démarrage du LRS local de démonstration (Ralph)…")
        local = LocalLrs(paths.demo_lrs).start()
        publish_connection(local, paths.demo_lrs_connection)
        lrs = local.settings(statement_mode="jws-extension", homepage=lrs.homepage)
        echo(f"LRS local prêt : {local.endpoint}")
    kernel_settings = settings.model_copy(update={"lrs": lrs})
    flusher = BackgroundFlusher(paths.outbox, lrs, interval=app.flush_interval).start()
    lti_tool = scores = None
    secret = settings.attest.private_key_passphrase
    env = kernel_environment(
        write_kernel_config(kernel_settings), passphrase=secret.get_secret_value() if secret else None
    )

    def listening(url: str) -> None:
        echo(f"Formation disponible sur {url} (livre : {url}livre/). Ctrl+C pour arrêter.")

    try:
        if app.identification == "lti":  # verified launches from the ENA; scores to its gradebook
            from .lti.server import start_lti

            lti_tool, scores = start_lti(settings, echo)
        with patched_environ(env):
            run_voila(app, book_html=paths.book_html, on_listen=listening, lti=lti_tool)
    finally:
        flusher.stop()
        if scores is not None:
            scores.stop()
        if local is not None:
            paths.demo_lrs_connection.unlink(missing_ok=True)
            local.stop()
        echo("Arrêt.")

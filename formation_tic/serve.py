"""``formation-tic serve``: the learner web app (Voilà), the book, the demo LRS, the flusher.

Everything listens on the loopback interface. In order: signing keys are created if missing
(private key mode 0600), the local Ralph LRS is started unless an LRS endpoint is configured,
a background thread sends the outbox to the LRS, then Voilà serves the app at ``/`` and the
built book at ``/livre/`` until Ctrl+C; then everything stops, kernels included.
"""

from __future__ import annotations

import functools
import http.server
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from attest.directive import load_directive
from attest.keys import init_keys
from attest.settings import AttestSettings
from attest.store import AttestationStore
from formation_tic.app.flusher import BackgroundFlusher
from formation_tic.app.paths import book_html_dir, outbox_path, progress_path
from formation_tic.app.progress import ProgressStore
from formation_tic.app.server import kernel_environment, patched_environ, run_voila
from formation_tic.app.settings import LearnerAppSettings
from lrs_export.outbox import Outbox
from lrs_export.settings import LrsSettings

from .settings import AppSettings

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


@dataclass(frozen=True)
class Paths:
    """Absolute paths of everything the app reads and writes."""

    data_dir: Path
    bank: Path
    book: Path
    profile: Path | None
    private_key: Path
    certificate: Path
    public_key: Path
    attestations: Path


def resolve_paths(base: AppSettings, attest: AttestSettings) -> Paths:
    """Absolute paths; signing files and store default to the data directory."""
    data = base.data_dir.resolve()
    given = attest.model_fields_set

    def attest_path(field: str, default: Path) -> Path:
        value: Path = getattr(attest, field)
        return value.resolve() if field in given else default

    return Paths(
        data_dir=data,
        bank=base.bank.resolve(),
        book=base.book.resolve(),
        profile=base.profile.resolve() if base.profile else None,
        private_key=attest_path("private_key_path", data / "keys" / "signing-key.pem"),
        certificate=attest_path("certificate_path", data / "keys" / "signing-cert.pem"),
        public_key=attest_path("public_key_path", data / "keys" / "signing-key.pub.pem"),
        attestations=attest_path("db_path", data / "attestations.db"),
    )


def ensure_keys(paths: Paths, attest: AttestSettings, echo: Echo) -> None:
    """Create the establishment's signing key (0600) and certificate if missing."""
    if paths.private_key.exists():
        return
    directive = load_directive(paths.profile)
    secret = attest.private_key_passphrase
    init_keys(
        paths.private_key,
        paths.certificate,
        paths.public_key,
        establishment=directive.etablissement,
        key_size=attest.key_size,
        days=attest.certificate_days,
        passphrase=secret.get_secret_value().encode() if secret else None,
    )
    echo(f"Clé de signature créée : {paths.private_key} (lisible par vous seul).")


def prepare_stores(paths: Paths) -> None:
    """Create the databases once, before kernels open them concurrently."""
    ProgressStore(progress_path(paths.data_dir)).close()
    Outbox(outbox_path(paths.data_dir)).close()
    AttestationStore(paths.attestations).close()


def _check_port(host: str, port: int) -> None:
    """Fail early, before starting anything, when the port is taken (OSError)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def serve_app(
    base: AppSettings,
    app: LearnerAppSettings,
    attest: AttestSettings,
    lrs: LrsSettings,
    *,
    echo: Echo = print,
) -> None:
    """Run the learner app until Ctrl+C (or SIGTERM); stop the LRS and the flusher after."""
    _check_port(app.host, app.port)
    paths = resolve_paths(base, attest)
    html_dir = book_html_dir(paths.book)
    ensure_keys(paths, attest, echo)
    prepare_stores(paths)
    local = None
    if not lrs.configured:
        from lrs_export.local_lrs import LocalLrs

        echo("Démarrage du LRS local de démonstration (Ralph)…")
        local = LocalLrs(paths.data_dir / "ralph").start()
        lrs = local.settings(statement_mode="jws-extension", homepage=lrs.homepage)
        echo(f"LRS local prêt : {local.endpoint}")
    flusher = BackgroundFlusher(outbox_path(paths.data_dir), lrs, interval=app.flush_interval).start()
    env = kernel_environment(
        app,
        {
            "FORMATION_TIC_DATA_DIR": paths.data_dir,
            "FORMATION_TIC_BANK": paths.bank,
            "FORMATION_TIC_BOOK": paths.book,
            "FORMATION_TIC_PROFILE": paths.profile,
            "FORMATION_TIC_ATTEST_PRIVATE_KEY_PATH": paths.private_key,
            "FORMATION_TIC_ATTEST_CERTIFICATE_PATH": paths.certificate,
            "FORMATION_TIC_ATTEST_PUBLIC_KEY_PATH": paths.public_key,
            "FORMATION_TIC_ATTEST_DB_PATH": paths.attestations,
            "FORMATION_TIC_LRS_HOMEPAGE": lrs.homepage,
            "FORMATION_TIC_LRS_STATEMENT_MODE": lrs.statement_mode,
            "FORMATION_TIC_LRS_PLATFORM": lrs.platform,
        },
    )

    def listening(url: str) -> None:
        echo(f"Formation disponible sur {url} (livre : {url}livre/). Ctrl+C pour arrêter.")

    try:
        with patched_environ(env):
            run_voila(app, book_html=html_dir, on_listen=listening)
    finally:
        flusher.stop()
        if local is not None:
            local.stop()
        echo("Arrêt.")

"""The learner app server: Voilà serving the app notebook, the built book and a health file.

:func:`serve_app` is what ``formation-tic serve`` runs: signing keys, local LRS (demo),
background flusher, then Voilà on ``127.0.0.1:PORT`` until Ctrl+C, then everything stops.

Voilà settings that matter for safety (tested in ``tests/app``):

* visitors cannot run code: Voilà's kernel websocket only lets widget (comm) messages
  through, never ``execute_request``; sources are stripped from the page;
* visitors cannot read files: ``/voila/files/`` serves nothing (empty allow list, deny all);
  the book is served read-only from its own directory at ``/livre/``;
* no CDN: the ``formation`` template is Voilà's lab template minus its CDN links;
* idle kernels are culled; ``/sante.txt`` is a static file for health checks.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from traitlets import Unicode
from traitlets.config import Config

from .paths import HEALTH_DIR, NOTEBOOK, TEMPLATE_NAME, TEMPLATES_ROOT
from .settings import LearnerAppSettings

logger = logging.getLogger(__name__)

BOOK_PREFIX = "/livre/"
HEALTH_FILE = "sante.txt"


def use_app_templates() -> None:
    """Make the ``formation`` template findable by Voilà (a Jupyter data directory)."""
    root = str(TEMPLATES_ROOT.resolve())
    current = os.environ.get("JUPYTER_PATH", "")
    parts = [p for p in current.split(os.pathsep) if p]
    if root not in parts:
        os.environ["JUPYTER_PATH"] = os.pathsep.join([root, *parts])


def voila_config(
    app: LearnerAppSettings, *, notebook: Path = NOTEBOOK, template: str | None = TEMPLATE_NAME
) -> Config:
    """Voilà and Jupyter server settings of the app (also used by the benchmark's bare notebook)."""
    c = Config()
    c.Voila.ip = app.host
    c.Voila.port = app.port
    c.Voila.port_retries = 0
    c.Voila.open_browser = False
    c.Voila.root_dir = str(notebook.parent.resolve())
    c.VoilaConfiguration.strip_sources = True
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaConfiguration.file_allowlist = []
    c.VoilaConfiguration.file_denylist = [r".*"]
    c.VoilaConfiguration.preheat_kernel = False
    if template:
        c.VoilaConfiguration.template = template
    c.VoilaConfiguration.http_header_envs = [app.trusted_header] if app.identification == "sso-header" else []
    c.HTMLExporter.language_code = "fr"
    c.MappingKernelManager.cull_idle_timeout = app.cull_idle_timeout
    c.MappingKernelManager.cull_interval = app.cull_interval
    c.MappingKernelManager.cull_connected = True
    c.MappingKernelManager.cull_busy = False
    return c


def _voila_class() -> type:
    import tornado.web
    from jupyter_server.utils import url_path_join
    from voila.app import Voila

    class FormationVoila(Voila):
        """Voilà with the book at ``/livre/`` and a static health file, before the catch-all."""

        book_html_dir = Unicode("", config=True, help="Built book served at /livre/ (empty: none).")

        def init_handlers(self) -> list[Any]:
            handlers: list[Any] = super().init_handlers()
            extra: list[Any] = [
                (
                    url_path_join(self.server_url, rf"/({HEALTH_FILE})"),
                    tornado.web.StaticFileHandler,
                    {"path": str(HEALTH_DIR)},
                ),
            ]
            if self.book_html_dir:
                extra += [
                    (
                        url_path_join(self.server_url, r"/livre"),
                        tornado.web.RedirectHandler,
                        {"url": url_path_join(self.server_url, BOOK_PREFIX)},
                    ),
                    (
                        url_path_join(self.server_url, r"/livre/(.*)"),
                        tornado.web.StaticFileHandler,
                        {"path": self.book_html_dir, "default_filename": "index.html"},
                    ),
                ]
            return extra + handlers

    return FormationVoila


def run_voila(
    app: LearnerAppSettings,
    *,
    book_html: Path | None,
    notebook: Path = NOTEBOOK,
    template: str | None = TEMPLATE_NAME,
    on_listen: Callable[[str], None] | None = None,
) -> None:
    """Run Voilà in this process until Ctrl+C or SIGTERM (kernels are shut down on exit)."""
    use_app_templates()
    config = voila_config(app, notebook=notebook, template=template)
    if book_html is not None:
        config.FormationVoila.book_html_dir = str(book_html.resolve())
    cls = _voila_class()
    voila = cls(config=config)
    voila.initialize([str(notebook.resolve())])
    if on_listen is not None:
        on_listen(f"http://{app.host}:{app.port}/")
    voila.start()


def kernel_environment(
    app: LearnerAppSettings, values: dict[str, Path | str | None], environ: dict[str, str] | None = None
) -> dict[str, str]:
    """The variables kernels read (absolute paths), without secrets nor stray ``HTTP_*``."""
    env = dict(os.environ if environ is None else environ)
    for name in list(env):
        if name.startswith("HTTP_") or name in ("QUERY_STRING",):
            del env[name]
        if name.startswith("FORMATION_TIC_LRS_") and name not in (
            "FORMATION_TIC_LRS_HOMEPAGE",
            "FORMATION_TIC_LRS_STATEMENT_MODE",
            "FORMATION_TIC_LRS_PLATFORM",
        ):
            del env[name]
    for field, value in app.model_dump().items():
        key = f"FORMATION_TIC_APP_{field.upper()}"
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    for key, value in values.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


@contextmanager
def patched_environ(env: dict[str, str]) -> Iterator[None]:
    """Replace ``os.environ`` (inherited by Voilà's kernels) for the duration of the block."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)

"""The Voilà runner shared by the learner app (``serve``) and the manager dashboard.

Voilà serves one notebook as an app; kernels get the settings root as one typed file
(:func:`formation_tic.settings.write_kernel_config`), named by one environment variable.

Voilà settings that matter for safety (tested in ``tests/app``):

* visitors cannot run code: Voilà's kernel websocket only lets widget (comm) messages
  through, never ``execute_request``; sources are stripped from the page;
* visitors cannot read files: ``/voila/files/`` serves nothing (empty allow list, deny all);
  the book is served read-only from its own directory at ``/livre/``;
* no CDN: the ``formation`` template is Voilà's lab template minus its CDN links;
* idle kernels are culled; ``/sante.txt`` is a static file for health checks;
* ``lti`` mode: the tool's routes (``/lti/login``, ``/lti/launch``, ``/lti/jwks``) are
  mounted, the page takes its identity from the launch's session only (the kernel gets it
  through a header that only the server sets, :data:`.app.settings.LTI_IDENTITY_HEADER`) and
  the registered platforms may show the app in their iframe (CSP ``frame-ancestors``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from traitlets import Any as AnyTrait
from traitlets import Float, Int, Unicode
from traitlets.config import Config

from .app.paths import HEALTH_DIR, NOTEBOOK, TEMPLATE_NAME, TEMPLATES_ROOT
from .app.settings import LTI_IDENTITY_HEADER, LearnerAppSettings
from .book_csp import book_handler
from .kernel_guard import KernelGuard, guarded_kernel_handler, guarded_page_handler, install
from .settings import ENV_PREFIX, KERNEL_CONFIG_ENV

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
    # Visitors never choose the template or theme (others load jQuery and fonts from a CDN).
    c.VoilaConfiguration.allow_template_override = "NO"
    c.VoilaConfiguration.allow_theme_override = "NO"
    if template:
        c.VoilaConfiguration.template = template
    c.VoilaConfiguration.http_header_envs = (
        [app.trusted_header]
        if app.identification == "sso-header"
        else [LTI_IDENTITY_HEADER]
        if app.identification == "lti"
        else []
    )
    c.HTMLExporter.language_code = "fr"
    c.MappingKernelManager.cull_idle_timeout = app.cull_idle_timeout
    c.MappingKernelManager.cull_interval = app.cull_interval
    c.MappingKernelManager.cull_connected = True
    c.MappingKernelManager.cull_busy = False
    c.FormationVoila.max_kernels = app.max_kernels
    c.FormationVoila.max_kernels_per_client = app.max_kernels_per_client
    c.FormationVoila.abandoned_kernel_timeout = app.abandoned_kernel_timeout
    return c


def _guard_routes(handlers: list[Any], guard: KernelGuard) -> list[Any]:
    """The same routes, the page and every kernel route guarded (capacity, ownership)."""
    from jupyter_server.services.kernels.handlers import KernelHandler
    from voila.handler import VoilaHandler
    from voila.request_info_handler import RequestInfoSocketHandler
    from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
    from voila.tornado.execution_request_handler import ExecutionRequestHandler
    from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

    kernel_routes = (
        KernelHandler,
        VoilaKernelWebsocketHandler,
        VoilaShutdownKernelHandler,
        RequestInfoSocketHandler,
        ExecutionRequestHandler,
    )
    guarded = []
    for route in handlers:
        pattern, cls, *rest = route
        if isinstance(cls, type) and issubclass(cls, VoilaHandler):
            cls = guarded_page_handler(cls, guard)
        elif isinstance(cls, type) and issubclass(cls, kernel_routes):
            cls = guarded_kernel_handler(cls, guard)
        guarded.append((pattern, cls, *rest))
    return guarded


def _voila_class() -> type:
    import tornado.ioloop
    import tornado.web
    from jupyter_server.utils import url_path_join
    from voila.app import Voila

    class FormationVoila(Voila):
        """Voilà with the book at ``/livre/``, a health file and guarded kernels (capacity, owner)."""

        book_html_dir = Unicode("", config=True, help="Built book served at /livre/ (empty: none).")
        max_kernels = Int(40, config=True, help="Kernels running at once on this server.")
        max_kernels_per_client = Int(10, config=True, help="Kernels running at once per client address.")
        abandoned_kernel_timeout = Float(
            60.0, config=True, help="Seconds a kernel may run with no browser connected."
        )
        lti_tool = AnyTrait(None, help="The LTI tool (formation_tic.lti.tool.LtiTool) in lti mode.")

        def init_handlers(self) -> list[Any]:
            tool = self.lti_tool
            guard = KernelGuard(
                self.max_kernels,
                self.max_kernels_per_client,
                self.abandoned_kernel_timeout,
                page_identity=tool.page_identity() if tool is not None else None,
                cookie_writer=tool.write_cookie if tool is not None and tool.policy.cross_site else None,
            )
            cull = install(self.kernel_manager, guard)
            interval_ms = max(1000, int(min(10.0, self.abandoned_kernel_timeout / 3) * 1000))
            tornado.ioloop.PeriodicCallback(cull, interval_ms).start()
            handlers: list[Any] = _guard_routes(super().init_handlers(), guard)
            extra: list[Any] = [
                (
                    url_path_join(self.server_url, rf"/({HEALTH_FILE})"),
                    tornado.web.StaticFileHandler,
                    {"path": str(HEALTH_DIR)},
                ),
            ]
            if tool is not None:
                extra += tool.handlers(self.server_url)
            if self.book_html_dir:
                extra += [
                    (
                        url_path_join(self.server_url, r"/livre"),
                        tornado.web.RedirectHandler,
                        {"url": url_path_join(self.server_url, BOOK_PREFIX)},
                    ),
                    (
                        url_path_join(self.server_url, r"/livre/(.*)"),
                        book_handler(),
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
    lti: Any = None,
) -> None:
    """Run Voilà in this process until Ctrl+C or SIGTERM (kernels are shut down on exit).

    ``lti`` is the :class:`formation_tic.lti.tool.LtiTool` of an ``lti``-mode server.
    """
    use_app_templates()
    config = voila_config(app, notebook=notebook, template=template)
    if book_html is not None:
        config.FormationVoila.book_html_dir = str(book_html.resolve())
    if lti is not None:
        config.Voila.tornado_settings = lti.tornado_settings()
    cls = _voila_class()
    voila = cls(config=config)
    voila.lti_tool = lti
    voila.initialize([str(notebook.resolve())])
    if on_listen is not None:
        on_listen(f"http://{app.host}:{app.port}/")
    voila.start()


KEPT_SECRETS = (ENV_PREFIX + "ATTEST_PRIVATE_KEY_PASSPHRASE",)
"""The only settings kernels still take from the environment: secrets, never written to a file."""


def kernel_environment(
    config_file: Path, environ: dict[str, str] | None = None, *, passphrase: str | None = None
) -> dict[str, str]:
    """What kernels inherit: the settings file's path, the signing secret; no other settings.

    Stray ``HTTP_*`` and ``QUERY_STRING`` variables are removed so that only Voilà's own
    request headers (those it is told to pass) reach a kernel.
    """
    env = dict(os.environ if environ is None else environ)
    for name in list(env):
        if (
            name.startswith("HTTP_")
            or name == "QUERY_STRING"
            or (name.startswith(ENV_PREFIX) and name not in KEPT_SECRETS)
        ):
            del env[name]
    env[KERNEL_CONFIG_ENV] = str(config_file)
    if passphrase is not None:  # given in the config file: kernels still get it, never on disk
        env[KEPT_SECRETS[0]] = passphrase
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

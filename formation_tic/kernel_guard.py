"""What anonymous visitors may do with kernels: start few, reach only their own, leave none behind.

Every Voilà page load starts a kernel (≈ 90 MB). This module, mounted by
:mod:`formation_tic.voila_server`, bounds that:

* **Capacity.** A page that would start a kernel past the server's or the client address's
  limit gets a French « réessayez dans quelques minutes » page (HTTP 503, ``Retry-After``)
  at once; no kernel is started.
* **Ownership.** The page that starts a kernel gives the browser a random, HttpOnly,
  SameSite=Strict cookie; the kernel's routes (``/api/kernels/ID``, its websocket, Voilà's
  shutdown, query and execution routes) answer only to that cookie. A kernel id seen
  elsewhere, or a made-up ``_xsrf`` pair, reaches nothing (403).
* **Identity (``lti`` mode).** Before anything else, the page's identity is bound by
  ``page_identity`` (:class:`formation_tic.lti.handlers.SessionIdentity`): the identity
  header is removed from the request and set from the verified session only; without a
  session the visitor gets a French page (403) and no kernel. Cookies are then written by
  ``cookie_writer`` (``SameSite=None; Secure; Partitioned`` inside the ENA's iframe).
* **Abandoned kernels.** A kernel that no browser is connected to for ``abandoned_timeout``
  seconds (a page fetched by a script, a closed tab) is shut down; progress is in the
  progress store, so a learner who comes back resumes where they were.
"""

from __future__ import annotations

import asyncio
import contextvars
import html
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

VISITOR_COOKIE = "ftic_visiteur"
_REQUEST_OWNER: contextvars.ContextVar[Owner | None] = contextvars.ContextVar("ftic_owner", default=None)

PAGE = (
    '<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:40rem;"
    "margin:3rem auto;padding:0 1rem;line-height:1.5}}</style></head>"
    "<body><main><h1>{title}</h1><p>{message}</p></main></body></html>\n"
)
"""A minimal French page (no script, no external resource); values are escaped by callers."""


def busy_page(reason: str) -> str:
    """The over-capacity page: why, and that trying again later is fine."""
    message = f"{reason} Réessayez dans quelques minutes : votre progression est conservée."
    return PAGE.format(title="La formation est très occupée en ce moment", message=html.escape(message))


ERROR_MESSAGES = {
    403: ("Accès refusé", "Cette adresse n'est pas accessible depuis votre navigateur."),
    404: ("Page introuvable", "Cette page n'existe pas. Revenez à l'accueil de la formation."),
    405: ("Action non permise", "Cette action n'est pas permise."),
}


def french_error_page(status: int, reference: str | None = None) -> str:
    """A French error page for ``status`` (no technical detail; a reference for support)."""
    title, message = ERROR_MESSAGES.get(
        status,
        ("Une erreur est survenue", "La formation n'a pas pu répondre. Réessayez dans un moment."),
    )
    if reference:
        message += (
            f" Si le problème persiste, communiquez avec le soutien en donnant la référence {reference}."
        )
    return PAGE.format(title=html.escape(title), message=html.escape(message))


@dataclass
class Owner:
    """Who started a kernel: the visitor's cookie and client address."""

    token: str
    client: str
    last_seen: float | None = None
    """When the page was last rendering or connected (None: still rendering)."""


@dataclass
class KernelGuard:
    """The kernels' owners and limits (one per server)."""

    max_kernels: int
    max_per_client: int
    abandoned_timeout: float
    owners: dict[str, Owner] = field(default_factory=dict)
    page_identity: Any = None
    """``lti`` mode: ``bind(handler) -> refusal page | None`` (see the module docstring)."""
    cookie_writer: Callable[[Any, str, str], None] | None = None
    """Writes the visitor cookie instead of the default ``SameSite=Strict`` one."""

    def refusal(self, live: int, client: str) -> str | None:
        """Why a new kernel would exceed a limit (French), or None."""
        if live >= self.max_kernels:
            return "Le nombre maximal de personnes en formation en même temps est atteint."
        mine = sum(1 for o in self.owners.values() if o.client == client)
        if mine >= self.max_per_client:
            return "Trop de pages de la formation sont ouvertes depuis votre poste."
        return None

    def allowed(self, kernel_id: str, token: str | None) -> bool:
        """True when ``token`` is the cookie of the page that started ``kernel_id``."""
        owner = self.owners.get(kernel_id)
        return owner is not None and token is not None and secrets.compare_digest(owner.token, token)

    def record(self, kernel_id: str) -> None:
        """Remember the owner of a kernel started while handling the current page request."""
        owner = _REQUEST_OWNER.get()
        if owner is not None:
            self.owners[kernel_id] = owner

    def abandoned(self, live: dict[str, int], now: float | None = None) -> list[str]:
        """Kernels with no connected browser for longer than the timeout; forget dead ones."""
        now = time.monotonic() if now is None else now
        for kernel_id in [k for k in self.owners if k not in live]:
            del self.owners[kernel_id]
        stale = []
        for kernel_id, connections in live.items():
            owner = self.owners.get(kernel_id)
            if owner is None:
                continue
            if connections > 0:
                owner.last_seen = now
                continue
            if owner.last_seen is not None and now - owner.last_seen > self.abandoned_timeout:
                stale.append(kernel_id)
        return stale


def guarded_page_handler(base: type, guard: KernelGuard) -> type:
    """The app page handler: capacity first, then a kernel owned by the visitor's cookie."""
    import tornado.web

    class CapacityLimitedPage(base):
        @tornado.web.authenticated
        async def get(self, path: str | None = None) -> None:
            if guard.page_identity is not None:
                refusal = guard.page_identity.bind(self)
                if refusal is not None:
                    self.set_status(403)
                    self.set_header("Content-Type", "text/html; charset=utf-8")
                    self.finish(refusal)
                    return
            live = len(self.kernel_manager.list_kernel_ids())
            reason = guard.refusal(live, self.request.remote_ip or "")
            if reason is not None:
                logger.warning("capacité atteinte : %s noyaux, page refusée (503)", live)
                self.set_status(503)
                self.set_header("Retry-After", "120")
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.finish(busy_page(reason))
                return
            token = self.get_cookie(VISITOR_COOKIE) or ""
            if len(token) < 32:
                token = secrets.token_urlsafe(32)
                if guard.cookie_writer is not None:
                    guard.cookie_writer(self, VISITOR_COOKIE, token)
                else:
                    self.set_cookie(VISITOR_COOKIE, token, httponly=True, samesite="Strict", path="/")
            owner = Owner(token, self.request.remote_ip or "")
            _REQUEST_OWNER.set(owner)
            try:
                await super().get(path)
            finally:  # the clock of an abandoned page starts once it is rendered
                owner.last_seen = time.monotonic()

    return CapacityLimitedPage


def guarded_kernel_handler(base: type, guard: KernelGuard) -> type:
    """A kernel route that answers only to the cookie of the page that started the kernel."""
    import tornado.web

    class OwnerOnly(base):
        def prepare(self, *args: Any, **kwargs: Any) -> Any:
            kernel_id = self.path_kwargs.get("kernel_id") or (self.path_args[0] if self.path_args else "")
            if not guard.allowed(str(kernel_id), self.get_cookie(VISITOR_COOKIE)):
                raise tornado.web.HTTPError(403)
            return super().prepare(*args, **kwargs)

    OwnerOnly.__name__ = f"OwnerOnly{base.__name__}"
    return OwnerOnly


def install(kernel_manager: Any, guard: KernelGuard) -> Callable[[], None]:
    """Record owners when kernels start and return the periodic culling step."""
    start_kernel = kernel_manager.start_kernel

    async def start_and_record(*args: Any, **kwargs: Any) -> str:
        result = start_kernel(*args, **kwargs)
        kernel_id = await result if hasattr(result, "__await__") else result
        guard.record(str(kernel_id))
        return str(kernel_id)

    kernel_manager.start_kernel = start_and_record
    pending: set[asyncio.Future[Any]] = set()

    def cull() -> None:
        live = {
            k: int(kernel_manager._kernel_connections.get(k, 0)) for k in kernel_manager.list_kernel_ids()
        }
        for kernel_id in guard.abandoned(live):
            logger.info("noyau abandonné arrêté (aucun navigateur connecté)")
            guard.owners.pop(kernel_id, None)
            task = asyncio.ensure_future(kernel_manager.shutdown_kernel(kernel_id))
            pending.add(task)
            task.add_done_callback(pending.discard)

    return cull

"""The LTI tool of one server: its settings, key, platforms, stores and cookie rules.

``formation-tic serve`` builds one :class:`LtiTool` (:func:`build_tool`) in ``lti`` mode and
hands it to Voilà, which mounts :meth:`LtiTool.handlers` and binds each page's identity
through :meth:`LtiTool.page_identity`.
"""

from __future__ import annotations

import os
import secrets
import typing as t
from dataclasses import dataclass, field
from pathlib import Path

from ..app.settings import LTI_IDENTITY_HEADER
from .adapter import CookiePolicy, ExpiringStore, PlatformKeysets, tool_config
from .keys import ToolKey
from .settings import LtiSettings, PlatformRegistration
from .store import LtiStore

if t.TYPE_CHECKING:
    from pylti1p3.tool_config import ToolConfDict

SESSION_COOKIE = "ftic_lti_session"
LOGIN_PATH = "lti/login"
LAUNCH_PATH = "lti/launch"
JWKS_PATH = "lti/jwks"


def ensure_secret(path: Path) -> bytes:
    """The key that signs session cookies (32 random bytes, mode 0600), created if missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_bytes().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_bytes().strip()


@dataclass(frozen=True)
class ToolUrls:
    """What the ENA administrator enters in Moodle (see ``formation-tic lti config``)."""

    base: str

    @property
    def launch(self) -> str:
        """Tool URL and redirection URI (target_link_uri)."""
        return self.base + LAUNCH_PATH

    @property
    def login(self) -> str:
        """Initiate login URL."""
        return self.base + LOGIN_PATH

    @property
    def jwks(self) -> str:
        """Public keyset URL."""
        return self.base + JWKS_PATH


@dataclass
class LtiTool:
    """Everything the LTI routes of one server share."""

    settings: LtiSettings
    platforms: list[PlatformRegistration]
    key: ToolKey
    urls: ToolUrls
    store: LtiStore
    secret: bytes
    policy: CookiePolicy
    keysets: PlatformKeysets
    nonces: ExpiringStore = field(default_factory=ExpiringStore)
    _config: ToolConfDict | None = None

    @property
    def config(self) -> ToolConfDict:
        """PyLTI1p3's view of the registered platforms (built once)."""
        if self._config is None:
            self._config = tool_config(self.platforms, self.key)
        return self._config

    @property
    def session_max_age(self) -> int:
        return int(self.settings.session_hours * 3600)

    def frame_ancestors(self) -> str:
        """The CSP directive letting the registered platforms show the app in their iframe."""
        origins: set[str] = set(self.settings.frame_ancestors)
        for platform in self.platforms:
            origins |= platform.origins()
        return " ".join(["frame-ancestors 'self'", *sorted(origins)])

    def content_security_policy(self, base_url: str = "/") -> str:
        return f"{self.frame_ancestors()}; report-uri {base_url.rstrip('/')}/api/security/csp-report"

    def tornado_settings(self, base_url: str = "/") -> dict[str, t.Any]:
        """Voilà's Tornado settings in ``lti`` mode: pages may be framed by the platforms."""
        return {"headers": {"Content-Security-Policy": self.content_security_policy(base_url)}}

    def handlers(self, server_url: str = "/") -> list[tuple[str, type, dict[str, t.Any]]]:
        """The tool's routes: OIDC login, launch, JWKS."""
        from .handlers import JwksHandler, LaunchHandler, LoginHandler

        prefix = server_url.rstrip("/") + "/"
        options = {"tool": self}
        return [
            (prefix + LOGIN_PATH, LoginHandler, options),
            (prefix + LAUNCH_PATH, LaunchHandler, options),
            (prefix + JWKS_PATH, JwksHandler, options),
        ]

    def page_identity(self) -> t.Any:
        """The app page's identity binding (see :class:`.handlers.SessionIdentity`)."""
        from .handlers import SessionIdentity

        return SessionIdentity(self)

    def write_cookie(self, handler: t.Any, name: str, value: str) -> None:
        """Write a cookie of the app page (the kernel owner's) under the tool's cookie rules."""
        self.policy.set(handler, name, value)


def build_tool(
    settings: LtiSettings, *, key: ToolKey, store_path: Path, secret_path: Path, host: str, port: int
) -> LtiTool:
    """The tool of a server; raises ``ValueError`` (French) when no platform is registered."""
    platforms = settings.registrations()
    if not platforms:
        raise ValueError(
            "mode d'identification « lti » sans plateforme inscrite : ajoutez [[lti.platforms]] à la "
            "configuration ou nommez un fichier avec lti.registrations_file"
        )
    base = settings.base_url(host, port)
    return LtiTool(
        settings=settings,
        platforms=platforms,
        key=key,
        urls=ToolUrls(base),
        store=LtiStore(store_path),
        secret=ensure_secret(secret_path),
        policy=CookiePolicy.for_url(base),
        keysets=PlatformKeysets(
            cache_seconds=settings.jwks_cache_seconds,
            refresh_cooldown=settings.jwks_refresh_cooldown,
            timeout=settings.score_timeout,
        ),
    )


__all__ = ["LTI_IDENTITY_HEADER", "SESSION_COOKIE", "LtiTool", "ToolUrls", "build_tool"]

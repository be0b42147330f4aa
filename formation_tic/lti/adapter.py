"""PyLTI1p3 on the Jupyter server's Tornado: the Tornado equivalents of its Flask adapter.

PyLTI1p3 does the protocol (OIDC login, ``id_token`` validation, services); this module
gives it what its Django and Flask adapters give it: a request, a cookie service, a session
service, a redirect, and a launch-data storage (nonces, bound to the browser's
``lti1p3-session-id`` cookie, each usable once). :class:`ToolMessageLaunch` is stricter than
the library's default launch where the LTI security framework asks for it:

* the signature is checked by PyJWT with the audience (our client id), the issuer, and
  ``exp`` and ``iat`` required; with several audiences, ``azp`` must be our client id;
* the platform's keyset is fetched over HTTP and cached; a token signed with a key id that
  is not in it makes one new fetch (a key rotation), at most once per cooldown;
* a nonce is consumed when checked (a replayed launch is refused);
* only ``LtiResourceLinkRequest`` messages are accepted; nothing of the token is kept.
"""

from __future__ import annotations

import threading
import time
import typing as t
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import jwt
import requests
from pylti1p3.cookie import CookieService
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from pylti1p3.tool_config import ToolConfDict

from .keys import ToolKey
from .settings import PlatformRegistration

CLOCK_LEEWAY = 60
"""Seconds of clock difference tolerated between the platform and the tool (``exp``, ``iat``)."""
NONCE_LIFETIME = 600
"""Seconds between the login and the launch (the platform's login page included)."""
USER_AGENT = "formation-tic-lti"


# --- cookies ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CookiePolicy:
    """How the tool's cookies are written.

    Inside the ENA's iframe the tool is a third-party site: its cookies must be
    ``SameSite=None; Secure`` and, for browsers that block third-party cookies, ``Partitioned``
    (CHIPS: kept per embedding site). Browsers accept ``Secure`` cookies over HTTPS, and over
    plain HTTP on ``localhost`` only; elsewhere (a demonstration on ``http://127.0.0.1``) the
    cookies are ``SameSite=Lax``: the tool then works in a new window of the same site only.
    """

    cross_site: bool

    @classmethod
    def for_url(cls, url: str) -> CookiePolicy:
        parts = urlsplit(url)
        return cls(parts.scheme == "https" or parts.hostname == "localhost")

    def header(self, name: str, value: str, max_age: int | None = None) -> str:
        """The ``Set-Cookie`` header value (always ``HttpOnly``, path ``/``)."""
        parts = [f"{name}={value}", "Path=/", "HttpOnly"]
        if max_age is not None:
            parts.append(f"Max-Age={int(max_age)}")
        parts += ["Secure", "SameSite=None", "Partitioned"] if self.cross_site else ["SameSite=Lax"]
        return "; ".join(parts)

    def set(self, handler: t.Any, name: str, value: str, max_age: int | None = None) -> None:
        """Add the cookie to a Tornado handler's response."""
        handler.add_header("Set-Cookie", self.header(name, value, max_age))

    def clear(self, handler: t.Any, name: str) -> None:
        self.set(handler, name, "", max_age=0)


class TornadoRequest(Request):
    """A snapshot of a Tornado request: parameters (query for GET, form body for POST), cookies."""

    def __init__(self, handler: t.Any, secure: bool) -> None:
        super().__init__()
        http = handler.request
        source = http.body_arguments if http.method == "POST" else http.query_arguments
        self.params = {k: v[-1].decode("utf-8", "replace") for k, v in source.items() if v}
        self.cookies = {name: morsel.value for name, morsel in handler.request.cookies.items()}
        self.secure = secure

    @property
    def session(self) -> t.Any:
        raise LtiException("no framework session: launch data is kept by the tool's storage")

    def is_secure(self) -> bool:
        return self.secure

    def get_param(self, key: str) -> t.Any:
        return self.params.get(key)

    def get_cookie(self, key: str) -> str | None:
        return self.cookies.get(key)


class TornadoCookieService(CookieService):
    """PyLTI1p3's cookies, written later to the handler (validation may run in a thread)."""

    def __init__(self, request: TornadoRequest, policy: CookiePolicy) -> None:
        self.request = request
        self.policy = policy
        self.to_set: list[tuple[str, str, int | None]] = []

    def _key(self, name: str) -> str:
        return f"{self._cookie_prefix}-{name}"

    def get_cookie(self, name: str) -> str | None:
        return self.request.get_cookie(self._key(name))

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self.to_set.append((self._key(name), str(value), exp))

    def clear_cookie(self, name: str) -> None:
        self.to_set.append((self._key(name), "", 0))

    def apply(self, handler: t.Any) -> None:
        for name, value, max_age in self.to_set:
            self.policy.set(handler, name, value, max_age)


# --- launch data storage (nonces) ----------------------------------------------------------------


class ExpiringStore:
    """A thread-safe in-memory map with per-key expiry and a size bound (oldest dropped first).

    It holds only nonces (and nothing else of a launch): a server restart forgets them,
    which refuses the launches under way, never accepts one more.
    """

    def __init__(self, max_items: int = 100_000) -> None:
        self.max_items = max_items
        self._items: OrderedDict[str, tuple[float, t.Any]] = OrderedDict()
        self._lock = threading.Lock()

    def set(self, key: str, value: t.Any, ttl: float) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def get(self, key: str) -> t.Any:
        with self._lock:
            entry = self._items.get(key)
            if entry is None or entry[0] < time.monotonic():
                return None
            return entry[1]

    def pop(self, key: str) -> t.Any:
        """Remove and return a live value (None if absent or expired): a one-time read."""
        with self._lock:
            entry = self._items.pop(key, None)
            if entry is None or entry[0] < time.monotonic():
                return None
            return entry[1]

    def __len__(self) -> int:
        return len(self._items)


class MemoryLaunchDataStorage(LaunchDataStorage[t.Any]):
    """PyLTI1p3's launch-data storage over a shared :class:`ExpiringStore`, keyed per browser."""

    def __init__(self, backend: ExpiringStore) -> None:
        super().__init__()
        self.backend = backend

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> t.Any:
        return self.backend.get(self._prepare_key(key))

    def set_value(self, key: str, value: t.Any, exp: int | None = None) -> None:
        self.backend.set(self._prepare_key(key), value, exp or NONCE_LIFETIME)

    def check_value(self, key: str) -> bool:
        return self.backend.get(self._prepare_key(key)) is not None

    def consume(self, key: str) -> bool:
        """True once for a stored value: it is removed as it is read."""
        return self.backend.pop(self._prepare_key(key)) is not None


class ToolSessionService(SessionService):
    """PyLTI1p3's session service on the tool's storage; a nonce is valid once."""

    _launch_data_lifetime = NONCE_LIFETIME

    def __init__(self, request: TornadoRequest, storage: MemoryLaunchDataStorage) -> None:
        super().__init__(request)
        self.set_data_storage(storage)

    def check_nonce(self, nonce: str) -> bool:
        storage = self.data_storage
        assert isinstance(storage, MemoryLaunchDataStorage)
        return storage.consume(self._get_key("nonce", nonce))


# --- redirects and login ---------------------------------------------------------------------------


class TornadoRedirect(Redirect[str]):
    """A redirect PyLTI1p3 builds; the handler performs it (see :mod:`.handlers`)."""

    def __init__(self, location: str) -> None:
        super().__init__()
        self.location = location

    def do_redirect(self) -> str:
        return self.location

    def do_js_redirect(self) -> str:
        return self.location

    def set_redirect_url(self, location: str) -> None:
        self.location = location

    def get_redirect_url(self) -> str:
        return self.location


class ToolOIDCLogin(OIDCLogin[TornadoRequest, ToolConfDict, ToolSessionService, TornadoCookieService, str]):
    """The third-party initiated login: returns the platform's authentication URL."""

    def get_redirect(self, url: str) -> Redirect[str]:
        return TornadoRedirect(url)


# --- the platforms' keysets --------------------------------------------------------------------------


@dataclass
class PlatformKeysets:
    """The platforms' public keysets (JWKS), fetched over HTTP and cached.

    ``find`` refetches a keyset when the wanted key id is not in it (the platform rotated
    its key), at most once per ``refresh_cooldown`` seconds per URL, so that tokens with
    made-up key ids cannot make the tool hammer the platform.
    """

    cache_seconds: float = 3600.0
    refresh_cooldown: float = 10.0
    timeout: float = 10.0
    fetches: int = 0
    _cache: dict[str, tuple[float, dict[str, t.Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _fetch(self, url: str) -> dict[str, t.Any]:
        try:
            response = requests.get(url, timeout=self.timeout, headers={"User-Agent": USER_AGENT})
            response.raise_for_status()
            keyset = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise LtiException(f"platform keyset unavailable ({type(exc).__name__})") from exc
        if not isinstance(keyset, dict) or not isinstance(keyset.get("keys"), list):
            raise LtiException("platform keyset is not a JWKS")
        self.fetches += 1
        return keyset

    def keyset(self, url: str, *, refresh: bool = False) -> dict[str, t.Any]:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None and not refresh and now - cached[0] < self.cache_seconds:
            return cached[1]
        if cached is not None and refresh and now - cached[0] < self.refresh_cooldown:
            return cached[1]
        keyset = self._fetch(url)
        with self._lock:
            self._cache[url] = (time.monotonic(), keyset)
        return keyset

    @staticmethod
    def _match(keyset: dict[str, t.Any], kid: str, alg: str) -> dict[str, t.Any] | None:
        for key in keyset["keys"]:
            if isinstance(key, dict) and key.get("kid") == kid and key.get("alg", "RS256") == alg:
                return key
        return None

    def find(self, url: str, kid: str, alg: str) -> dict[str, t.Any]:
        """The JWK with ``kid`` and ``alg`` (refetching once for a new key id)."""
        key = self._match(self.keyset(url), kid, alg)
        if key is None:
            key = self._match(self.keyset(url, refresh=True), kid, alg)
        if key is None:
            raise LtiException("Unable to find public key")
        return key


class ToolMessageLaunch(
    MessageLaunch[TornadoRequest, ToolConfDict, ToolSessionService, TornadoCookieService]
):
    """PyLTI1p3's launch with the stricter checks listed in the module's docstring."""

    keysets: PlatformKeysets

    def _get_request_param(self, key: str) -> t.Any:
        return self._request.get_param(key)

    def get_client_id(self) -> str:
        body = self._get_jwt_body()
        azp = t.cast(t.Mapping[str, t.Any], body).get("azp")
        if isinstance(azp, str) and azp:
            return azp
        return super().get_client_id()

    def get_public_key(self) -> tuple[str, str]:
        from jwcrypto.jwk import JWK

        assert self._registration is not None
        url = self._registration.get_key_set_url()
        header = self._jwt.get("header", {})
        kid, alg = header.get("kid"), header.get("alg")
        if not url or not kid or not alg:
            raise LtiException("JWT KID not found")
        if alg != "RS256":
            raise LtiException("Unsupported JWT algorithm")
        jwk = self.keysets.find(url, kid, alg)
        try:
            return JWK(**jwk).export_to_pem().decode(), alg
        except (ValueError, TypeError) as exc:
            raise LtiException("Can't convert JWT key to PEM format") from exc

    def validate_jwt_signature(self) -> ToolMessageLaunch:
        assert self._registration is not None
        public_key, alg = self.get_public_key()
        client_id = self._registration.get_client_id()
        try:
            claims = jwt.decode(
                self._get_id_token(),
                public_key,
                algorithms=[alg],
                audience=client_id,
                issuer=self._registration.get_issuer(),
                leeway=CLOCK_LEEWAY,
                options={"require": ["exp", "iat", "iss", "aud", "nonce"]},
            )
        except jwt.InvalidTokenError as exc:
            raise LtiException(f"Can't decode id_token: {type(exc).__name__}") from exc
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != client_id:
            raise LtiException("Invalid azp")
        return self

    def validate_message(self) -> ToolMessageLaunch:
        super().validate_message()
        if not self.is_resource_launch():
            raise LtiException("Unsupported message type")
        return self

    def save_launch_data(self) -> ToolMessageLaunch:
        return self  # nothing of the token is kept (names, emails): see LtiStore for what is


# --- tool configuration ---------------------------------------------------------------------------


def tool_config(platforms: t.Sequence[PlatformRegistration], key: ToolKey) -> ToolConfDict:
    """PyLTI1p3's configuration of the registered platforms (several clients per issuer allowed)."""
    data: dict[str, list[dict[str, t.Any]]] = {}
    for platform in platforms:
        data.setdefault(platform.issuer, []).append(
            {
                "default": not data.get(platform.issuer),
                "client_id": platform.client_id,
                "auth_login_url": platform.auth_login_url,
                "auth_token_url": platform.token_url,
                "auth_audience": platform.auth_audience,
                "key_set_url": platform.jwks_url,
                "key_set": None,
                "deployment_ids": list(platform.deployment_ids),
            }
        )
    config = ToolConfDict(data)  # type: ignore[arg-type]
    for platform in platforms:
        config.set_private_key(platform.issuer, key.private_pem, client_id=platform.client_id)
        config.set_public_key(platform.issuer, key.public_pem, client_id=platform.client_id)
    return config

"""The tool's Tornado handlers: OIDC login initiation, launch, JWKS; the page's identity.

A refused launch gets a French page (:mod:`.pages`) and nothing else: no session cookie,
no redirection to the app, so no kernel. A verified launch stores what its scores need
(:class:`.store.LtiStore`), opens a session (a signed, HttpOnly cookie naming a random
token) and redirects the frame or window to the app. The app page's handler then calls
:class:`SessionIdentity`: the identity header is removed from the request whatever its
origin and set again from the session only; Voilà passes it to the kernel.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import typing as t

import tornado.web

from attest.identity import is_valid_employee_number, normalize_employee_number

from ..app.settings import LTI_IDENTITY_HEADER
from .adapter import (
    MemoryLaunchDataStorage,
    ToolMessageLaunch,
    ToolOIDCLogin,
    ToolSessionService,
    TornadoCookieService,
    TornadoRequest,
)
from .pages import GET_LAUNCH, NEEDS_LAUNCH, NO_EMPLOYEE_NUMBER, Refusal, refusal_for
from .settings import LtiSettings
from .tool import SESSION_COOKIE, LtiTool

logger = logging.getLogger(__name__)

CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
DEPLOYMENT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
RESOURCE_LINK_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"


def _mapping(value: t.Any) -> dict[str, t.Any]:
    return value if isinstance(value, dict) else {}


def employee_number(claims: t.Mapping[str, t.Any], settings: LtiSettings) -> str | None:
    """The first valid employee number: the configured claim, else the custom parameter."""
    value: t.Any = claims
    for key in settings.employee_number_claim:
        value = value.get(key) if isinstance(value, t.Mapping) else None
    custom = claims.get(CUSTOM_CLAIM)
    fallback = custom.get(settings.employee_number_custom) if isinstance(custom, t.Mapping) else None
    for candidate in (value, fallback):
        if isinstance(candidate, str | int) and not isinstance(candidate, bool):
            text = normalize_employee_number(str(candidate))
            if is_valid_employee_number(text):
                return text
    return None


class ToolHandler(tornado.web.RequestHandler):
    """Common ground: the tool, French refusals, the frame-ancestors policy, no XSRF cookie
    (a launch is a cross-site form post; its protection is the state cookie and the nonce)."""

    tool: LtiTool

    def initialize(self, tool: LtiTool) -> None:
        self.tool = tool
        self.set_default_headers()  # Tornado sets the default headers before initialize()

    def set_default_headers(self) -> None:
        if getattr(self, "tool", None) is None:
            return
        self.set_header("Content-Security-Policy", self.tool.content_security_policy())
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")

    def check_xsrf_cookie(self) -> None:
        return None

    def refuse(self, refusal: Refusal, category: str) -> None:
        reference = secrets.token_hex(4).upper()
        logger.warning("lancement LTI refusé (%s, référence %s)", category, reference)
        self.set_status(refusal.status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(refusal.render(reference))

    def write_error(self, status_code: int, **kwargs: t.Any) -> None:
        if status_code == 405:
            self.refuse(GET_LAUNCH, "http-405")
            return
        generic = refusal_for(Exception())[0]
        self.refuse(Refusal(status_code, generic.title, generic.paragraphs), f"http-{status_code}")

    def services(
        self,
    ) -> tuple[TornadoRequest, TornadoCookieService, MemoryLaunchDataStorage, ToolSessionService]:
        request = TornadoRequest(self, self.tool.policy.cross_site)
        cookies = TornadoCookieService(request, self.tool.policy)
        storage = MemoryLaunchDataStorage(self.tool.nonces)
        return request, cookies, storage, ToolSessionService(request, storage)


class LoginHandler(ToolHandler):
    """OIDC third-party initiated login (GET or POST from the platform): to its auth endpoint."""

    def _login(self) -> None:
        request, cookies, storage, session = self.services()
        login = ToolOIDCLogin(request, self.tool.config, session, cookies, storage)
        try:
            location = login.redirect(self.tool.urls.launch)
        except Exception as exc:  # PyLTI1p3 raises plain Exception for an unknown issuer
            self.refuse(*refusal_for(exc))
            return
        cookies.apply(self)
        self.redirect(location)

    def get(self) -> None:
        self._login()

    def post(self) -> None:
        self._login()


class LaunchHandler(ToolHandler):
    """The launch (``id_token`` posted by the platform): verify, open a session, go to the app."""

    def get(self) -> None:
        self.refuse(GET_LAUNCH, "get")

    async def post(self) -> None:
        request, cookies, storage, session = self.services()
        tool = self.tool

        def validate() -> tuple[dict[str, t.Any], str]:
            launch = ToolMessageLaunch(
                request,
                tool.config,
                session_service=session,
                cookie_service=cookies,
                launch_data_storage=storage,
            )
            launch.keysets = tool.keysets
            launch.validate()
            return dict(launch.get_launch_data()), launch.get_client_id()

        try:  # the keyset may be fetched: off the event loop
            claims, client_id = await asyncio.get_running_loop().run_in_executor(None, validate)
        except Exception as exc:
            self.refuse(*refusal_for(exc))
            return
        number = employee_number(claims, tool.settings)
        if number is None:
            self.refuse(NO_EMPLOYEE_NUMBER, "employee-number")
            return
        ags = _mapping(claims.get(AGS_CLAIM))
        context = _mapping(claims.get(CONTEXT_CLAIM))
        launch = tool.store.record_launch(
            issuer=str(claims["iss"]),
            client_id=client_id,
            deployment_id=str(claims[DEPLOYMENT_CLAIM]),
            user_id=str(claims["sub"]),
            employee_number=number,
            lineitem=ags.get("lineitem") if isinstance(ags.get("lineitem"), str) else None,
            scopes=[s for s in ags.get("scope", []) if isinstance(s, str)],
            resource_link_id=str(_mapping(claims.get(RESOURCE_LINK_CLAIM)).get("id")),
            context_id=str(context["id"]) if context.get("id") else None,
        )
        if not launch.can_post_scores:
            logger.info("lancement LTI sans service de notes (aucune note ne sera transmise)")
        token = tool.store.open_session(launch, tool.settings.session_hours)
        signed = tornado.web.create_signed_value(tool.secret, SESSION_COOKIE, token).decode()
        tool.policy.set(self, SESSION_COOKIE, signed, tool.session_max_age)
        state = request.get_param("state")
        if state:
            cookies.clear_cookie(state)
        cookies.apply(self)
        self.redirect(self.settings.get("base_url", "/"), status=303)


class JwksHandler(ToolHandler):
    """The tool's public keyset (platforms verify its access-token requests with it)."""

    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "public, max-age=300")
        self.finish(json.dumps(self.tool.key.jwks()))


class SessionIdentity:
    """Binds the app page's request to the launch's session (used by the kernel guard)."""

    def __init__(self, tool: LtiTool) -> None:
        self.tool = tool

    def employee_number(self, handler: t.Any) -> str | None:
        """The session's employee number, from the signed cookie only."""
        raw = handler.get_cookie(SESSION_COOKIE)
        if not raw:
            return None
        token = tornado.web.decode_signed_value(
            self.tool.secret, SESSION_COOKIE, raw, max_age_days=self.tool.settings.session_hours / 24 + 1
        )
        info = self.tool.store.session(token.decode() if token else None)
        return info.employee_number if info else None

    def bind(self, handler: t.Any) -> str | None:
        """Remove any incoming identity header, set it from the session; else the refusal page."""
        headers = handler.request.headers
        if LTI_IDENTITY_HEADER in headers:
            del headers[LTI_IDENTITY_HEADER]
        number = self.employee_number(handler)
        if number is None:
            return NEEDS_LAUNCH.render(secrets.token_hex(4).upper())
        headers[LTI_IDENTITY_HEADER] = number
        return None

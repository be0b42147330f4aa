"""A real LTI 1.3 platform for the tests: ``lti1p3platform`` behind a small HTTP server.

    python -m tests.lti.platform --port P --tool http://localhost:T/ --client-id C

It plays the ENA's Moodle, with its own RSA keys and JWKS:

* ``GET /cours?user=SUB&num=NUMBER&cible=iframe|fenetre&variante=V``: a course page that
  shows the tool in an iframe (or a link opening it in a new window);
* ``GET /lancer?hint=H``: the third-party initiated login, an auto-submitted form POSTed
  (``methode=get``: a redirect) to the tool's login URL;
* ``GET|POST /auth``: the OIDC authentication endpoint: builds and signs the ``id_token``
  (lti1p3platform) and auto-posts it to the tool's launch URL; a *variante* forges what a
  test needs (bad signature, unknown key id, other audience, unknown deployment, expired
  token, no employee number, another or no state…);
* ``GET /jwks``; ``POST /token`` (client credentials: the tool's assertion is verified
  against the tool's JWKS, fetched over HTTP); ``POST /ags/…/scores`` (bearer token checked;
  Moodle's rule: a timestamp not newer than the last one recorded is refused with 409);
* ``/admin/…`` (JSON): the scores recorded, counters, the score endpoint's mode (up, down:
  503, slow: answers after a delay, having recorded the score), a key rotation, a forged
  launch that never went through login.

Names and emails are put in every token, so that the tests can check the tool keeps none.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import re
import secrets
import threading
import time
import typing as t
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.exceptions import LtiServiceException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest

LIS = "https://purl.imsglobal.org/spec/lti/claim/lis"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
DEPLOYMENT = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
STUDENT = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
DEPLOYMENT_ID = "1"
VARIANTS = (
    "normale",
    "mauvaise-signature",
    "cle-inconnue",
    "mauvais-aud",
    "deploiement-inconnu",
    "expire",
    "sans-numero",
    "numero-invalide",
    "numero-personnalise",
    "etat-different",
    "sans-etat",
    "sans-notes",
)


def new_key() -> tuple[str, str]:
    """A fresh RSA key pair (PEM private, PEM public)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


class Platform:
    """The platform's state (one process, guarded by a lock)."""

    def __init__(self, base: str, tool: str, client_id: str) -> None:
        self.base = base
        self.tool = tool
        self.client_id = client_id
        self.lock = threading.Lock()
        private, public = new_key()
        self.old_public: list[str] = []
        self.registration = (
            Registration()
            .set_iss(base.rstrip("/"))
            .set_client_id(client_id)
            .set_deployment_id(DEPLOYMENT_ID)
            .set_oidc_login_url(tool + "lti/login")
            .set_launch_url(tool + "lti/launch")
            .set_tool_key_set_url(tool + "lti/jwks")
            .set_platform_private_key(private)
            .set_platform_public_key(public)
        )
        self.attacker_private, _ = new_key()
        self.hints: dict[str, dict[str, str]] = {}
        self.scores: list[dict[str, t.Any]] = []
        self.score_posts = 0
        self.tokens = 0
        self.jwks_served = 0
        self.launches = 0
        self.mode = "up"
        self.slow_seconds = 0.0
        outer = self

        class Config(LTI1P3PlatformConfAbstract):
            def init_platform_config(self, **kwargs: t.Any) -> None:
                return None

            def get_registration_by_params(self, **kwargs: t.Any) -> Registration:
                return outer.registration

        self.config = Config()
        self.config.get_registration()

    @property
    def issuer(self) -> str:
        return str(self.registration.get_iss())

    def lineitem(self, course: str = "1") -> str:
        return f"{self.base}ags/{course}/lineitems/7?type_id=3"

    def jwks(self) -> dict[str, t.Any]:
        keys = [Registration.get_jwk(str(self.registration.get_platform_public_key()))]
        keys += [Registration.get_jwk(k) for k in self.old_public]
        return {"keys": keys}

    def rotate(self) -> str:
        """A new signing key (new kid); the old one stays published (as a platform would)."""
        private, public = new_key()
        with self.lock:
            self.old_public.append(str(self.registration.get_platform_public_key()))
            self.registration.set_platform_private_key(private).set_platform_public_key(public)
        return str(self.registration.get_kid())

    def sign(self, message: dict[str, t.Any], variant: str) -> str:
        """The id_token: lti1p3platform's signature, or a forged one for a refusal test."""
        now = int(time.time())
        if variant == "expire":
            message.update({"iat": now - 7200, "exp": now - 3600})
            kid = str(self.registration.get_kid())
            return jwt.encode(
                message, str(self.registration.get_platform_private_key()), "RS256", {"kid": kid}
            )
        if variant in ("mauvaise-signature", "cle-inconnue"):
            message.update({"iat": now, "exp": now + 300})
            kid = str(self.registration.get_kid()) if variant == "mauvaise-signature" else "cle-inconnue"
            return jwt.encode(message, self.attacker_private, "RS256", {"kid": kid})
        return self.registration.platform_encode_and_sign(message, expiration=300)


class HttpRequest(Request):
    """lti1p3platform's request from the test server's parsed request."""

    def build_metadata(self, request: t.Any) -> TRequest:
        return t.cast(TRequest, request)


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: t.Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class Launch(LTIAdvantageMessageLaunchAbstract):
    """The launch message of a hint (user, employee number, variant)."""

    context: dict[str, str]

    def render_launch_form(self, launch_data: dict[str, t.Any], **kwargs: t.Any) -> str:
        return autopost(str(launch_data["launch_url"]), {k: launch_data[k] for k in ("id_token", "state")})


def autopost(action: str, fields: dict[str, str | None]) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in fields.items()
        if v is not None
    )
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>ENA</title></head><body>'
        f'<form id="lti" method="POST" action="{html.escape(action)}">{inputs}</form>'
        "<script>document.getElementById('lti').submit()</script></body></html>"
    )


COURSE_PAGE = """<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>ENA — Formation obligatoire</title><style>
body{{margin:0;font-family:system-ui,sans-serif;background:#f2f4f7}}
header{{background:#0f47ad;color:#fff;padding:.6rem 1.2rem;font-weight:600}}
nav{{background:#fff;padding:.5rem 1.2rem;border-bottom:1px solid #ccd;font-size:.9rem;color:#456}}
main{{padding:1rem 1.2rem}} h1{{font-size:1.3rem;margin:.2rem 0 .8rem}}
iframe{{width:100%;height:{height}px;border:1px solid #bbc;background:#fff}}
a.bouton{{display:inline-block;background:#0f47ad;color:#fff;padding:.6rem 1rem;border-radius:4px;
text-decoration:none}}</style></head><body>
<header>ENA — Environnement numérique d'apprentissage (plateforme de test LTI 1.3)</header>
<nav>Tableau de bord › Formations obligatoires › Utilisation sécuritaire du courriel</nav>
<main><h1>Activité : Formation sur l'utilisation sécuritaire du courriel</h1>{body}</main>
</body></html>"""


def make_handler(platform: Platform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go in two writes: no delayed-ACK stall

        def log_message(self, format: str, *args: t.Any) -> None:
            return

        # --- plumbing -------------------------------------------------------------------
        def _send(self, status: int, body: str, ctype: str = "text/html; charset=utf-8") -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _json(self, status: int, value: t.Any, ctype: str = "application/json") -> None:
            self._send(status, json.dumps(value), ctype)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _request(self) -> tuple[str, dict[str, str], dict[str, str], bytes]:
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            form: dict[str, str] = {}
            if "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
                form = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
            return parts.path, query, form, raw

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def _route(self, method: str) -> None:
            path, query, form, raw = self._request()
            try:
                if path == "/cours":
                    self._course(query)
                elif path == "/carnet":
                    self._gradebook()
                elif path == "/lancer":
                    self._initiate(query)
                elif path == "/auth":
                    self._auth(query if method == "GET" else form)
                elif path == "/jwks":
                    with platform.lock:
                        platform.jwks_served += 1
                    self._json(200, platform.jwks())
                elif path == "/token" and method == "POST":
                    self._token(form)
                elif path.startswith("/ags/") and path.endswith("/scores") and method == "POST":
                    self._score(path, raw)
                elif path.startswith("/admin/"):
                    self._admin(path[len("/admin/") :], query, raw)
                else:
                    self._send(404, "introuvable")
            except BrokenPipeError:
                pass

        # --- the course and the launch ------------------------------------------------------
        def _hint(self, query: dict[str, str]) -> str:
            hint = secrets.token_urlsafe(8)
            with platform.lock:
                platform.hints[hint] = {
                    "user": query.get("user", "moodle-user-1"),
                    "num": query.get("num", ""),
                    "variante": query.get("variante", "normale"),
                    "cours": query.get("cours", "1"),
                }
            return hint

        def _course(self, query: dict[str, str]) -> None:
            hint = self._hint(query)
            launch = f"/lancer?hint={hint}"
            if query.get("cible") == "fenetre":
                body = (
                    "<p>Cette activité s'ouvre dans une nouvelle fenêtre.</p>"
                    f'<p><a class="bouton" href="{launch}" target="_blank">Ouvrir la formation</a></p>'
                )
            else:
                body = f'<iframe id="outil" title="Formation" src="{launch}"></iframe>'
            self._send(200, COURSE_PAGE.format(body=body, height=int(query.get("hauteur", "900"))))

        def _gradebook(self) -> None:
            """The line item's scores as the platform recorded them (a gradebook, for the guide)."""
            with platform.lock:
                rows = list(platform.scores)
            cells = "".join(
                "<tr>"
                + "".join(
                    f"<td>{html.escape(str(v))}</td>"
                    for v in (
                        s["userId"],
                        s["timestamp"][:19].replace("T", " "),
                        f"{s['scoreGiven']:g} / {s['scoreMaximum']:g}",
                        s["activityProgress"],
                        s["gradingProgress"],
                        s.get("comment", ""),
                    )
                )
                + "</tr>"
                for s in rows
            )
            table = (
                "<style>table{border-collapse:collapse;background:#fff;font-size:.9rem}"
                "td,th{border:1px solid #ccd;padding:.35rem .6rem;text-align:left}</style>"
                "<h2>Carnet de notes — notes reçues de l'outil (LTI Assignment and Grade Services)</h2>"
                "<table><tr><th>Utilisateur</th><th>Horodatage (UTC)</th><th>Note</th>"
                "<th>Progression</th><th>Correction</th><th>Commentaire</th></tr>"
                f"{cells}</table>"
            )
            self._send(200, COURSE_PAGE.format(body=table, height=0))

        def _initiate(self, query: dict[str, str]) -> None:
            hint = query["hint"]
            context = platform.hints[hint]
            login = Login(HttpRequest({"method": "GET", "get_data": query}), platform.config)
            login.set_lti_message_hint(hint=hint)
            url = login.initiate_login(context["user"])
            if query.get("methode") == "get":
                self._redirect(url)
                return
            target, params = url.split("?", 1)
            self._send(200, autopost(target, {k: v[-1] for k, v in parse_qs(params).items()}))

        def _auth(self, params: dict[str, str]) -> None:
            if params.get("redirect_uri") != platform.tool + "lti/launch":
                self._send(400, "redirect_uri non inscrite")
                return
            hint = params.get("lti_message_hint", "")
            context = platform.hints.get(hint)
            if context is None or params.get("login_hint") != context["user"]:
                self._send(400, "indice de lancement inconnu")
                return
            request = HttpRequest({"method": "GET", "get_data": params, "form_data": {}})
            launch = Launch(request, platform.config)
            launch._registration = platform.config.get_registration()
            launch.validate_preflight_response(params)
            self._fill(launch, context)
            message, state = launch.get_launch_data()
            variant = context["variante"]
            if variant == "mauvais-aud":
                message["aud"] = "autre-outil"
                message["azp"] = "autre-outil"
            if variant == "deploiement-inconnu":
                message[DEPLOYMENT] = "999"
            token = platform.sign(message, variant)
            fields: dict[str, str | None] = {"id_token": token, "state": state}
            if variant == "etat-different":
                fields["state"] = "state-" + secrets.token_hex(8)
            if variant == "sans-etat":
                fields["state"] = None
            with platform.lock:
                platform.launches += 1
            self._send(200, autopost(str(params["redirect_uri"]), fields))

        def _fill(self, launch: Launch, context: dict[str, str]) -> None:
            variant = context["variante"]
            launch.set_user_data(
                context["user"],
                [STUDENT],
                full_name="Camille Tremblay",
                email_address="camille@exemple.qc.ca",
            )
            launch.set_resource_link_claim("lien-formation-1", title="Formation")
            launch.set_launch_context_claim(
                f"cours-{context['cours']}", context_title="Formations obligatoires", context_label="FORM"
            )
            number = context["num"]
            extra: dict[str, t.Any] = {"given_name": "Camille", "family_name": "Tremblay"}
            if variant == "numero-invalide":
                extra[LIS] = {"person_sourcedid": "E-" + number}
            elif variant not in ("sans-numero", "numero-personnalise"):
                extra[LIS] = {"person_sourcedid": number}
            if variant == "numero-personnalise":
                launch.set_custom_parameters_claim({"employee_number": number})
            launch.set_extra_claims(extra)
            if variant != "sans-notes":
                launch.set_ags(
                    lineitems_url=f"{platform.base}ags/{context['cours']}/lineitems?type_id=3",
                    lineitem_url=platform.lineitem(context["cours"]),
                    allow_creating_lineitems=False,
                )

        # --- services -----------------------------------------------------------------------
        def _token(self, form: dict[str, str]) -> None:
            with platform.lock:
                platform.tokens += 1
            try:
                answer = platform.config.get_access_token(form)
            except Exception as exc:
                self._json(400, {"error": "invalid_client", "error_description": type(exc).__name__})
                return
            self._json(200, answer)

        def _score(self, path: str, raw: bytes) -> None:
            with platform.lock:
                platform.score_posts += 1
                mode, delay = platform.mode, platform.slow_seconds
            if mode == "down":
                self._send(503, "Service indisponible")
                return
            auth = (self.headers.get("Authorization") or "").split()
            try:
                if len(auth) != 2 or auth[0].lower() != "bearer":
                    raise LtiServiceException("no token", 401)
                if not platform.config.validate_token(auth[1], [SCORE_SCOPE]):
                    raise LtiServiceException("scope", 401)
            except Exception:
                self._json(401, {"error": "jeton invalide"})
                return
            if self.headers.get("Content-Type") != "application/vnd.ims.lis.v1.score+json":
                self._json(415, {"error": "type de contenu"})
                return
            score = json.loads(raw)
            lineitem = path[: -len("/scores")]
            with platform.lock:
                previous = [
                    s for s in platform.scores if s["lineitem"] == lineitem and s["userId"] == score["userId"]
                ]
                stamp = int(datetime.fromisoformat(score["timestamp"]).timestamp())
                last = -1
                if previous:
                    last = int(datetime.fromisoformat(previous[-1]["timestamp"]).timestamp())
                if last >= stamp:  # Moodle's rule (seconds)
                    status = 409
                else:
                    platform.scores.append({**score, "lineitem": lineitem})
                    status = 200
            if mode == "slow":
                time.sleep(delay)
            self._json(status, {} if status == 200 else {"error": "horodatage antérieur"})

        # --- administration (the tests) -----------------------------------------------------
        def _admin(self, action: str, query: dict[str, str], raw: bytes) -> None:
            if action == "state":
                with platform.lock:
                    self._json(
                        200,
                        {
                            "scores": platform.scores,
                            "score_posts": platform.score_posts,
                            "tokens": platform.tokens,
                            "jwks_served": platform.jwks_served,
                            "launches": platform.launches,
                            "kid": platform.registration.get_kid(),
                        },
                    )
            elif action == "mode":
                data = json.loads(raw or b"{}")
                with platform.lock:
                    platform.mode = data.get("scores", "up")
                    platform.slow_seconds = float(data.get("delay", 0))
                self._json(200, {"mode": platform.mode})
            elif action == "rotate":
                self._json(200, {"kid": platform.rotate()})
            elif action == "forge":  # a signed launch that never went through the tool's login
                context = {
                    "user": query.get("user", "moodle-user-9"),
                    "num": query.get("num", ""),
                    "variante": "normale",
                    "cours": "1",
                }
                launch = Launch(
                    HttpRequest({"method": "GET", "get_data": {}, "form_data": {}}), platform.config
                )
                launch._registration = platform.config.get_registration()
                self._fill(launch, context)
                message = launch.get_launch_message()
                message["nonce"] = secrets.token_hex(16)
                self._json(200, {"id_token": platform.sign(message, "normale"), "state": "state-forge"})
            else:
                self._send(404, "introuvable")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tool", required=True, help="The tool's base URL, ending with /.")
    parser.add_argument("--client-id", default="formation-tic-test")
    args = parser.parse_args()
    base = f"http://{args.host}:{args.port}/"
    platform = Platform(base, args.tool, args.client_id)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(platform))
    server.daemon_threads = True
    print(f"plateforme prête : {base}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
ACTION = re.compile(r'<form id="lti" method="POST" action="([^"]+)"')


def parse_autopost(page: str) -> tuple[str, dict[str, str]]:
    """The action and fields of an auto-submitted form of this platform (for HTTP-client tests)."""
    match = ACTION.search(page)
    assert match, page[:500]
    fields = {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(page)}
    return html.unescape(match.group(1)), fields


if __name__ == "__main__":
    main()


__all__ = ["VARIANTS", "parse_autopost", "urlencode"]

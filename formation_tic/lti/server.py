"""What ``formation-tic serve`` starts in ``lti`` mode: the tool (routes, sessions) and the
background thread that sends the scores, both from the settings root."""

from __future__ import annotations

from collections.abc import Callable

from ..settings import Settings, SettingsError
from .keys import ensure_tool_key
from .scores import ScoreWorker
from .tool import LtiTool, build_tool


def start_lti(settings: Settings, echo: Callable[[str], None] = print) -> tuple[LtiTool, ScoreWorker]:
    """Create the tool's key if missing, build the tool, start the score sender."""
    paths, lti, app = settings.paths, settings.lti, settings.app
    key, created = ensure_tool_key(paths.lti_tool_key)
    if created:
        echo(f"Clé de l'outil LTI créée : {paths.lti_tool_key} (lisible par votre compte seulement).")
    try:
        tool = build_tool(
            lti,
            key=key,
            store_path=paths.lti_store,
            secret_path=paths.lti_session_secret,
            host=app.host,
            port=app.port,
        )
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    worker = ScoreWorker(
        paths.lti_store,
        paths.outbox,
        tool.platforms,
        key.private_pem,
        key.public_pem,
        interval=lti.score_interval,
        timeout=lti.score_timeout,
    ).start()
    names = ", ".join(p.label for p in tool.platforms)
    echo(f"LTI 1.3 : lancement depuis {names} ; connexion {tool.urls.login}, JWKS {tool.urls.jwks}.")
    return tool, worker

"""A small xAPI client over httpx: explicit timeouts, version header, Basic auth.

``X-Experience-API-Version: 1.0.3`` is a default header of the client built here and is
also put on each request (the sender's POSTs, the GETs of pull and reconcile), so that
it is sent even through an ``httpx.Client`` built elsewhere.

Credentials live only in the ``httpx.BasicAuth`` object: never logged nor shown.
Handles the spec and tolerates Ralph 5.1's differences (GET by ``statementId`` wraps
the statement in ``{"statements": [...]}``; no ``/about``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

import httpx

from lrs_export import vocabulary as V
from lrs_export.errors import CredentialsRejected, LrsProtocolError, LrsUnavailable, NotConfigured
from lrs_export.outbox import Attachment
from lrs_export.settings import LrsSettings

VERSION_HEADER = {"X-Experience-API-Version": V.XAPI_VERSION}
TRANSIENT_ERRORS = (httpx.TimeoutException, httpx.TransportError)


def build_http_client(settings: LrsSettings) -> httpx.Client:
    """An httpx client for the configured LRS (raises :class:`NotConfigured` without one)."""
    if not settings.endpoint:
        raise NotConfigured("Aucun LRS n'est configuré : les énoncés restent dans la boîte d'envoi.")
    auth = None
    if settings.username is not None and settings.password is not None:
        auth = httpx.BasicAuth(settings.username, settings.password.get_secret_value())
    return httpx.Client(
        base_url=settings.endpoint,
        auth=auth,
        headers=VERSION_HEADER,
        timeout=httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.write_timeout,
            pool=settings.connect_timeout,
        ),
        follow_redirects=False,
    )


def multipart_body(statements_json: bytes, attachments: list[Attachment]) -> tuple[bytes, str]:
    """``multipart/mixed`` body per xAPI 1.0.3 (Data 2.6, Communication 1.5).

    First part: the statement(s) as ``application/json``; then each attachment with
    ``Content-Type``, ``Content-Transfer-Encoding: binary`` and ``X-Experience-API-Hash``.
    Returns the body and the request's Content-Type header value.
    """
    boundary = "xapi-" + uuid.uuid4().hex
    crlf = b"\r\n"
    parts = [
        b"--"
        + boundary.encode()
        + crlf
        + b"Content-Type: application/json"
        + crlf
        + crlf
        + statements_json
        + crlf
    ]
    for att in attachments:
        parts.append(
            b"--"
            + boundary.encode()
            + crlf
            + f"Content-Type: {att.content_type}".encode()
            + crlf
            + b"Content-Transfer-Encoding: binary"
            + crlf
            + f"X-Experience-API-Hash: {att.sha2}".encode()
            + crlf
            + crlf
            + att.content
            + crlf
        )
    body = b"".join(parts) + b"--" + boundary.encode() + b"--" + crlf
    return body, f'multipart/mixed; boundary="{boundary}"'


def check_auth(response: httpx.Response) -> None:
    """Raise :class:`CredentialsRejected` on 401/403."""
    if response.status_code in (401, 403):
        raise CredentialsRejected(
            f"Le LRS refuse les identifiants configurés (HTTP {response.status_code}) :"
            " vérifiez FORMATION_TIC_LRS_USERNAME et FORMATION_TIC_LRS_PASSWORD."
        )


class LrsClient:
    """Reads from the LRS (pull, reconcile); :class:`~lrs_export.sender.Sender` sends."""

    def __init__(self, settings: LrsSettings, http: httpx.Client | None = None) -> None:
        self.settings = settings
        self.http = http or build_http_client(settings)

    def close(self) -> None:
        """Close the HTTP connections."""
        self.http.close()

    def __enter__(self) -> LrsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, url: str, params: Mapping[str, Any] | None = None) -> httpx.Response:
        try:
            response = self.http.get(url, params=params, headers=VERSION_HEADER)
        except TRANSIENT_ERRORS as error:
            raise LrsUnavailable(f"Le LRS ne répond pas : {type(error).__name__}") from error
        check_auth(response)
        if response.status_code >= 500:
            raise LrsUnavailable(f"Le LRS est en erreur (HTTP {response.status_code}).")
        return response

    def get_statement(self, statement_id: str) -> dict[str, Any] | None:
        """The statement with this id, or None if the LRS does not have it."""
        response = self._get("statements", {"statementId": statement_id})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise LrsProtocolError(f"Réponse inattendue du LRS (HTTP {response.status_code}).")
        data = response.json()
        if isinstance(data, dict) and "statements" in data and "actor" not in data:
            # Ralph 5.1: a StatementResult instead of the bare statement.
            found = [s for s in data["statements"] if s.get("id") == statement_id]
            return found[0] if found else None
        return data if isinstance(data, dict) else None

    def iter_pages(
        self, params: Mapping[str, Any] | None = None, *, more: str | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
        """Pages of statements as ``(statements, more)``, following ``more`` links.

        Start from ``params`` or resume from a ``more`` URL saved earlier.
        """
        url, query = ("statements", dict(params or {})) if more is None else (more, None)
        for _ in range(1_000_000):  # bounded: at most that many pages
            response = self._get(self._resolve(url), query)
            if response.status_code != 200:
                raise LrsProtocolError(
                    f"Réponse inattendue du LRS (HTTP {response.status_code}) : {response.text[:200]}"
                )
            data = response.json()
            next_more = data.get("more") or None
            yield data.get("statements", []), next_more
            statements = data.get("statements", [])
            if not next_more or not statements:
                return
            url, query = next_more, None

    def _resolve(self, url: str) -> str:
        """``more`` is relative to the LRS's host (spec: an IRL relative to the server)."""
        if url.startswith(("http://", "https://")) or url == "statements":
            return url
        return urljoin(str(self.http.base_url), url)

    def about(self) -> dict[str, Any] | None:
        """``GET /about`` (None when the LRS has none, as Ralph 5.1)."""
        response = self._get("about")
        if response.status_code == 404:
            return None
        result: dict[str, Any] = response.json()
        return result

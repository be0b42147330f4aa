"""What the configured LRS accepts, and the fallback form of a signed statement.

A signed statement (xAPI 1.0.3, Data 2.6: ``attest``'s default ``signed-multipart`` mode)
travels as ``multipart/mixed`` with its JWS as an attachment. Some LRSs cannot read
multipart at all: Ralph 5.1, the built-in demo LRS, answers ``400 {"detail": "Invalid JSON
body"}`` to every multipart request. For those, the sender sends the **fallback form**,
the same statement as plain JSON in the shape of the ``jws-extension`` mode: the signature
attachment's entry is removed from ``attachments`` and the JWS (the attachment's content,
unchanged) is put in ``result.extensions`` under :data:`lrs_export.vocabulary.EXT_JWS`.
The JWS still verifies: its payload is the statement as it was before signing, which is
the fallback form minus that one extension (:func:`verify_jws_extension_form`).

Detection, decided for issue 11: **no probe**. A probe would have to store a test
statement in the organization's LRS (statements cannot be deleted, only voided) or rely
on an ``/about`` that Ralph 5.1 does not have and that does not tell multipart support
anyway. Instead the sender learns from the answer to the first real multipart request:

* 2xx → the LRS accepts multipart (remembered);
* 415, or 400/422 whose reason says the body could not be read as JSON/multipart
  (:func:`refuses_multipart`) → the same statement is sent at once in the fallback form;
  if the LRS stores it, "multipart refused" is remembered and every later signed
  statement for that LRS goes directly in the fallback form (no multipart request again).
  If the fallback form is refused too, the statement is quarantined with that reason and
  nothing is remembered.

What was learned is kept in the outbox database (table ``lrs_capabilities``), keyed by the
endpoint URL without credentials, query or fragment (:func:`endpoint_key`), with the time
and the answer it was learned from; ``formation-tic lrs status`` shows it. The outbox never
rewrites a stored statement: it keeps the signed original (the same attestation enqueued
twice stays the same row), and the form is chosen when sending. So requeueing a signed
statement that was quarantined because the LRS refused multipart sends it in the form
that LRS accepts.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lrs_export import vocabulary as V
from lrs_export.outbox import PendingStatement, canonical_json

FALLBACK_FORM = "jws-extension"
"""Name of the fallback form (the statement mode it has the shape of)."""

_BODY_UNREADABLE = re.compile(
    r"invalid json|json body|multipart|content[- ]type|media[- ]type|boundary", re.IGNORECASE
)


def endpoint_key(url: str) -> str:
    """The endpoint as the capability key: scheme, host, port and path; never credentials."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    netloc = f"{host}:{parts.port}" if parts.port else host
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, "", ""))


def refuses_multipart(status: int, reason: str) -> bool:
    """True if an LRS's answer to a multipart request says it cannot read multipart.

    415 (Unsupported Media Type) always; 400/422 when its reason is about the body's
    format (Ralph 5.1: ``Invalid JSON body``), not about the statement's content.
    """
    if status == 415:
        return True
    return status in (400, 422) and bool(_BODY_UNREADABLE.search(reason))


def to_jws_extension(statement: PendingStatement) -> PendingStatement | None:
    """The fallback form of a signed statement, or None if it has no such form.

    Only a statement whose single attachment is its signature can be converted; the
    result has no attachments and carries the JWS in ``result.extensions``.
    """
    if len(statement.attachments) != 1:
        return None
    (signature,) = statement.attachments
    if signature.usage_type != V.SIGNATURE_USAGE_TYPE:
        return None
    try:
        jws = signature.content.decode("ascii")
    except UnicodeDecodeError:
        return None
    data = json.loads(statement.body)
    entries = [
        e
        for e in data.get("attachments") or []
        if not (e.get("usageType") == V.SIGNATURE_USAGE_TYPE and e.get("sha2") == signature.sha2)
    ]
    if any("fileUrl" not in e for e in entries):
        return None  # another attachment whose content would have to travel as a part
    if entries:
        data["attachments"] = entries
    else:
        data.pop("attachments", None)
    result = data.setdefault("result", {})
    extensions = result.setdefault("extensions", {})
    if extensions.get(V.EXT_JWS, jws) != jws:
        return None  # already carries another JWS: do not overwrite it
    extensions[V.EXT_JWS] = jws
    return PendingStatement(statement.id, canonical_json(data), ())


def verify_jws_extension_form(statement: dict[str, Any], public_key: Any) -> bool:
    """True if a statement in the fallback form carries a valid signature of itself
    (the same check as :func:`lrs_export.signature.verify_jws_extension`)."""
    from lrs_export.signature import verify_jws_extension

    return verify_jws_extension(statement, public_key)

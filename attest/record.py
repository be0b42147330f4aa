"""One signed row of the attestation store, and how its fields map to SQLite columns."""

from __future__ import annotations

import json
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

RECORD_FORMAT: Final = 1
"""Version of the signed record layout (``format`` field)."""

GENESIS_HASH: Final = "0" * 64
"""``prev_hash`` of the first record of a store."""

# Signed fields, in column order: name -> (SQLite type, kind). ``kind`` drives the
# conversion between the JSON payload and the column value (bool <-> 0/1, list <-> JSON).
COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "seq": ("INTEGER", "int"),
    "format": ("INTEGER", "int"),
    "id": ("TEXT", "text"),
    "kind": ("TEXT", "text"),
    "employee_number": ("TEXT", "text"),
    "full_name": ("TEXT", "text"),
    "job_title": ("TEXT", "text"),
    "direction": ("TEXT", "text"),
    "establishment": ("TEXT", "text"),
    "typed_signature": ("TEXT", "text"),
    "electronic_signature_consent": ("INTEGER", "bool"),
    "commitments": ("TEXT", "json"),
    "form_id": ("TEXT", "text"),
    "form_version": ("TEXT", "text"),
    "form_version_minor": ("INTEGER", "bool"),
    "form_sha256": ("TEXT", "text"),
    "directive_number": ("TEXT", "text"),
    "directive_version": ("TEXT", "text"),
    "directive_version_minor": ("INTEGER", "bool"),
    "quiz_registration": ("TEXT", "text"),
    "quiz_score": ("REAL", "real"),
    "identification": ("TEXT", "text"),
    "signed_at": ("TEXT", "text"),
    "verification_code": ("TEXT", "text"),
    "revokes": ("TEXT", "text"),
    "reason": ("TEXT", "text"),
    "prev_hash": ("TEXT", "text"),
}
UNSIGNED_COLUMNS: Final[dict[str, str]] = {"record_hash": "TEXT", "jws": "TEXT"}


class AttestationRecord(BaseModel):
    """A stored attestation (``kind="attestation"``) or revocation (``kind="revocation"``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    seq: int
    format: int
    id: str
    kind: Literal["attestation", "revocation"]
    employee_number: str
    full_name: str
    job_title: str
    direction: str
    establishment: str
    typed_signature: str | None
    electronic_signature_consent: bool
    commitments: list[str]
    form_id: str
    form_version: str
    form_version_minor: bool
    form_sha256: str
    directive_number: str
    directive_version: str
    directive_version_minor: bool
    quiz_registration: str | None
    quiz_score: float | None
    identification: str | None
    signed_at: str
    verification_code: str
    revokes: str | None
    reason: str | None
    prev_hash: str
    record_hash: str
    jws: str

    def signed_fields(self) -> dict[str, Any]:
        """The fields covered by the JWS (everything but ``record_hash`` and ``jws``)."""
        return self.model_dump(exclude={"record_hash", "jws"})


def to_column(kind: str, value: Any) -> Any:
    """Payload value -> SQLite column value."""
    if value is None:
        return None
    if kind == "bool":
        return 1 if value else 0
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def from_column(kind: str, value: Any) -> Any:
    """SQLite column value -> payload value (raises ValueError on a value of the wrong type)."""
    if value is None:
        return None
    if kind == "bool":
        if value not in (0, 1) or isinstance(value, float):
            raise ValueError(f"booléen attendu : {value!r}")
        return bool(value)
    if kind == "json":
        return json.loads(value)
    if kind == "int" and type(value) is not int:
        raise ValueError(f"entier attendu : {value!r}")
    if kind == "real" and type(value) is not float:
        raise ValueError(f"nombre attendu : {value!r}")
    if kind == "text" and type(value) is not str:
        raise ValueError(f"texte attendu : {value!r}")
    return value


def record_from_row(row: dict[str, Any]) -> AttestationRecord:
    """Build a record from a store row (no signature check: see :mod:`attest.verify`)."""
    values = {name: from_column(kind, row[name]) for name, (_t, kind) in COLUMNS.items()}
    return AttestationRecord(**values, record_hash=row["record_hash"], jws=row["jws"])

"""Builders shared by the HR tests: roster files, signed stores, pulled statements."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from attest import (
    AttestationRecord,
    AttestationStore,
    DirectiveInfo,
    FormContent,
    QuizResult,
    validate_submission,
)
from lrs_export import statements as S
from lrs_export.pull import pull
from scenarios.model import Scenario
from tests.lrs.scenarios_fixtures import BRANCHING as LRS_BRANCHING

HOMEPAGE = "https://ena.test.example"
UTC = dt.UTC

ROSTER_HEADER = (
    "Matricule;Nom;Prénom;Titre d'emploi;Direction;Service;Matricule du gestionnaire;Date d'embauche;Statut"
)


def roster_csv(
    path: Path, lines: Iterable[str], *, header: str = ROSTER_HEADER, encoding: str = "utf-8-sig"
) -> Path:
    """Write a roster CSV (header + lines) in ``encoding``."""
    path.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode(encoding))
    return path


def submission_values(form: FormContent, number: str, name: str = "Marie Tremblay") -> dict[str, Any]:
    """A submission that passes validation."""
    return {
        "employee_number": number,
        "full_name": name,
        "job_title": "Infirmière",
        "direction": "DSI",
        "establishment": "CISSS des Laurentides",
        "signature": name,
        "consent_electronic_signature": True,
        "commitments": {c.id: True for c in form.engagements},
    }


def sign(
    store: AttestationStore,
    key: rsa.RSAPrivateKey,
    number: str,
    form: FormContent,
    directive: DirectiveInfo,
) -> AttestationRecord:
    """Sign one attestation for ``number`` with this form and directive version."""
    submission = validate_submission(form, submission_values(form, number))
    quiz = QuizResult(registration=uuid.uuid4(), score=0.9)
    return store.sign(submission, form, directive, quiz, "typed", key)


@dataclass
class FakeClient:
    """Feeds :func:`lrs_export.pull.pull` from memory, 100 statements per page."""

    statements: list[dict[str, Any]]
    settings: Any = field(default_factory=lambda: type("S", (), {"pull_overlap_seconds": 300.0})())

    def iter_pages(
        self, params: dict[str, Any] | None = None, *, more: str | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
        pages = [self.statements[i : i + 100] for i in range(0, len(self.statements), 100)] or [[]]
        for n, page in enumerate(pages):
            yield page, (f"more/{n + 1}" if n + 1 < len(pages) else None)


def pull_into(db: Path, statements: Sequence[dict[str, Any]]) -> None:
    """Store statements with the real ``lrs pull`` code path."""
    pull(FakeClient(list(statements)), db)  # type: ignore[arg-type]


def attempt(number: str) -> S.Attempt:
    return S.Attempt(employee_number=number, homepage=HOMEPAGE, directive_version="2023-05-05")


def ts(day: str, hour: int = 12) -> dt.datetime:
    """A UTC timestamp on ``day`` (YYYY-MM-DD)."""
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def started(number: str, day: str = "2024-01-10") -> list[dict[str, Any]]:
    return [S.initialized(attempt(number), timestamp=ts(day))]


def failed(number: str, day: str = "2024-01-10") -> list[dict[str, Any]]:
    a = attempt(number)
    return [S.initialized(a, timestamp=ts(day, 9)), S.failed(a, score_raw=2, score_max=10, timestamp=ts(day))]


def passed(number: str, day: str = "2024-01-11") -> list[dict[str, Any]]:
    a = attempt(number)
    return [S.initialized(a, timestamp=ts(day, 9)), S.passed(a, score_raw=9, score_max=10, timestamp=ts(day))]


SINGLE = Scenario.model_validate(
    {
        "schema_version": 1,
        "sections": ["5.3"],
        "audience": ["tous"],
        "situation": "Une situation.",
        "id": "hr-simple",
        "title": "Choix <simple>",
        "theme": "urgence",
        "question": {
            "kind": "single",
            "prompt": "Que faites-vous ?",
            "choices": [
                {"id": "appeler", "text": "Appeler", "correct": True, "feedback": "Oui."},
                {"id": "ecrire", "text": "Écrire un courriel", "feedback": "Non."},
                {"id": "texto", "text": "Texto", "feedback": "Non."},
            ],
        },
    }
)

# Same decision tree as the lrs_export tests, under an id of its own.
BRANCHING = LRS_BRANCHING.model_copy(update={"id": "hr-embranchement"})


def answer_single(number: str, choice: str) -> dict[str, Any]:
    return S.answered(
        attempt(number),
        SINGLE,
        [choice],
        success=choice == "appeler",
        score_raw=1.0 if choice == "appeler" else 0.0,
        score_max=1.0,
        timestamp=ts("2024-02-01"),
    )


def answer_branching(number: str, choices: list[str], path: list[str]) -> list[dict[str, Any]]:
    """Step statements then the whole-scenario one, as the quiz runtime sends them."""
    a = attempt(number)
    out = [
        S.answered_step(a, BRANCHING, path[i], choices[i], path[: i + 2], timestamp=ts("2024-02-01", 10 + i))
        for i in range(len(choices))
    ]
    ok = path[-1] == "reussite"
    out.append(
        S.answered(
            a,
            BRANCHING,
            choices,
            success=ok,
            score_raw=1.0 if ok else 0.0,
            score_max=1.0,
            path=path,
            timestamp=ts("2024-02-01", 15),
        )
    )
    return out

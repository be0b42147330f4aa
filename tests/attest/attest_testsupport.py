"""Helpers shared by the attest tests (imported by module name: tests have no packages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from attest import FormContent
from attest.keys import KeyFiles

TEST_KEY_SIZE = 2048


@dataclass
class Keys:
    files: KeyFiles
    private: rsa.RSAPrivateKey
    public: dict[str, rsa.RSAPublicKey]


def valid_values(form: FormContent, **overrides: Any) -> dict[str, Any]:
    """A submission that passes validation, with some fields replaced."""
    data: dict[str, Any] = {
        "employee_number": "004512",
        "full_name": "Marie-Ève Tremblay",
        "job_title": "Infirmière clinicienne",
        "direction": "Direction des soins infirmiers",
        "establishment": "CISSS des Laurentides",
        "signature": "Marie-Ève Tremblay",
        "consent_electronic_signature": True,
        "commitments": {c.id: True for c in form.engagements},
    }
    data.update(overrides)
    return data


def concurrent_signer(args: tuple[str, str, int, int, Any]) -> int:
    """Worker of the concurrency test (module-level: spawned processes import it)."""
    import uuid
    from pathlib import Path

    from attest import (
        AttestationStore,
        QuizResult,
        load_directive,
        load_form,
        load_private_key,
        validate_submission,
    )

    db, key_path, worker, count, barrier = args
    form, directive = load_form(), load_directive()
    key = load_private_key(Path(key_path))
    barrier.wait()
    with AttestationStore(Path(db), busy_timeout=120) as store:
        for i in range(count):
            number = f"{worker:03d}{i:03d}"
            sub = validate_submission(form, valid_values(form, employee_number=number))
            quiz = QuizResult(registration=uuid.uuid4(), score=0.8)
            store.sign(sub, form, directive, quiz, "lms-launch", key)
    return count


def same_registration_signer(args: tuple[str, str, str, Any]) -> str:
    """Sign one quiz registration (shared by every worker); the code, or « déjà » if refused."""
    import uuid
    from pathlib import Path

    from attest import (
        AlreadySigned,
        AttestationStore,
        QuizResult,
        load_directive,
        load_form,
        load_private_key,
        validate_submission,
    )

    db, key_path, registration, barrier = args
    form, directive = load_form(), load_directive()
    key = load_private_key(Path(key_path))
    sub = validate_submission(form, valid_values(form, employee_number="10000008"))
    quiz = QuizResult(registration=uuid.UUID(registration), score=0.9)
    barrier.wait()
    with AttestationStore(Path(db), busy_timeout=120) as store:
        try:
            return store.sign(sub, form, directive, quiz, "typed", key).verification_code
        except AlreadySigned as exc:
            return f"déjà:{exc.record.verification_code}"  # type: ignore[attr-defined]

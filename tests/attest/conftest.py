"""Fixtures for the attest tests: a small RSA key (speed), the bundled form and profile."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from attest_testsupport import TEST_KEY_SIZE, Keys, valid_values

from attest import (
    AttestationRecord,
    AttestationStore,
    DirectiveInfo,
    FormContent,
    QuizResult,
    init_keys,
    load_directive,
    load_form,
    load_private_key,
    load_public_key,
    public_keys_by_id,
    validate_submission,
)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    d = tmp_path_factory.mktemp("keys")
    files = init_keys(
        d / "signing-key.pem",
        d / "signing-cert.pem",
        d / "signing-key.pub.pem",
        establishment="CISSS des Laurentides",
        key_size=TEST_KEY_SIZE,
    )
    return Keys(
        files,
        load_private_key(files.private_key),
        public_keys_by_id([load_public_key(files.certificate)]),
    )


@pytest.fixture(scope="session")
def directive() -> DirectiveInfo:
    return load_directive()


@pytest.fixture(scope="session")
def form() -> FormContent:
    return load_form()


@pytest.fixture
def sign_one(keys: Keys, form: FormContent, directive: DirectiveInfo) -> Callable[..., AttestationRecord]:
    """Sign one attestation into a store: ``sign_one(store, employee_number=..., ...)``."""

    def _sign(store: AttestationStore, **overrides: Any) -> AttestationRecord:
        number = overrides.pop("employee_number", "004512")
        quiz = overrides.pop("quiz", QuizResult(registration=uuid.uuid4(), score=0.9))
        f = overrides.pop("form", form)
        d = overrides.pop("directive", directive)
        submission = validate_submission(f, valid_values(f, employee_number=number, **overrides))
        return store.sign(submission, f, d, quiz, "typed", keys.private)

    return _sign


@pytest.fixture
def populated(tmp_path: Path, sign_one: Callable[..., AttestationRecord], keys: Keys) -> Path:
    """A closed store of 7 records: 6 attestations (4 people) and 1 revocation."""
    path = tmp_path / "attestations.db"
    with AttestationStore(path) as store:
        first = sign_one(store, employee_number="1001")
        sign_one(store, employee_number="1002", full_name="Jean Côté", signature="Jean Côté")
        sign_one(store, employee_number="1003")
        store.revoke(first.id, "Nom mal orthographié", keys.private)
        sign_one(store, employee_number="1001")
        sign_one(store, employee_number="0004")
        sign_one(store, employee_number="1003")
    return path


@pytest.fixture
def copy_db(tmp_path: Path) -> Callable[[Path, str], Path]:
    def _copy(src: Path, name: str) -> Path:
        dst = tmp_path / f"{name}.db"
        shutil.copy(src, dst)
        return dst

    return _copy

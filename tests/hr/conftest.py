"""Fixtures of the HR tests: a small signing key, form/directive versions, a CLI group."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from attest import (
    DirectiveInfo,
    FormContent,
    init_keys,
    load_directive,
    load_form,
    load_private_key,
    load_public_key,
    public_keys_by_id,
)


@dataclass
class HrKeys:
    certificate: Path
    private: rsa.RSAPrivateKey
    public: dict[str, rsa.RSAPublicKey]


@pytest.fixture(scope="session")
def hr_keys(tmp_path_factory: pytest.TempPathFactory) -> HrKeys:
    d = tmp_path_factory.mktemp("hrkeys")
    files = init_keys(
        d / "key.pem", d / "cert.pem", d / "pub.pem", establishment="CISSS des Laurentides", key_size=2048
    )
    return HrKeys(
        files.certificate,
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
def hr_cli() -> click.Group:
    """The ``formation-tic`` command (HR commands take ``--data-dir`` before their name)."""
    from formation_tic.cli import main

    return main

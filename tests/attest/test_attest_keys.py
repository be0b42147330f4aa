"""Signing keys: creation, file modes, refusal to overwrite or to use an exposed key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from attest_testsupport import TEST_KEY_SIZE, Keys
from cryptography import x509

from attest import (
    SigningKeyError,
    init_keys,
    key_id,
    load_private_key,
    load_public_key,
    sign_attestation,
    verify_jws,
)
from attest.signing import SignatureInvalid


def _paths(d: Path) -> tuple[Path, Path, Path]:
    return d / "k" / "key.pem", d / "k" / "cert.pem", d / "k" / "pub.pem"


def test_init_writes_private_key_0600_and_public_files(tmp_path: Path) -> None:
    priv, cert, pub = _paths(tmp_path)
    files = init_keys(priv, cert, pub, establishment="CISSS des Laurentides", key_size=TEST_KEY_SIZE)
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    assert stat.S_IMODE(cert.stat().st_mode) == 0o644
    key = load_private_key(priv)
    assert key.key_size == TEST_KEY_SIZE
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    assert "CISSS des Laurentides" in certificate.subject.rfc4514_string()
    assert key_id(load_public_key(cert)) == key_id(load_public_key(pub)) == files.kid
    assert b"PRIVATE" not in cert.read_bytes() + pub.read_bytes()


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    priv, cert, pub = _paths(tmp_path)
    first = init_keys(priv, cert, pub, establishment="X", key_size=TEST_KEY_SIZE)
    with pytest.raises(SigningKeyError, match="existe déjà"):
        init_keys(priv, cert, pub, establishment="X", key_size=TEST_KEY_SIZE)
    assert key_id(load_private_key(priv).public_key()) == first.kid
    second = init_keys(priv, cert, pub, establishment="X", key_size=TEST_KEY_SIZE, force=True)
    assert second.kid != first.kid
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600


def test_passphrase_protected_key(tmp_path: Path) -> None:
    priv, cert, pub = _paths(tmp_path)
    init_keys(priv, cert, pub, establishment="X", key_size=TEST_KEY_SIZE, passphrase=b"s3cret")
    assert b"ENCRYPTED" in priv.read_bytes()
    with pytest.raises(SigningKeyError):
        load_private_key(priv)
    assert load_private_key(priv, b"s3cret").key_size == TEST_KEY_SIZE


def test_exposed_or_missing_private_key_is_refused(tmp_path: Path, keys: Keys) -> None:
    priv, cert, pub = _paths(tmp_path)
    init_keys(priv, cert, pub, establishment="X", key_size=TEST_KEY_SIZE)
    priv.chmod(0o644)
    with pytest.raises(SigningKeyError, match="chmod 600"):
        load_private_key(priv)
    with pytest.raises(SigningKeyError, match="keys init"):
        load_private_key(tmp_path / "absent.pem")
    (tmp_path / "junk.pem").write_text("pas une clé")
    with pytest.raises(SigningKeyError, match="illisible"):
        load_public_key(tmp_path / "junk.pem")


def test_jws_round_trip_and_refusals(keys: Keys) -> None:
    payload, token = sign_attestation({"b": 1, "a": "é"}, keys.private)
    assert payload == '{"a":"é","b":1}'.encode()
    assert verify_jws(token, keys.public) == payload
    header, body, sig = token.split(".")
    # Flip the last signature character: either other bytes or non-canonical padding bits.
    last = "A" if sig[-1] != "A" else "B"
    with pytest.raises(SignatureInvalid):
        verify_jws(f"{header}.{body}.{sig[:-1]}{last}", keys.public)
    with pytest.raises(SignatureInvalid, match="clé inconnue"):
        verify_jws(token, {})
    # alg=none must never be accepted
    import base64
    import json

    none_header = base64.urlsafe_b64encode(json.dumps({"alg": "none"}).encode()).rstrip(b"=")
    with pytest.raises(SignatureInvalid):
        verify_jws(f"{none_header.decode()}.{body}.", keys.public)


@pytest.mark.parametrize(
    "establishment",
    [
        "CIUSSS du Centre-Sud-de-l'Île-de-Montréal",
        "Centre intégré universitaire de santé et de services sociaux du Centre-Sud-de-l'Île-de-Montréal",
        "É" * 200,
    ],
)
def test_any_establishment_name_makes_a_certificate(tmp_path: Path, establishment: str) -> None:
    files = init_keys(
        tmp_path / "k.pem", tmp_path / "c.pem", tmp_path / "p.pem", establishment=establishment, key_size=2048
    )
    cert = x509.load_pem_x509_certificate(files.certificate.read_bytes())
    names = [a.value for a in cert.subject]
    assert all(len(str(v).encode()) <= 64 for v in names)
    assert str(names[1]).startswith(establishment[:20])

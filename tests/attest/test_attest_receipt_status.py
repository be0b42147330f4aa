"""Receipts (escaping, offline) and renewal status."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from attest import (
    AttestationRecord,
    AttestationStore,
    DirectiveInfo,
    FormContent,
    attestation_status,
    render_receipt,
)
from attest.receipt import render_receipt_fragment


def test_receipt_escapes_every_value_and_works_offline(
    tmp_path: Path,
    form: FormContent,
    directive: DirectiveInfo,
    sign_one: Callable[..., AttestationRecord],
) -> None:
    with AttestationStore(tmp_path / "a.db") as store:
        rec = sign_one(store)
    evil = '<script>alert("x")</script>&"\''
    hostile = rec.model_copy(update={"full_name": evil, "job_title": evil, "direction": evil, "reason": evil})
    html = render_receipt(hostile, form, directive, revoked_reason=evil)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&quot;&#x27;" in html
    assert not re.search(r"(src|href)\s*=", html)  # nothing fetched: works offline
    assert "<style>" in html and "@media print" in html
    assert rec.verification_code in html and rec.record_hash in html
    for c in form.engagements:  # the text signed is reproduced
        assert c.sections_label in html
    # A different form text (hash differs): commitments not claimed.
    other = directive.model_copy(update={"version": "2099-01-01", "en_vigueur": "2099-01-01"})
    assert "Ce que vous avez déclaré" not in render_receipt(rec, form, other)


def test_page_is_built_from_the_fragment_the_app_shows(
    tmp_path: Path,
    form: FormContent,
    directive: DirectiveInfo,
    sign_one: Callable[..., AttestationRecord],
) -> None:
    with AttestationStore(tmp_path / "a.db") as store:
        rec = sign_one(store)
    fragment = render_receipt_fragment(rec, form, directive, revoked_reason="Erreur")
    page = render_receipt(rec, form, directive, revoked_reason="Erreur")
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</body></html>")
    assert page.split("<body>", 1)[1].removesuffix("</body></html>").strip() == f"<main>\n{fragment}\n</main>"
    assert "<html" not in fragment and "<style>" not in fragment and "<body" not in fragment
    assert "<main" not in fragment  # the app has its own main landmark
    assert fragment.startswith("<h1>Accusé de réception de votre engagement</h1>")
    assert "Cet engagement a été révoqué" in fragment and "Ce que vous avez déclaré" in fragment
    # Embedded under the app's own <h1>: the receipt's title becomes an <h2>, its sections <h3>.
    nested = render_receipt_fragment(rec, form, directive, title_level=2)
    assert nested.startswith("<h2>Accusé de réception de votre engagement</h2>") and "<h1>" not in nested
    assert "<h3>Ce que vous avez déclaré</h3>" in nested
    shifted = nested
    for level in (2, 3):
        for tag in ("<h", "</h"):
            shifted = shifted.replace(f"{tag}{level}>", f"{tag}{level - 1}>")
    assert shifted == render_receipt_fragment(rec, form, directive)
    with pytest.raises(ValueError):
        render_receipt_fragment(rec, title_level=6)


def _form_version(form: FormContent, version: str, minor: bool) -> FormContent:
    """A later version of the bundled form: ``version`` is relative to it (``+0.1``, ``+1``)."""
    major = form.version_key[0]
    absolute = f"{major}.1" if version == "+0.1" else f"{major + int(version)}"
    return form.model_copy(update={"version": absolute, "changement_mineur": minor})


@pytest.mark.parametrize(
    ("new_directive", "new_form", "expected"),
    [
        (None, None, "a-jour"),
        (("2025-01-01", True), None, "a-jour"),
        (("2025-01-01", False), None, "a-renouveler"),
        (None, ("+0.1", True), "a-jour"),
        (None, ("+1", False), "a-renouveler"),
        (("2025-01-01", True), ("+0.1", True), "a-jour"),
    ],
)
def test_renewal_rules(
    tmp_path: Path,
    form: FormContent,
    directive: DirectiveInfo,
    sign_one: Callable[..., AttestationRecord],
    new_directive: tuple[str, bool] | None,
    new_form: tuple[str, bool] | None,
    expected: str,
) -> None:
    with AttestationStore(tmp_path / "a.db") as store:
        sign_one(store, employee_number="5001")
        current = directive
        if new_directive:
            current = directive.model_copy(
                update={"version": new_directive[0], "version_mineure": new_directive[1]}
            )
        forms = [form]
        if new_form:
            forms.append(_form_version(form, *new_form))
        status = attestation_status(store, "5001", current, forms)
    assert status.state == expected, status.reasons
    if expected == "a-renouveler":
        assert status.label == "À renouveler"
        assert "Nouvelle version" in status.reasons[0]


def test_minor_after_major_still_needs_renewal(
    tmp_path: Path,
    form: FormContent,
    directive: DirectiveInfo,
    sign_one: Callable[..., AttestationRecord],
) -> None:
    """v1 signed; v2 (major) seen in the store; v2.1 minor current: v1 signers must renew."""
    major = directive.model_copy(update={"version": "2025-01-01", "version_mineure": False})
    minor = directive.model_copy(update={"version": "2025-02-01", "version_mineure": True})
    with AttestationStore(tmp_path / "a.db") as store:
        sign_one(store, employee_number="6001")
        sign_one(store, employee_number="6002", directive=major)
        assert attestation_status(store, "6001", minor, [form]).state == "a-renouveler"
        assert attestation_status(store, "6002", minor, [form]).state == "a-jour"
        # A new signature for the current version makes 6001 up to date again.
        sign_one(store, employee_number="6001", directive=minor)
        assert attestation_status(store, "6001", minor, [form]).state == "a-jour"

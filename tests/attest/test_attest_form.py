"""Form content (data, own words, sections) and submission validation."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from attest_testsupport import valid_values

from attest import (
    AttestationStore,
    DirectiveInfo,
    FormContent,
    FormError,
    SubmissionError,
    available_forms,
    is_valid_employee_number,
    load_form,
    validate_submission,
)

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
DIRECTIVE_SEED = next(iter(sorted(SEEDS.glob("001_*.txt"))), None) if SEEDS.exists() else None


def test_form_content_is_complete(form: FormContent, directive: DirectiveInfo) -> None:
    ids = {c.id for c in form.engagements}
    for expected in (
        "consentement",
        "outils-autorises",
        "aucun-nom",
        "bon-destinataire",
        "pas-urgence",
        "note-au-dossier",
        "signaler-incidents",
        "remettre-appareils",
        "doute-superieur",
    ):
        assert expected in ids
    text = form.text(directive)
    assert directive.numero in text and directive.en_vigueur in text
    assert directive.etablissement in text
    assert "(section 5.8)" in text and "(sections 5.10 et 8.6)" in text


def test_form_hash_follows_the_profile(form: FormContent, directive: DirectiveInfo) -> None:
    same = form.text_sha256(directive)
    assert same == form.text_sha256(directive) and len(same) == 64
    other = directive.model_copy(update={"en_vigueur": "2030-01-01"})
    assert form.text_sha256(other) != same


@pytest.mark.skipif(DIRECTIVE_SEED is None, reason="source directive not available")
def test_commitments_are_in_our_own_words(form: FormContent, directive: DirectiveInfo) -> None:
    """No run of 7 words of the form appears in the directive (no pasted sentences)."""
    assert DIRECTIVE_SEED is not None

    def words(text: str) -> list[str]:
        return re.findall(r"\w+", text.lower())

    source = " ".join(words(DIRECTIVE_SEED.read_text(encoding="utf-8")))
    texts = [c.texte for c in form.engagements] + [form.consentement_signature]
    for text in texts:
        w = words(text)
        for i in range(len(w) - 6):
            assert " ".join(w[i : i + 7]) not in source, text
    for c in form.engagements:
        for section in c.sections:
            assert re.search(rf"^{re.escape(section)}\.\s", source_raw(), re.M), section


def source_raw() -> str:
    assert DIRECTIVE_SEED is not None
    return DIRECTIVE_SEED.read_text(encoding="utf-8")


def test_bundled_forms_are_ordered_and_loadable() -> None:
    forms = available_forms()
    assert forms[0].version == "1"
    assert load_form("1").version == "1"
    with pytest.raises(FormError, match="introuvable"):
        load_form("99")


def test_bad_form_files_are_refused(tmp_path: Path, form: FormContent) -> None:
    (tmp_path / "engagement-v2.yaml").write_text("schema_version: 2\n", encoding="utf-8")
    with pytest.raises(FormError, match="schema_version"):
        available_forms(tmp_path)
    data = form.model_dump()
    data["engagements"].append(dict(data["engagements"][0]))
    import yaml

    (tmp_path / "engagement-v2.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(FormError, match="double"):
        available_forms(tmp_path)


def test_valid_submission(form: FormContent) -> None:
    sub = validate_submission(
        form,
        valid_values(form, full_name="  Marie-Ève   Tremblay ", signature="marie-ève tremblay"),
    )
    assert sub.full_name == "Marie-Ève Tremblay"
    assert sub.commitments == tuple(c.id for c in form.engagements)


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("0045", True),
        ("1234567890", True),
        (" 004512 ", True),
        ("123", False),
        ("12345678901", False),
        ("12a45", False),
        ("12 345", False),
        ("", False),
        ("١٢٣٤", False),
    ],
)
def test_employee_number_shape(number: str, ok: bool) -> None:
    assert is_valid_employee_number(number) is ok


def _all_but(form: FormContent, missing: str) -> dict[str, bool]:
    return {c.id: c.id != missing for c in form.engagements}


BAD_INPUTS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "nom vide",
        {"full_name": "", "signature": "x"},
        "full_name",
        "« Nom complet » est obligatoire",
    ),
    ("nom blanc", {"full_name": " \t\n ", "signature": "x"}, "full_name", "obligatoire"),
    (
        "nom sans lettre",
        {"full_name": "1234", "signature": "1234"},
        "full_name",
        "au moins une lettre",
    ),
    ("numéro court", {"employee_number": "12"}, "employee_number", "de 4 à 10 chiffres"),
    ("numéro lettres", {"employee_number": "AB1234"}, "employee_number", "de 4 à 10 chiffres"),
    ("numéro absent", {"employee_number": None}, "employee_number", "obligatoire"),
    ("numéro non texte", {"employee_number": 4512}, "employee_number", "obligatoire"),
    ("titre vide", {"job_title": "   "}, "job_title", "« Titre d'emploi » est obligatoire"),
    ("direction trop longue", {"direction": "D" * 201}, "direction", "ne doit pas dépasser 200"),
    ("nom trop long", {"full_name": "A" * 5000, "signature": "A" * 5000}, "full_name", "120"),
    ("html", {"job_title": "<b>chef</b>"}, "job_title", "< ou >"),
    ("script", {"full_name": "<script>alert(1)</script>", "signature": "x"}, "full_name", "< ou >"),
    ("contrôle", {"direction": "DSI\x00"}, "direction", "caractères de contrôle"),
    ("bidi", {"direction": "DSI\u202e"}, "direction", "caractères de contrôle"),
    ("signature autre", {"signature": "Jean Côté"}, "signature", "reproduire votre nom"),
    ("signature vide", {"signature": ""}, "signature", "obligatoire"),
    (
        "sans consentement",
        {"consent_electronic_signature": False},
        "consent_electronic_signature",
        "signer électroniquement",
    ),
    (
        "consentement texte",
        {"consent_electronic_signature": "oui"},
        "consent_electronic_signature",
        "signer électroniquement",
    ),
    (
        "engagement décoché",
        {"commitments": "SPECIAL:bon-destinataire"},
        "commitments",
        "L'engagement n° 4 (section 5.8) doit être coché",
    ),
    ("aucun engagement", {"commitments": {}}, "commitments", "n° 1 (section 5.4)"),
    (
        "engagement inconnu",
        {"commitments": "SPECIAL:+inventé"},
        "commitments",
        "Engagement inconnu",
    ),
    ("champ inconnu", {"role": "admin"}, "formulaire", "Champ inattendu"),
]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [pytest.param(o, f, m, id=i) for i, o, f, m in BAD_INPUTS],
)
def test_bad_input_is_refused_and_nothing_stored(
    form: FormContent, tmp_path: Path, overrides: dict[str, Any], field: str, message: str
) -> None:
    overrides = dict(overrides)
    special = overrides.get("commitments")
    if isinstance(special, str) and special.startswith("SPECIAL:+"):
        overrides["commitments"] = {**{c.id: True for c in form.engagements}, special[9:]: True}
    elif isinstance(special, str):
        overrides["commitments"] = _all_but(form, special.removeprefix("SPECIAL:"))
    db = tmp_path / "a.db"
    store = AttestationStore(db)
    with pytest.raises(SubmissionError) as caught:
        validate_submission(form, valid_values(form, **overrides))
    store.close()
    assert field in caught.value.errors
    assert any(message in m for m in caught.value.errors[field]), caught.value.errors
    assert message in str(caught.value)
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM attestations").fetchone() == (0,)


def test_every_problem_is_reported_at_once(form: FormContent) -> None:
    with pytest.raises(SubmissionError) as caught:
        validate_submission(form, {})
    errors = caught.value.errors
    assert {
        "employee_number",
        "full_name",
        "job_title",
        "direction",
        "establishment",
        "signature",
        "consent_electronic_signature",
        "commitments",
    } <= set(errors)
    assert len(errors["commitments"]) == len(form.engagements)

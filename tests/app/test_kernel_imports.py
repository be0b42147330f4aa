"""A learner's kernel imports only what the learner's page needs.

Every open page is a kernel process on the server: what it imports, it holds in memory for
as long as the learner stays. These tests run the app notebook in a real kernel (nbclient),
as Voilà does after ``serve`` prepared the data directory, and check which modules it holds.
They also check the two things that made the diet possible: the signing key read when the
learner signs, and the bank checked once and shared by the kernels.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from attest import AttestationStore, QuizResult, load_directive, load_form, validate_submission, verify_store
from attest.errors import SigningKeyError
from attest.keys import load_public_key, public_keys_by_id
from formation_tic.app.context import DeferredPrivateKey
from formation_tic.app.shared_bank import shared_graded_bank, warm_shared_bank
from formation_tic.settings import KERNEL_CONFIG_ENV, Settings, load_settings, write_kernel_config
from formation_tic.signing_keys import create_signing_keys
from scenarios.bank import BankError, load_graded_bank
from scenarios.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "formation_tic" / "app" / "notebooks" / "formation.ipynb"

NOT_IN_A_LEARNER_KERNEL = {
    # the LRS sender and the demo LRS launcher (the server flushes the outbox)
    "httpx": "client HTTP de l'envoi au LRS",
    "lrs_export.sender": "envoi au LRS",
    "lrs_export.client": "client du LRS",
    "lrs_export.local_lrs": "LRS de démonstration",
    "lrs_export.pull": "import des énoncés",
    # the signing library: read when the learner signs, not before
    "cryptography": "bibliothèque de signature",
    "jwt": "JWS des énoncés",
    "attest.verify": "vérificateur du registre",
    # the whole settings root (pydantic-settings, HR and LTI sections)
    "pydantic_settings": "racine des réglages",
    "formation_tic.settings": "racine des réglages",
    "formation_tic.hr": "code RH",
    "formation_tic.lti": "outil LTI",
    "openpyxl": "exports Excel (RH)",
    # the book build and the bank checker (the bank is checked once, by serve)
    "sphinx": "construction du livre",
    "jupyter_book": "construction du livre",
    "myst_nb": "construction du livre",
    "myst_parser": "analyse MyST du vérificateur",
    "docutils": "analyse MyST du vérificateur",
    "scenarios.check": "vérificateur de scénarios",
    "scenarios.audit": "audit des scénarios",
    "scenarios.build": "compilation des carnets",
    "babel": "formats fr-CA (importés au besoin)",
    # the stores read and write SQLite through localdb; sqlite-utils serves the HR side
    "sqlite_utils": "tables SQLite du côté RH",
    "click": "ligne de commande",
    # the shared bank carries every Markdown text already rendered
    "markdown_it": "analyseur Markdown",
    # ... and the registries, the forms and the directive already parsed
    "yaml": "analyseur YAML",
}


def _prepared_data_dir(tmp_path: Path) -> Settings:
    """A data directory as ``serve`` leaves it before the first learner: keys, bank, kernel file."""
    settings = load_settings(None, data_dir=tmp_path / "var", attest={"key_size": 2048})
    create_signing_keys(settings)
    assert warm_shared_bank(settings.bank, settings.profile, settings.paths.bank_cache)
    write_kernel_config(settings)
    return settings


def _run_learner_kernel(settings: Settings, tmp_path: Path) -> tuple[str, list[str]]:
    """Run the app notebook in a real kernel; return its display and the modules it holds."""
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import json, sys\nprint(json.dumps(sorted(sys.modules)))"))
    env = {KERNEL_CONFIG_ENV: str(settings.paths.kernel_config)}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        client = nbclient.NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        )
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    shown = nb.cells[0].outputs[0]["data"]["text/plain"]
    modules = json.loads(nb.cells[-1].outputs[0]["text"])
    return shown, modules


def test_learner_kernel_holds_only_what_the_page_needs(tmp_path: Path) -> None:
    settings = _prepared_data_dir(tmp_path)
    shown, modules = _run_learner_kernel(settings, tmp_path)
    assert shown.startswith("VBox("), shown[:300]  # the journey, not « momentanément indisponible »
    loaded = set(modules)
    present = {
        name: why
        for name, why in NOT_IN_A_LEARNER_KERNEL.items()
        if name in loaded or any(m.startswith(name + ".") for m in loaded)
    }
    assert not present, f"modules lourds dans un noyau d'apprenant : {present}"
    # The check means something: the page's own code is there.
    assert {"formation_tic.app.journey", "ipywidgets", "scenarios.model", "attest.store"} <= loaded


@pytest.fixture
def signing_setup(tmp_path: Path) -> Iterator[Settings]:
    yield _prepared_data_dir(tmp_path)


def test_deferred_key_signs_and_the_register_verifies(signing_setup: Settings) -> None:
    paths = signing_setup.paths
    key = DeferredPrivateKey(paths.private_key)
    form, directive = load_form(), load_directive()
    values = {
        "employee_number": "004512",
        "full_name": "Personne Essai",
        "job_title": "Infirmière",
        "direction": "Direction des soins infirmiers",
        "establishment": directive.etablissement,
        "signature": "Personne Essai",
        "consent_electronic_signature": True,
        "commitments": {c.id: True for c in form.engagements},
    }
    quiz = QuizResult(registration=uuid.UUID("6f1c1b1e-6a57-4b9e-9d0e-3f4f1c2b7a10"), score=0.9)
    with AttestationStore(paths.attestations) as store:
        store.sign(validate_submission(form, values), form, directive, quiz, "typed", key)  # type: ignore[arg-type]
    report = verify_store(paths.attestations, public_keys_by_id([load_public_key(paths.certificate)]))
    assert report.ok and report.count == 1


def test_deferred_key_still_refuses_a_key_others_can_read(signing_setup: Settings) -> None:
    paths = signing_setup.paths
    paths.private_key.chmod(0o644)
    key = DeferredPrivateKey(paths.private_key)  # nothing read yet
    with pytest.raises(SigningKeyError, match="chmod 600"):
        key.sign(b"x")


def test_shared_bank_is_the_checked_bank_and_follows_changes(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    shutil.copytree(ROOT / "scenarios" / "bank", bank)
    cache = tmp_path / "var" / "app" / "banque-verifiee.json"
    fresh = load_graded_bank([bank], load_profile(None))

    assert shared_graded_bank(bank, None, cache) == fresh  # checked, then written
    assert cache.stat().st_mode & 0o777 == 0o600  # it holds the graded answers
    assert shared_graded_bank(bank, None, cache) == fresh  # read back: the same scenarios

    # A trainer breaks a file while the server runs: the next page sees it, as before.
    victim = sorted(bank.rglob("*.yaml"))[0]
    good = victim.read_text(encoding="utf-8")
    victim.write_text(good + "\nchamp_inconnu: 1\n", encoding="utf-8")
    with pytest.raises(BankError):
        shared_graded_bank(bank, None, cache)
    assert not warm_shared_bank(bank, None, cache)  # serve starts anyway and logs the problems

    # Fixed again (same size would not matter: the modification time changes too).
    victim.write_text(good, encoding="utf-8")
    assert shared_graded_bank(bank, None, cache) == fresh


def test_shared_bank_carries_each_markdown_text_as_the_parser_renders_it(tmp_path: Path) -> None:
    """Kernels show the bank's renderings: they must be what the Markdown parser gives, for
    every text a quiz shows; a text missing from them is still rendered (parser on demand)."""
    from markdown_it import MarkdownIt

    from scenarios import quiz

    settings = _prepared_data_dir(tmp_path)
    data = json.loads(settings.paths.bank_cache.read_text(encoding="utf-8"))
    rendered: dict[str, str] = {}
    for entry in data["scenarios"]:
        packed = json.loads(zlib.decompress(base64.b64decode(entry["packed"])))
        assert packed["scenario"]["id"] == entry["id"]
        rendered.update(packed["rendered"])
    parser = MarkdownIt("commonmark", {"html": False})
    scenarios = shared_graded_bank(settings.bank, settings.profile, settings.paths.bank_cache)
    texts = {t for s in scenarios for t in quiz.markdown_texts(s)}
    assert texts and texts == set(rendered)
    assert all(rendered[t] == parser.render(t) for t in texts)
    assert quiz.markdown_html("Un **texte** absent") == "<p>Un <strong>texte</strong> absent</p>\n"


def test_shared_content_is_what_the_files_say(tmp_path: Path) -> None:
    """Forms, directive and rules read back from the shared file (as a kernel does) equal
    those read from their own files."""
    from attest.form import available_forms
    from formation_tic.app.shared_bank import shared_content
    from scenarios.sources import bundled_data

    settings = _prepared_data_dir(tmp_path)
    cache = settings.paths.bank_cache
    content = shared_content(settings.bank, settings.profile, cache)
    assert content.forms == available_forms()
    assert content.directive == load_directive(settings.profile)
    data = json.loads(cache.read_text(encoding="utf-8"))
    assert data["bundled"]["data/obligations.yaml"] == bundled_data("data/obligations.yaml")
    assert [f["version"] for f in data["forms"]] == [f.version for f in available_forms()]


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda text: text[: len(text) // 2], id="truncated"),
        pytest.param(lambda text: text.replace('"data/sources.yaml"', '"data/autre.yaml"', 1), id="bundled"),
        pytest.param(lambda text: text.replace('"fingerprint":[', '"fingerprint":[0,', 1), id="stale"),
    ],
)
def test_kernels_read_the_shared_file_and_check_again_when_it_is_damaged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: Any
) -> None:
    """A sound shared file spares the kernel the check; a damaged or stale one is never
    trusted: the bank is checked again and the file rewritten."""
    import scenarios.bank

    bank = tmp_path / "bank"
    shutil.copytree(ROOT / "scenarios" / "bank", bank)
    cache = tmp_path / "var" / "app" / "banque-verifiee.json"
    fresh = shared_graded_bank(bank, None, cache)
    checks: list[int] = []
    real = scenarios.bank.load_graded_bank

    def counted(*args: Any, **kwargs: Any) -> Any:
        checks.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(scenarios.bank, "load_graded_bank", counted)
    assert shared_graded_bank(bank, None, cache) == fresh
    assert checks == []  # read from the file
    cache.write_text(damage(cache.read_text(encoding="utf-8")), encoding="utf-8")
    assert shared_graded_bank(bank, None, cache) == fresh
    assert checks == [1]  # checked again
    assert shared_graded_bank(bank, None, cache) == fresh
    assert checks == [1]  # and the file rewritten


def test_a_learner_kernel_reads_only_the_scenarios_its_quiz_draws(tmp_path: Path) -> None:
    """The shared bank stays packed: opening the page reads no scenario, the welcome page of a
    new attempt reads the drawn ones only, and each is the checked bank's scenario."""
    from formation_tic.app.identity import Identity
    from formation_tic.app.journey import Journey
    from formation_tic.app.kernel import build_context
    from formation_tic.app.kernel_config import load_kernel_settings
    from formation_tic.app.lazy_bank import LazyBank

    settings = _prepared_data_dir(tmp_path)
    ctx = build_context(load_kernel_settings({KERNEL_CONFIG_ENV: str(settings.paths.kernel_config)}))
    bank = ctx.scenarios
    assert isinstance(bank, LazyBank) and bank.read_ids == set()
    journey = Journey(ctx, identity=Identity("40000021", "sso-header"))
    assert journey.flow.step == "accueil"
    drawn = set(journey.flow.draw)
    assert bank.read_ids <= drawn and len(drawn) < len(bank)
    fresh = {s.id: s for s in load_graded_bank([settings.bank], load_profile(settings.profile))}
    assert set(bank) == set(fresh)
    assert all(bank[sid] == fresh[sid] for sid in drawn)


def test_a_packed_scenario_that_is_not_its_entry_is_refused(tmp_path: Path) -> None:
    """A scenario read from the shared file must be the one its entry announces."""
    from formation_tic.app.lazy_bank import BankEntry, LazyBank
    from formation_tic.app.shared_bank import _unpack

    settings = _prepared_data_dir(tmp_path)
    data = json.loads(settings.paths.bank_cache.read_text(encoding="utf-8"))
    first, second = data["scenarios"][:2]
    entries = [BankEntry(e["id"], e["theme"], e["kind"]) for e in (first, second)]
    swapped = [base64.b64decode(second["packed"]), base64.b64decode(first["packed"])]
    bank = LazyBank(list(zip(entries, swapped, strict=True)), _unpack)
    for entry in entries:  # each is a sound scenario of the bank, under the other's entry
        with pytest.raises(ValueError, match="banque partagée incohérente"):
            bank[entry.id]


def test_a_stale_shared_file_never_lends_its_rules(tmp_path: Path) -> None:
    """The rules in a shared file made from older files are not used, not even for the check
    that replaces it: a trainer's corrected rules file is what the bank is checked against."""
    import yaml

    from scenarios.sources import bundled_data

    bank = tmp_path / "bank"
    shutil.copytree(ROOT / "scenarios" / "bank", bank)
    cache = tmp_path / "var" / "app" / "banque-verifiee.json"
    fresh = shared_graded_bank(bank, None, cache)
    data = json.loads(cache.read_text(encoding="utf-8"))
    data["fingerprint"].insert(0, "plus ancien")
    data["bundled"]["data/obligations.yaml"]["hors_champ"] = []  # what the older files said
    cache.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert shared_graded_bank(bank, None, cache) == fresh
    real = (ROOT / "scenarios" / "data" / "obligations.yaml").read_text(encoding="utf-8")
    assert bundled_data("data/obligations.yaml") == yaml.safe_load(real)

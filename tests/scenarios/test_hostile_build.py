"""Defence in depth: hostile pages that skipped ``scenarios check`` still build a harmless book.

One real Jupyter Book build (the pages written by the build's own ``stage_book``, the HTML by
its ``run_jupyter_book``) of every content attack of ``hostile/``, plus a clean scenario and a
hand-written chapter for comparison. A secret file sits where the attacks point
(``../../var/keys/signing-key.pem`` from the generated pages); an environment variable tells
the Jinja payloads where to create their marker file.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from scenarios.bank import render_scenario
from scenarios.build import BuildError, external_references, run_jupyter_book, stage_book
from scenarios.model import Scenario
from scenarios.profile import Profile, load_profile

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
CONTENT_ATTACKS = sorted(p for p in (HERE / "hostile").glob("*.yaml") if not p.stem.startswith("yaml-"))
CLEAN = ROOT / "scenarios" / "bank" / "roles-csio.yaml"
SECRET = "ftic-hostile-secret-7d3e9b"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)
CHAPTER = """# Essai de la garde

Une image du livre : ![logo](../_static/essai-garde.png)

Une image hors du livre : ![clé](../../var/keys/signing-key.pem)
"""

BOOK_SOURCES = Path(__file__).resolve().parents[2] / "book"


@dataclass(frozen=True)
class HostileBuild:
    work: Path
    html: Path
    error: str
    ids: list[str]


def unchecked_scenario(path: Path, profile: Profile) -> Scenario:
    """A scenario file as the build would render it, without ``scenarios check`` (schema only)."""
    return render_scenario(Scenario.model_validate(yaml.safe_load(path.read_text("utf-8"))), profile)


def _book_with_test_chapter(work: Path) -> Path:
    book = work / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "banque"))
    (book / "_static" / "essai-garde.png").write_bytes(PNG)
    (book / "chapitres" / "99-essai-garde.md").write_text(CHAPTER, "utf-8")
    toc = yaml.safe_load((book / "_toc.yml").read_text("utf-8"))
    toc["parts"][0]["chapters"].append({"file": "chapitres/99-essai-garde"})
    (book / "_toc.yml").write_text(yaml.safe_dump(toc, allow_unicode=True, sort_keys=False), "utf-8")
    return book


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory) -> HostileBuild:
    work = tmp_path_factory.mktemp("hostile")
    secret = work / "var" / "keys" / "signing-key.pem"
    secret.parent.mkdir(parents=True)
    secret.write_text(f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n-----END PRIVATE KEY-----\n", "utf-8")
    profile = load_profile()
    scenarios = [unchecked_scenario(p, profile) for p in [*CONTENT_ATTACKS, CLEAN]]
    staging = work / "book-src"  # the generated pages are book-src/banque/*.md
    stage_book(_book_with_test_chapter(work), staging, scenarios, profile)
    error = ""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("FTIC_HOSTILE_MARKER", str(work / "executed"))
        try:
            run_jupyter_book(staging, work / "out")
        except BuildError as exc:
            error = str(exc)
    return HostileBuild(work, work / "out" / "_build" / "html", error, [s.id for s in scenarios])


def test_every_hostile_page_was_built(hostile_build: HostileBuild) -> None:
    for sid in hostile_build.ids:
        assert (hostile_build.html / "banque" / f"{sid}.html").is_file(), sid
    assert (hostile_build.html / "chapitres" / "99-essai-garde.html").is_file()


def test_build_fails_naming_each_neutralised_construct(hostile_build: HostileBuild) -> None:
    error = hostile_build.error
    assert error.startswith("contenu refusé dans le livre")
    expected = {
        "hostile-download.md": ["lien vers un fichier local", "rôle « download »"],
        "hostile-eval-rst.md": ["bloc « {eval-rst} » (reStructuredText)"],
        "hostile-image.md": ["image", "image"],
        "hostile-literalinclude.md": [
            "directive « literalinclude »",
            "directive « include »",
            "directive « csv-table » lisant un fichier",
        ],
        "hostile-raw-html.md": ["directive « raw »", "directive « role »"],
        "99-essai-garde.md": ["image hors du livre"],
    }
    for page, refusals in expected.items():
        lines = [line for line in error.splitlines() if f"/{page}:" in line]
        assert sorted(line.split("contenu refusé : ", 1)[1] for line in lines) == sorted(refusals), page


def test_no_jinja_expression_ran(hostile_build: HostileBuild) -> None:
    assert not list(hostile_build.work.glob("executed*"))
    page = (hostile_build.html / "banque" / "hostile-jinja.html").read_text("utf-8")
    assert "popen(" in page  # shown as text, not evaluated


def test_no_file_of_the_build_machine_in_the_output(hostile_build: HostileBuild) -> None:
    out = hostile_build.work / "out"
    assert [p for p in out.rglob("*") if p.is_file() and SECRET.encode() in p.read_bytes()] == []
    assert [p for p in out.rglob("*signing-key*")] == []
    book_images = {p.name for p in BOOK_SOURCES.rglob("*.png")}  # the book's own pictures
    copied = {p.name for p in (hostile_build.html / "_images").iterdir()}
    assert "essai-garde.png" in copied and copied <= book_images | {"essai-garde.png"}
    assert sorted(p.name for p in (hostile_build.html / "_downloads").rglob("*") if p.is_file()) == [
        "xapi-profil.json"  # the hand-written reference chapter's own download still works
    ]


def _scripts(page: Path, sid: str) -> list[str]:
    text = page.read_text("utf-8").replace(f"banque/{sid}", "banque/PAGE")
    return re.findall(r"<script\b.*?</script>", text, re.S | re.I)


def test_no_script_from_content(hostile_build: HostileBuild) -> None:
    clean_id = hostile_build.ids[-1]
    normal = _scripts(hostile_build.html / "banque" / f"{clean_id}.html", clean_id)
    assert normal, "a clean page has the theme's scripts"
    for sid in hostile_build.ids:
        page = hostile_build.html / "banque" / f"{sid}.html"
        assert _scripts(page, sid) == normal, sid
        text = page.read_text("utf-8")
        assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", text, re.I), sid
        assert "<script>document.title" not in text, sid
    assert external_references(hostile_build.html) == []

"""``scenarios check`` refuses hostile scenario files, in French, with file:line:col, bounded.

Each file of ``hostile/`` is one attack on the build machine or the book's readers; its
``# expect:`` header lines are the exact problems the checker must print.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from formation_tic.cli import main
from scenarios.check import check_paths
from scenarios.markup import markup_problems
from scenarios.profile import load_profile
from scenarios.safe_yaml import MAX_FILE_BYTES

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
HOSTILE_DIR = HERE / "hostile"
HOSTILE = sorted(HOSTILE_DIR.glob("*.yaml"))
BOMB = HOSTILE_DIR / "yaml-billion-laughs.yaml"
VALID = (
    (HERE / "broken" / "single-zero-correct.yaml")
    .read_text("utf-8")
    .replace("      text: Réponse A\n", "      text: Réponse A\n      correct: true\n")
)

# Runs the checker in a child process whose address space is capped at 1 GiB: a parser
# that expanded aliases, recursed without bound or read a whole huge file would die of
# MemoryError/RecursionError there instead of printing the refusals.
CAPPED_CHECK = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    from scenarios.check import check_paths
    from scenarios.profile import load_profile
    result = check_paths([Path(p) for p in sys.argv[1:]], load_profile())
    print("\\n".join(str(p) for p in result.problems))
    """
)


def expected_lines(path: Path) -> list[str]:
    """The ``# expect:`` header lines of a hostile fixture, with the file path prefixed."""
    return [
        f"{path}:{line.removeprefix('# expect: ')}"
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("# expect: ")
    ]


def capped_check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CAPPED_CHECK, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )


def test_every_attack_has_a_fixture() -> None:
    assert {p.stem for p in HOSTILE} >= {
        "jinja-execution",
        "literalinclude-secret",
        "image-secret",
        "download-secret",
        "raw-html-script",
        "eval-rst-script",
        "yaml-billion-laughs",
        "yaml-deep-nesting",
    }
    assert all(expected_lines(p) for p in HOSTILE)


@pytest.mark.parametrize("path", [p for p in HOSTILE if p != BOMB], ids=lambda p: p.stem)
def test_hostile_file_is_refused_with_its_exact_errors(path: Path) -> None:
    result = CliRunner().invoke(main, ["scenarios", "check", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == expected_lines(path)


def test_billion_laughs_is_refused_with_bounded_memory() -> None:
    proc = capped_check(BOMB)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == expected_lines(BOMB)


def test_all_hostile_files_reported_in_one_bounded_run() -> None:
    proc = capped_check(HOSTILE_DIR)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == [line for p in HOSTILE for line in expected_lines(p)]


def test_oversized_file_is_refused_without_being_read(tmp_path: Path) -> None:
    huge = tmp_path / "enorme.yaml"
    with huge.open("wb") as handle:  # sparse: 4 GiB of « file » that costs no disk
        handle.truncate(4 << 30)
    big = tmp_path / "gros.yaml"
    big.write_text(VALID.replace("situation: Un usager écrit.", "situation: " + "x" * MAX_FILE_BYTES))
    proc = capped_check(huge, big)
    assert proc.returncode == 0, proc.stderr[-2000:]
    refusal = (
        "fichier trop volumineux (plus de 64 Kio ; un scénario en fait d'ordinaire moins de 10) : "
        "découpez-le en plusieurs scénarios"
    )
    assert proc.stdout.splitlines() == [f"{huge}:1:1: {refusal}", f"{big}:1:1: {refusal}"]


def test_a_file_under_the_size_limit_is_read(tmp_path: Path) -> None:
    fine = tmp_path / "long.yaml"
    fine.write_text(VALID.replace("situation: Un usager écrit.", "situation: " + "x " * 20_000), "utf-8")
    assert check_paths([fine], load_profile()).ok


@pytest.mark.parametrize(
    "yaml_text, message",
    [
        ("schema_version: 1\nid: &x a\n", "2:5: champ « id » : ancre YAML « &x » refusée"),
        (
            "schema_version: 1\nid: a\ntitle: *x\n",
            "3:8: scénario « a », champ « title » : alias YAML « *x » refusé",
        ),
        ("schema_version: 1\nid: a\ntags: !!python/name:os.system x\n", "3:7: erreur de syntaxe"),
    ],
)
def test_yaml_constructs_outside_the_format_are_refused(tmp_path: Path, yaml_text: str, message: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(yaml_text, "utf-8")
    problems = [str(p) for p in check_paths([path], load_profile()).problems]
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}:{message}")


@pytest.mark.parametrize(
    "text",
    [
        "Du **gras**, de l'*italique*, `du code` et [un lien](https://www.quebec.ca).",
        "Écrire à {{ etab.contacts.telesante.courriel }} ou à <mailto:x@exemple.ca>.",
        "- un\n- deux\n\n1. premier\n2. second\n\n> Une citation.",
        "50 % des cas ; {accolades} seules ; 3 < 4 et 5 > 2.",
    ],
)
def test_the_markdown_a_course_needs_is_allowed(text: str) -> None:
    assert markup_problems(text) == []


@pytest.mark.parametrize(
    "text, refused",
    [
        ("{{ etab.contacts.archives.nom | upper }}", "expression « {{ … }} »"),
        ("{{etab.x}}{{ 7*7 }}", "expression « {{ … }} »"),
        ("{% for x in y %}{% endfor %}", "expression « {% … %} »"),
        ("\\{{ etab.contacts.archives.nom }}", "expression « {{ … }} »"),
        ("Voir {ref}`ch-incidents`.", "rôle MyST « {ref}`…` »"),
        (":::{dropdown} Réponse\nA\n:::", "directive MyST « :::{dropdown} »"),
        ("~~~{eval-rst}\n.. raw:: html\n~~~", "directive MyST « ~~~{eval-rst} »"),
        ("```python\nimport os\n```", "bloc « ``` » refusé"),
        ("Texte\n\n    <script>alert(1)</script>", "bloc de code"),
        ("Un [lien relatif](../secret.pem).", "lien refusé"),
        ("Un [lien](file:///etc/passwd).", "lien refusé"),
        ("<img src=x onerror=alert(1)>", "HTML brut refusé"),
        ("![](https://exemple.ca/a.png)", "image refusée"),
        ("## Titre", "titre Markdown"),
        ("(cible)=\nTexte", "cible de renvoi MyST"),
        ("% caché", "commentaire MyST"),
        ("| a |\n|---|\n| b |", "tableau refusé"),
        ("Note[^1].\n\n[^1]: bas de page", "note de bas de page"),
    ],
)
def test_other_markup_is_refused(text: str, refused: str) -> None:
    messages = [p.message for p in markup_problems(text)]
    assert messages, text
    assert refused in messages[0]


def test_refusals_in_a_literal_block_point_at_their_own_line(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(
        VALID.replace(
            "situation: Un usager écrit.",
            "situation: |\n  Ligne un.\n\n  Voir {download}`ceci <x.pem>`.\n",
        ),
        "utf-8",
    )
    problems = check_paths([path], load_profile()).problems
    assert [(p.position.line, p.position.column, p.field) for p in problems] == [(11, 8, "situation")]
    line = path.read_text("utf-8").splitlines()[10]
    assert line[7:].startswith("{download}")

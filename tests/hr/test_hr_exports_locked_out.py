"""The register's CSV and XLSX files say what the report says about quiz attempts.

A real world (roster, signed register, pulled statements) and the learner app's real
progress file, seeded as the app writes it; the grant goes through ``formation-tic attempts
grant`` and the files through ``formation-tic report`` and ``formation-tic reminders``, as HR
runs them. A person locked out (« Échec — essais épuisés » in the report) reads « oui » in
« Essais épuisés »; a person granted an extra attempt has its count in « Essais
supplémentaires accordés »; an ordinary person has neither. The report's HTML is the
reference: the files must agree with it, person by person.
"""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from attest import DirectiveInfo, FormContent
from formation_tic.app.progress import ProgressStore
from formation_tic.app.settings import LearnerAppSettings
from formation_tic.settings import DataPaths

from .hr_support import failed
from .world import Person, World

MANAGER = "1000"  # attested, never took the quiz here
LOCKED = "2001"  # every allowed attempt failed
GRANTED = "2002"  # every allowed attempt failed, then one more granted (not used yet)
REFAILED = "2003"  # granted one more, failed it too: locked out again
ORDINARY = "2004"  # one failed attempt, attempts left
LATE_LOCKED = "2005"  # late (no attestation) and locked out: on the reminder list

EVIL = '=HYPERLINK("http://x.example";"clic")'
EPUISES = "Essais épuisés"
ACCORDES = "Essais supplémentaires accordés"

BEFORE = [
    "Matricule",
    "Nom",
    "Prénom",
    "Titre d'emploi",
    "Direction",
    "Service",
    "Matricule du gestionnaire",
    "Gestionnaire",
    "Date d'embauche (AAAA-MM-JJ)",
    "Statut",
    "Activité de formation",
    "Version du formulaire",
    "Version de la directive",
    "Date de l'attestation (AAAA-MM-JJ)",
    "Code de vérification",
    "Identité",
    "Motif du renouvellement",
    "Dernière activité (AAAA-MM-JJ)",
    "Jours de retard",
    "Date d'embauche à vérifier",
]
"""The register file's columns before the attempt columns: unchanged, in this order."""


def _attempts(store: ProgressStore, number: str, version: str, count: int) -> None:
    """``count`` attempts, as the app leaves them: the earlier ones closed, the last one failed."""
    for n in range(1, count + 1):
        attempt = store.create(number, str(uuid.uuid4()), version, ["s1", "s2"], n, "quiz")
        store.record_answer(attempt.registration, "s1", False)
        store.set_state(attempt.registration, "failed" if n == count else "closed", score=0.0)


def _cli(cli: click.Group, data: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result


@pytest.fixture
def world(
    tmp_path: Path, hr_keys: Any, directive: DirectiveInfo, form: FormContent, hr_cli: click.Group
) -> World:
    w = World(tmp_path, hr_keys, directive, form)
    w.people = [
        Person(MANAGER, hired_days_ago=900, last_name="Gestionnaire"),
        Person(LOCKED, manager=MANAGER, last_name=EVIL),
        Person(GRANTED, manager=MANAGER, last_name="-Moins"),
        Person(REFAILED, manager=MANAGER, last_name="Roy"),
        Person(ORDINARY, manager=MANAGER, hired_days_ago=100, last_name="Côté"),
        Person(LATE_LOCKED, manager=MANAGER, hired_days_ago=100, last_name="Gagnon"),
    ]
    w.signatures = [(MANAGER, form, directive)]
    w.statements = failed(LOCKED) + failed(GRANTED) + failed(REFAILED) + failed(ORDINARY)
    w.build()

    allowed = LearnerAppSettings().max_attempts
    with ProgressStore(DataPaths(tmp_path).progress) as store:
        for number in (LOCKED, GRANTED, REFAILED, LATE_LOCKED):
            _attempts(store, number, directive.version, allowed)
        _attempts(store, ORDINARY, directive.version, 1)
    for number in (GRANTED, REFAILED):
        granted = _cli(hr_cli, tmp_path, "attempts", "grant", number, "--by", MANAGER, "--reason", "Congé")
        assert f"Essai supplémentaire accordé à {number}" in granted.stdout
    with ProgressStore(DataPaths(tmp_path).progress) as store:  # the extra attempt, failed
        latest = store.latest(REFAILED, directive.version)
        assert latest is not None
        extra = store.replace_failed(latest, str(uuid.uuid4()), ["s1", "s2"])
        assert extra is not None
        store.set_state(extra.registration, "failed", score=0.0)
    return w


def _report(cli: click.Group, world: World, out: Path) -> Any:
    return _cli(
        cli, world.tmp, "report", "--output-dir", str(out), "--public-key", str(world.keys.certificate)
    )


def _html_rows(html: str) -> dict[str, str]:
    """Each person's row of the report's « Personnes à suivre » table."""
    people = html.split("<h2>Personnes à suivre</h2>")[1].split("</section>")[0]
    return {
        chunk.split("</th>")[0]: chunk.split("</tr>")[0] for chunk in people.split("<th scope='row'>")[1:]
    }


def test_register_files_flag_locked_out_people_and_grants(
    world: World, hr_cli: click.Group, tmp_path: Path
) -> None:
    out = tmp_path / "rapports"
    result = _report(hr_cli, world, out)
    assert "Essais épuisés : 3\u00a0personnes ne peuvent plus recommencer" in result.stdout

    raw = next(out.glob("*.csv")).read_text("utf-8-sig")
    header, *body = list(csv.reader(io.StringIO(raw), delimiter=";"))
    assert header == [*BEFORE, EPUISES, ACCORDES]
    by = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    flags = {n: (r[EPUISES], r[ACCORDES]) for n, r in by.items()}
    assert flags == {
        MANAGER: ("", ""),
        LOCKED: ("oui", ""),
        GRANTED: ("", "1"),
        REFAILED: ("oui", "1"),
        ORDINARY: ("", ""),
        LATE_LOCKED: ("oui", ""),
    }
    assert by[LOCKED]["Statut"] == "Échec" and by[LATE_LOCKED]["Statut"] == "En retard"
    assert by[ORDINARY]["Statut"] == "En retard"
    # Formula injection: still neutralized, next to the new columns.
    assert by[LOCKED]["Nom"] == "'" + EVIL and by[GRANTED]["Nom"] == "'-Moins"

    sheet = load_workbook(next(out.glob("*.xlsx"))).active
    assert sheet is not None
    titles = [c.value for c in sheet[1]]
    assert titles == [*BEFORE, EPUISES, ACCORDES]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:V{len(body) + 1}"
    cells = {row[0].value: dict(zip(titles, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    got = {n: (c[EPUISES].value, c[ACCORDES].value) for n, c in cells.items()}
    assert got == {
        MANAGER: (None, None),
        LOCKED: ("oui", None),
        GRANTED: (None, 1),
        REFAILED: ("oui", 1),
        ORDINARY: (None, None),
        LATE_LOCKED: ("oui", None),
    }
    assert cells[GRANTED][ACCORDES].data_type == "n"
    assert cells[LOCKED]["Nom"].value == EVIL and cells[LOCKED]["Nom"].data_type == "s"

    # The report says the same, person by person.
    html = next(out.glob("*.html")).read_text("utf-8")
    rows = _html_rows(html)
    assert "Échec — essais épuisés" in rows[LOCKED] and "En retard — essais épuisés" in rows[LATE_LOCKED]
    for number, (locked, _granted) in flags.items():
        if number in rows:
            assert ("— essais épuisés" in rows[number]) == (locked == "oui"), number
    grants = html.split("<h2>Essais supplémentaires accordés</h2>")[1].split("</section>")[0]
    listed = {n for n in by if f"<th scope='row'>{n}</th>" in grants}
    assert listed == {n for n, (_locked, count) in flags.items() if count} == {GRANTED, REFAILED}


def test_reminder_list_flags_locked_out_people(world: World, hr_cli: click.Group, tmp_path: Path) -> None:
    target = tmp_path / "relances.csv"
    _cli(
        hr_cli,
        world.tmp,
        "reminders",
        "--output",
        str(target),
        "--public-key",
        str(world.keys.certificate),
    )
    header, *body = list(csv.reader(io.StringIO(target.read_text("utf-8-sig")), delimiter=";"))
    assert header[:3] == ["Matricule", "Nom", "Prénom"] and header[-2:] == [EPUISES, ACCORDES]
    by = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert set(by) == {ORDINARY, LATE_LOCKED}
    assert (by[LATE_LOCKED][EPUISES], by[LATE_LOCKED][ACCORDES]) == ("oui", "")
    assert (by[ORDINARY][EPUISES], by[ORDINARY][ACCORDES]) == ("", "")

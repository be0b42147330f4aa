"""Report, reminders and item analysis: files as HR and trainers open them, escaped."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from attest import DirectiveInfo, FormContent
from formation_tic.hr.items import ItemThresholds, analyze_items
from formation_tic.hr.report_html import render_report_html

from .hr_support import answer_branching, answer_single, failed, started
from .world import Person, World

EVIL = '=HYPERLINK("http://x.example";"clic")'
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def world(tmp_path: Path, hr_keys: Any, directive: DirectiveInfo, form: FormContent) -> World:
    old = directive.model_copy(update={"version": "2020-01-01", "version_mineure": False})
    w = World(tmp_path, hr_keys, directive, form)
    w.people = [
        Person("1000", hired_days_ago=900, last_name="Gestionnaire"),
        Person("1001", manager="1000", hired_days_ago=100, last_name=EVIL),
        Person("1002", manager="1000", hired_days_ago=100, last_name=SCRIPT, direction="DRH"),
        Person("1003", manager="1001", hired_days_ago=5, last_name="+Plus"),
        Person("1004", manager="1001", hired_days_ago=5, last_name="@Arobas"),
    ]
    w.signatures = [("1000", form, directive), ("1001", form, old)]
    w.statements = started("1003") + failed("1004")
    w.build()
    return w


def invoke(cli: click.Group, world: World, *args: str) -> Any:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(world.tmp), *args, "--public-key", str(world.keys.certificate)]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_report_terminal_summary_and_files(world: World, hr_cli: click.Group, tmp_path: Path) -> None:
    out = tmp_path / "rapports"
    result = invoke(hr_cli, world, "report", "--output-dir", str(out))
    lines = result.stdout.splitlines()
    assert any(re.match(r"Attesté\s+1\s+20,0\s%", line) for line in lines)
    assert any(re.match(r"À renouveler\s+1\s+20,0\s%", line) for line in lines)
    assert any(re.match(r"En retard\s+1\s+20,0\s%", line) for line in lines)
    assert any(re.match(r"Échec\s+1\s+20,0\s%", line) for line in lines)
    assert any(re.match(r"En cours\s+1\s+20,0\s%", line) for line in lines)
    assert any(re.match(r"Total\s+5", line) for line in lines)
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 3 and all(
        re.fullmatch(r"registre-\d{4}-\d\d-\d\d\.(csv|xlsx|html)", f) for f in files
    )

    raw = next(out.glob("*.csv")).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfMatricule;Nom;Pr\xc3\xa9nom;")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    by = {r[0]: r for r in table[1:]}
    assert by["1001"][1] == "'" + EVIL and by["1003"][1] == "'+Plus" and by["1004"][1] == "'@Arobas"
    assert by["1002"][1] == SCRIPT  # plain text in CSV: not a formula
    assert by["1001"][9] == "À renouveler" and by["1002"][9] == "En retard"

    sheet = load_workbook(next(out.glob("*.xlsx"))).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:V6"
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert cells["1001"][1].value == EVIL and cells["1001"][1].data_type == "s"

    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script" not in html.lower() and not re.search(r"(src|href)\s*=\s*['\"]?https?:", html)
    assert "<caption id=" in html and "role='img'" in html and "<desc" in html
    assert "Achèvement par direction" in html and "Personnes en retard par gestionnaire" in html


def test_manager_report_only_their_team(world: World, hr_cli: click.Group, tmp_path: Path) -> None:
    result = invoke(
        hr_cli, world, "report", "--manager", "1001", "--format", "csv", "--output-dir", str(tmp_path)
    )
    assert re.search(r"Total\s+2", result.stdout)
    csv_file = tmp_path / next(p.name for p in tmp_path.glob("registre-gestionnaire-1001-*.csv"))
    numbers = [r[0] for r in csv.reader(io.StringIO(csv_file.read_text("utf-8-sig")), delimiter=";")][1:]
    assert numbers == ["1003", "1004"]
    assert not list(tmp_path.glob("*.xlsx"))


def test_reminders_list_late_and_renewals_with_manager(
    world: World, hr_cli: click.Group, tmp_path: Path
) -> None:
    target = tmp_path / "relances.csv"
    result = invoke(hr_cli, world, "reminders", "--output", str(target))
    assert "2\u00a0personnes à relancer : 1 en retard, 1 à renouveler" in result.stdout
    table = list(csv.reader(io.StringIO(target.read_text("utf-8-sig")), delimiter=";"))
    header, body = table[0], table[1:]
    assert header[:3] == ["Matricule", "Nom", "Prénom"] and "Nom du gestionnaire" in header
    by = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert set(by) == {"1001", "1002"}
    assert by["1002"]["Nom du gestionnaire"] == "Gestionnaire" and by["1002"]["Jours de retard"] == "70"
    assert by["1001"]["Nom"] == "'" + EVIL and "directive" in by["1001"]["Motif"]


def test_html_report_escapes_direction_names_in_charts(world: World) -> None:
    register = world.register()
    rows = [r._replace(direction="<b>Dir</b>") for r in register.rows]
    html = render_report_html(register.model_copy(update={"rows": rows}))
    assert "<b>Dir</b>" not in html and "&lt;b&gt;Dir&lt;/b&gt;" in html


def test_report_without_roster_is_a_french_error(hr_cli: click.Group, tmp_path: Path) -> None:
    result = CliRunner().invoke(hr_cli, ["--data-dir", str(tmp_path), "report"])
    assert result.exit_code == 1 and "Importez d'abord la liste du personnel" in result.output


# --- item analysis -----------------------------------------------------------------------------


@pytest.fixture
def answered_world(tmp_path: Path, hr_keys: Any, directive: DirectiveInfo, form: FormContent) -> World:
    w = World(tmp_path, hr_keys, directive, form)
    w.people = [Person(str(6000 + i), direction="DSI" if i < 10 else "DRH") for i in range(20)]
    statements: list[dict[str, Any]] = []
    for i in range(20):
        n = str(6000 + i)
        choice = "appeler" if i < 2 else ("ecrire" if i < 15 else "texto")
        statements.append(answer_single(n, choice))
        if i < 12:
            statements += answer_branching(n, ["prudent", "envoyer"], ["debut", "suite", "echec"])
        elif i < 15:
            statements += answer_branching(n, ["risque"], ["debut", "echec"])
        else:
            statements += answer_branching(n, ["prudent", "verifier"], ["debut", "suite", "reussite"])
    w.statements = statements
    w.build()
    return w


def test_item_analysis(answered_world: World) -> None:
    stats = {s.scenario_id: s for s in analyze_items(answered_world.statements_db)}
    assert set(stats) == {"hr-simple", "hr-embranchement"}  # decision steps are not scenarios
    single = stats["hr-simple"]
    assert (single.answers, single.people, single.successes) == (20, 20, 2)
    assert single.success_rate == pytest.approx(0.1)
    assert (
        single.top_wrong_response == "Écrire un courriel (ecrire)" and single.top_wrong_response_count == 13
    )
    assert single.flag == "presque-tous-echouent" and single.title == "Choix <simple>"
    branching = stats["hr-embranchement"]
    assert branching.success_rate == pytest.approx(0.25)
    assert branching.top_wrong_path == "debut → suite → echec" and branching.top_wrong_path_count == 12
    assert branching.flag is None
    strict = analyze_items(answered_world.statements_db, thresholds=ItemThresholds(min_attempts=21))
    assert all(s.flag is None for s in strict)
    team = {s.scenario_id: s for s in analyze_items(answered_world.statements_db, employees=["6000", "6001"])}
    assert team["hr-simple"].success_rate == 1.0 and team["hr-simple"].answers == 2


def test_items_cli_filters_and_files(answered_world: World, hr_cli: click.Group, tmp_path: Path) -> None:
    out = tmp_path / "items"
    args = ["--data-dir", str(answered_world.tmp), "items", "--output-dir", str(out)]
    result = CliRunner().invoke(hr_cli, args)
    assert result.exit_code == 0, result.output
    assert re.search(r"hr-simple\s+20\s+10,0\s%\s+⚠ Presque tout le monde échoue", result.stdout)
    html = next(out.glob("*.html")).read_text("utf-8")
    assert "Choix &lt;simple&gt;" in html and "<simple>" not in html and "role='img'" in html
    body = next(out.glob("*.csv")).read_text("utf-8-sig")
    assert "debut → suite → echec" in body
    drh = CliRunner().invoke(hr_cli, [*args, "--direction", "DRH"])
    assert drh.exit_code == 0, drh.output
    assert re.search(r"hr-simple\s+10\s+0,0\s%", drh.stdout)

"""Roster import: formats, encodings, bad rows reported with line numbers, upsert."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from attest.hr import RosterError, import_roster

from .hr_support import ROSTER_HEADER, roster_csv

GOOD = "0001;Tremblay;Marie;Directrice;DSI;Urgence;;2010-01-01;actif"


def rows(db: Path) -> dict[str, tuple]:
    conn = sqlite3.connect(db)
    try:
        return {r[0]: r for r in conn.execute("SELECT * FROM roster")}
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("12;Court;Matricule;;;;;;actif", "matricule invalide"),
        ("00A12;Lettre;Matricule;;;;;;actif", "matricule invalide"),
        (";Sans;Matricule;;;;;;actif", "matricule manquant"),
        ("0002;;Prénom;;;;;;actif", "nom manquant"),
        ("0002;Nom;;;;;;;actif", "prénom manquant"),
        ("0002;Nom;Prénom;;;;12;;actif", "matricule du gestionnaire invalide"),
        ("0002;Nom;Prénom;;;;0002;;actif", "sa propre gestionnaire"),
        ("0002;Nom;Prénom;;;;;2024-02-30;actif", "date d'embauche illisible"),
        ("0002;Nom;Prénom;;;;;1901-01-01;actif", "invraisemblable"),
        ("0002;Nom;Prénom;;;;;;en vacances", "statut inconnu"),
        ("0002;Nom;Prénom;;;;;;", "statut manquant"),
        ("0002;Nom;Prénom;;;;;;actif;en trop;encore", "champs au lieu de 9"),
        ("0002;Nom\x07;Prénom;;;;;;actif", "caractères de contrôle"),
        ("0002;" + "N" * 121 + ";Prénom;;;;;;actif", "nom trop long"),
    ],
)
def test_bad_row_is_reported_and_good_rows_load(tmp_path: Path, line: str, reason: str) -> None:
    path = roster_csv(tmp_path / "p.csv", [GOOD, line, "0003;Côté;Luc;;DSI;;0001;15/03/2020;actif"])
    report = import_roster(tmp_path / "hr.db", path)
    assert [e.line for e in report.rejected] == [3]
    assert reason in " ".join(report.rejected[0].reasons)
    assert set(rows(tmp_path / "hr.db")) == {"0001", "0003"}
    assert rows(tmp_path / "hr.db")["0003"][7] == "2020-03-15"  # jj/mm/aaaa read as such


def test_windows_1252_comma_separated_english_headers(tmp_path: Path) -> None:
    data = "Employee number,Last name,First name,Status\r\n0004,Côté,André,active\r\n".encode("cp1252")
    (tmp_path / "p.csv").write_bytes(data)
    report = import_roster(tmp_path / "hr.db", tmp_path / "p.csv")
    assert (report.encoding, report.delimiter) == ("Windows-1252", ",")
    assert rows(tmp_path / "hr.db")["0004"][1:3] == ("Côté", "André")


def test_mixed_encodings_line_by_line(tmp_path: Path) -> None:
    head = "\ufeffMatricule;Nom;Prénom;Statut\r\n".encode()
    utf8 = "0005;Bélanger;Émilie;actif\r\n".encode()
    cp = "0006;Gagné;Hélène;actif\r\n".encode("cp1252")
    broken = b"0007;Bad\x81;X;actif\r\n"  # 0x81 is undefined in Windows-1252
    (tmp_path / "p.csv").write_bytes(head + utf8 + cp + broken)
    report = import_roster(tmp_path / "hr.db", tmp_path / "p.csv")
    data = rows(tmp_path / "hr.db")
    assert data["0005"][1] == "Bélanger" and data["0006"][1:3] == ("Gagné", "Hélène")
    assert report.encoding is not None and "mixte" in report.encoding
    assert [(e.line, e.employee_number) for e in report.rejected] == [(4, "0007")]
    assert "illisibles" in report.rejected[0].reasons[0]


def test_duplicate_employee_numbers_keep_first_and_report_others(tmp_path: Path) -> None:
    path = roster_csv(
        tmp_path / "p.csv",
        [GOOD, "0001;Autre;Personne;;;;;;actif", "0002;Roy;Ana;;;;;;actif", "0001;Encore;Une;;;;;;actif"],
    )
    report = import_roster(tmp_path / "hr.db", path)
    assert [(e.line, e.reasons[0]) for e in report.rejected] == [
        (3, "matricule en double (déjà présent à la ligne 2)"),
        (5, "matricule en double (déjà présent à la ligne 2)"),
    ]
    assert rows(tmp_path / "hr.db")["0001"][1] == "Tremblay"


def test_quoted_cells_with_separators_and_newlines_keep_line_numbers(tmp_path: Path) -> None:
    path = roster_csv(
        tmp_path / "p.csv",
        ['0008;"Dion; fils";"Jean\nPierre";;;;;;actif', "12;X;Y;;;;;;actif"],
    )
    report = import_roster(tmp_path / "hr.db", path)
    assert rows(tmp_path / "hr.db")["0008"][1:3] == ("Dion; fils", "Jean Pierre")
    assert report.rejected[0].line == 4


def test_formula_and_html_names_are_kept_verbatim(tmp_path: Path) -> None:
    path = roster_csv(
        tmp_path / "p.csv",
        ['0009;"=HYPERLINK(""http://x.example"";""clic"")";<script>alert(1)</script>;;;;;;actif'],
    )
    report = import_roster(tmp_path / "hr.db", path)
    assert rows(tmp_path / "hr.db")["0009"][1:3] == (
        '=HYPERLINK("http://x.example";"clic")',
        "<script>alert(1)</script>",
    )
    assert any("neutralisées" in w for w in report.warnings)


def test_upsert_marks_departures_and_keeps_them(tmp_path: Path) -> None:
    db = tmp_path / "hr.db"
    import_roster(db, roster_csv(tmp_path / "a.csv", [GOOD, "0002;Roy;Ana;;DSI;;0001;;actif"]))
    second = roster_csv(tmp_path / "b.csv", [GOOD, "0002;Roy;Ana;;DRH;;0001;;parti"])
    report = import_roster(db, second, today=dt.date(2025, 1, 31))
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 1)
    data = rows(db)
    assert data["0002"][4] == "DRH" and data["0002"][8] == "left" and data["0002"][10] == "2025-01-31"
    again = import_roster(db, second, today=dt.date(2025, 3, 1))
    assert again.unchanged == 2 and rows(db)["0002"][10] == "2025-01-31"  # first departure date kept


def test_complete_file_marks_absent_people_left_but_not_rejected_ones(tmp_path: Path) -> None:
    db = tmp_path / "hr.db"
    import_roster(
        db,
        roster_csv(tmp_path / "a.csv", [GOOD, "0002;Roy;Ana;;;;;;actif", "0003;Roy;Bo;;;;;;actif"]),
    )
    # 0003 is on a rejected line (bad date): it must not be marked as left by mistake.
    partial = roster_csv(tmp_path / "b.csv", [GOOD, "0003;Roy;Bo;;;;;99/99/9999;actif"])
    report = import_roster(db, partial, complete=True)
    assert report.marked_left == 1
    assert {n: r[8] for n, r in rows(db).items()} == {"0001": "active", "0002": "left", "0003": "active"}


def test_xlsx_roster(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["N° d'employé", "Nom de famille", "Prénom", "Date d'embauche", "Statut", "Gestionnaire"])
    sheet.append(["004512", "Lévesque", "Anne", dt.datetime(2021, 5, 3), "Actif", 1234])
    sheet.append([45, "Bad", "Row", None, "actif", None])
    sheet.append([None, None, None, None, None, None])
    workbook.save(tmp_path / "p.xlsx")
    report = import_roster(tmp_path / "hr.db", tmp_path / "p.xlsx")
    assert rows(tmp_path / "hr.db")["004512"][6:8] == ("1234", "2021-05-03")
    assert [e.line for e in report.rejected] == [3] and report.blank_lines == 1


def test_missing_required_columns_is_a_clear_error(tmp_path: Path) -> None:
    path = roster_csv(tmp_path / "p.csv", ["0001;Tremblay"], header="Matricule;Nom")
    with pytest.raises(RosterError, match="prénom"):
        import_roster(tmp_path / "hr.db", path)


def test_cli_import_reports_lines_and_writes_errors_file(tmp_path: Path, hr_cli: click.Group) -> None:
    path = roster_csv(tmp_path / "p.csv", [GOOD, "12;Nom;Secret;;;;;;actif"])
    result = CliRunner().invoke(
        hr_cli,
        ["roster", "import", str(path), "--db", str(tmp_path / "hr.db"), "--errors", str(tmp_path / "e.csv")],
    )
    assert result.exit_code == 0, result.output
    assert "1 ajoutée(s)" in result.stdout and "1 refusée(s)" in result.stdout
    assert "ligne 3 : matricule invalide" in result.stderr
    assert "Secret" not in result.output  # no names in the messages
    errors = (tmp_path / "e.csv").read_bytes()
    assert errors.startswith(b"\xef\xbb\xbfLigne;Matricule;Motif")
    strict = CliRunner().invoke(
        hr_cli, ["roster", "import", str(path), "--db", str(tmp_path / "hr.db"), "--strict"]
    )
    assert strict.exit_code == 1


def test_cli_import_unreadable_file_is_a_french_error(tmp_path: Path, hr_cli: click.Group) -> None:
    path = roster_csv(tmp_path / "p.csv", [], header="Colonne1;Colonne2")
    result = CliRunner().invoke(hr_cli, ["roster", "import", str(path), "--db", str(tmp_path / "hr.db")])
    assert result.exit_code == 1
    assert "Colonnes obligatoires absentes" in result.output


def test_header_only_in_header_line(tmp_path: Path) -> None:
    path = roster_csv(tmp_path / "p.csv", [GOOD], header=ROSTER_HEADER.upper())
    assert import_roster(tmp_path / "hr.db", path).loaded == 1

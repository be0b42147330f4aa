"""Roster import: formats, encodings, bad rows reported with line numbers, upsert."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from formation_tic.hr import RosterError, import_roster

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
        ("0002;Nom", "2\u00a0champs au lieu de 9"),
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
    assert any("1\u00a0ligne a une cellule" in w and "neutralisée" in w for w in report.warnings)


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
    report = import_roster(db, partial, complete=True, complete_despite_rejects=True)
    assert report.marked_left == 1 and report.departures_withheld == 0
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
        ["--data-dir", str(tmp_path), "roster", "import", str(path), "--errors", str(tmp_path / "e.csv")],
    )
    assert result.exit_code == 0, result.output
    assert "1\u00a0ajoutée" in result.stdout and "1\u00a0refusée." in result.stdout
    assert "ligne 3 : matricule invalide" in result.stderr
    assert "Secret" not in result.output  # no names in the messages
    errors = (tmp_path / "e.csv").read_bytes()
    assert errors.startswith(b"\xef\xbb\xbfLigne;Matricule;Motif")
    other = tmp_path / "autre"
    strict = CliRunner().invoke(hr_cli, ["--data-dir", str(other), "roster", "import", str(path), "--strict"])
    assert strict.exit_code == 1
    assert "Rien n'a été écrit" in strict.output
    assert rows(other / "hr.db") == {}


def test_cli_import_unreadable_file_is_a_french_error(tmp_path: Path, hr_cli: click.Group) -> None:
    path = roster_csv(tmp_path / "p.csv", [], header="Colonne1;Colonne2")
    result = CliRunner().invoke(hr_cli, ["--data-dir", str(tmp_path), "roster", "import", str(path)])
    assert result.exit_code == 1
    assert "Colonnes obligatoires absentes" in result.output


def test_header_only_in_header_line(tmp_path: Path) -> None:
    path = roster_csv(tmp_path / "p.csv", [GOOD], header=ROSTER_HEADER.upper())
    assert import_roster(tmp_path / "hr.db", path).loaded == 1


# --- issue 15, points 10 to 12: rosters that lose rows ---------------------------------------------

LUC = "0003;Côté;Luc;;DSI;;0001;15/03/2020;actif"
ANA = "0004;Roy;Ana;;DSI;;0001;;actif"


def statuses(db: Path) -> dict[str, str]:
    return {n: r[8] for n, r in rows(db).items()}


@pytest.mark.parametrize(
    ("bad", "after", "reason"),
    [
        # The quote opens a cell and never closes: it used to swallow every following row.
        ('0002;"Tremblay;Marie;;;;;;actif', [LUC, ANA], "jamais refermé"),
        ('0002;Tremblay;Marie;;;;;;"actif', [LUC, ANA], "jamais refermé"),
        # Blank lines between the bad line and the next row are not rows.
        ('0002;"Tremblay;Marie;;;;;;actif', ["", LUC, ANA], "jamais refermé"),
        # The next row is quoted cell by cell (as some exports write): its quotes must not
        # close the open one.
        (
            '0002;"Tremblay;Marie;;;;;;actif',
            ['"0003";"Côté";"Luc";"";"DSI";"";"0001";"15/03/2020";"actif"', ANA],
            "jamais refermé",
        ),
        # Text after a closing quote: the quoting is wrong, the row is not trusted.
        ('0002;"Tremblay"x;Marie;;;;;;actif', [LUC, ANA], "mal placé"),
        ('0002;Trem"blay;Marie;;;;;;actif', [LUC, ANA], "mal placé"),
    ],
)
def test_bad_quote_rejects_its_line_only(tmp_path: Path, bad: str, after: list[str], reason: str) -> None:
    path = roster_csv(tmp_path / "p.csv", [GOOD, bad, *after])
    report = import_roster(tmp_path / "hr.db", path)
    assert [(e.line, e.employee_number) for e in report.rejected] == [(3, "0002")]
    assert reason in report.rejected[0].reasons[0]
    assert set(rows(tmp_path / "hr.db")) == {"0001", "0003", "0004"}
    assert rows(tmp_path / "hr.db")["0003"][1:3] == ("Côté", "Luc")


def test_multiline_cell_with_separator_after_the_break_is_rejected_not_swallowing(tmp_path: Path) -> None:
    # A line break inside a quoted cell is accepted (see the test above), but not when the
    # continued part holds the separator: that is what a row swallowed by a stray quote looks like.
    path = roster_csv(tmp_path / "p.csv", [GOOD, '0002;"Roy', LUC + '"', ANA])
    report = import_roster(tmp_path / "hr.db", path)
    assert [e.line for e in report.rejected] == [3, 4]  # the quote's line, then the row it closes on
    assert "jamais refermé" in report.rejected[0].reasons[0]
    assert set(rows(tmp_path / "hr.db")) == {"0001", "0004"}


def _staff_then_unclosed_quote(tmp_path: Path) -> Path:
    """A database of five active people, and a complete roster where 0002's line has an unclosed
    quote (0005 has really left)."""
    db = tmp_path / "hr.db"
    people = [GOOD, "0002;Roy;Bo;;;;;;actif", LUC, ANA, "0005;Roy;Cy;;;;;;actif"]
    assert import_roster(db, roster_csv(tmp_path / "a.csv", people)).inserted == 5
    roster_csv(tmp_path / "b.csv", [GOOD, '0002;"Roy;Bo;;;;;;actif', LUC, ANA])
    return db


def test_complete_with_rejected_rows_marks_nobody_and_says_why(tmp_path: Path) -> None:
    db = _staff_then_unclosed_quote(tmp_path)
    report = import_roster(db, tmp_path / "b.csv", complete=True)
    assert [e.line for e in report.rejected] == [3]
    assert (report.marked_left, report.departures_withheld, report.written) == (0, 1, True)
    assert any("aurait été" in w and "aucune ne l'a été" in w for w in report.warnings)
    assert set(statuses(db).values()) == {"active"}


def test_complete_despite_rejects_marks_absent_people_but_not_the_rejected_one(tmp_path: Path) -> None:
    db = _staff_then_unclosed_quote(tmp_path)
    report = import_roster(db, tmp_path / "b.csv", complete=True, complete_despite_rejects=True)
    assert (report.marked_left, report.departures_withheld) == (1, 0)
    assert statuses(db) == {
        "0001": "active",
        "0002": "active",
        "0003": "active",
        "0004": "active",
        "0005": "left",
    }


@pytest.mark.parametrize(
    ("bom", "codec", "label"),
    [(b"\xff\xfe", "utf-16-le", "UTF-16 LE"), (b"\xfe\xff", "utf-16-be", "UTF-16 BE")],
)
def test_excel_unicode_text_utf16_tab_separated(tmp_path: Path, bom: bytes, codec: str, label: str) -> None:
    # Excel's « Texte Unicode »: UTF-16 with a BOM, tabs, CRLF, cells with quotes quoted.
    text = "\r\n".join(
        [
            "Matricule\tNom\tPrénom\tTitre d'emploi\tStatut",
            '0004\tCôté\tAndré\t"Chef « urgence »; nuit"\tactif',
            "0005\tBélanger\tÉmilie\t\tparti",
            "12\tX\tY\t\tactif",
        ]
    )
    (tmp_path / "p.txt").write_bytes(bom + (text + "\r\n").encode(codec))
    report = import_roster(tmp_path / "hr.db", tmp_path / "p.txt")
    assert (report.encoding, report.delimiter) == (label, "\t")
    data = rows(tmp_path / "hr.db")
    assert data["0004"][1:4] == ("Côté", "André", "Chef « urgence »; nuit")
    assert data["0005"][1:3] == ("Bélanger", "Émilie") and data["0005"][8] == "left"
    assert [e.line for e in report.rejected] == [4]


@pytest.mark.parametrize(
    ("eol", "label"),
    [("\r", "CR (ancien Mac)"), ("\n", "LF (Unix)"), ("\r\n", "CRLF (Windows)")],
)
def test_line_ends_cr_lf_crlf(tmp_path: Path, eol: str, label: str) -> None:
    lines = [ROSTER_HEADER, GOOD, "12;Court;Matricule;;;;;;actif", LUC]
    (tmp_path / "p.csv").write_bytes((eol.join(lines) + eol).encode("cp1252"))
    report = import_roster(tmp_path / "hr.db", tmp_path / "p.csv")
    assert report.line_endings == label
    assert [e.line for e in report.rejected] == [3]
    assert rows(tmp_path / "hr.db")["0003"][1:3] == ("Côté", "Luc")


def test_line_ends_and_characters_split_across_read_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("formation_tic.hr.roster_csv._CHUNK", 3)  # every CRLF and « é » gets cut
    path = roster_csv(tmp_path / "p.csv", [GOOD, "12;Court;Matricule;;;;;;actif", LUC])
    report = import_roster(tmp_path / "hr.db", path)
    assert [e.line for e in report.rejected] == [3] and report.line_endings == "CRLF (Windows)"
    assert rows(tmp_path / "hr.db")["0003"][1:3] == ("Côté", "Luc")


UNREADABLE: dict[str, tuple[bytes, str]] = {
    # file name -> (content, what the message must say)
    "binaire.csv": (bytes(range(256)) * 8, "octets nuls"),
    "sans-bom.csv": ((ROSTER_HEADER + "\r\n" + GOOD + "\r\n").encode("utf-16-le"), "UTF-16 sans marque"),
    "ancien.xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "97-2003"),
    "image.csv": (b"\x89PNG\r\n\x1a\n" + bytes(64), "octets nuls"),
    "bruit.csv": (bytes(range(1, 256)) * 8, "Colonnes obligatoires absentes"),
    "bruit16.txt": (b"\xff\xfe" + bytes(range(1, 256)) * 8, "Colonnes obligatoires absentes"),
    "faux.xlsx": (b"PK\x03\x04" + bytes(64), "Classeur Excel"),
    "entete.csv": (('Matricule;"Nom;Prénom\r\n' + GOOD + "\r\n").encode(), "en-tête"),
    "vide.csv": (b"", "vide"),
}


@pytest.mark.parametrize("name", UNREADABLE)
def test_unreadable_file_is_a_french_error_naming_it(tmp_path: Path, name: str) -> None:
    data, message = UNREADABLE[name]
    (tmp_path / name).write_bytes(data)
    with pytest.raises(RosterError) as raised:
        import_roster(tmp_path / "hr.db", tmp_path / name)
    assert message in str(raised.value) and f"« {name} »" in str(raised.value)


@pytest.mark.parametrize("seed", range(20))
def test_noisy_file_never_ends_in_a_traceback(tmp_path: Path, seed: int) -> None:
    # Quotes, separators, every kind of line end, bytes that are not UTF-8 or not Windows-1252.
    rnd = random.Random(seed)
    noise = bytes(rnd.choice(b'";;\r\n\t 0123ab\xc3\xa9\xe9\x81\xff') for _ in range(3000))
    path = tmp_path / "p.csv"
    path.write_bytes(("\ufeff" + ROSTER_HEADER + "\r\n" + GOOD + "\r\n").encode() + noise)
    report = import_roster(tmp_path / "hr.db", path)
    assert report.written and report.loaded >= 1


def test_strict_with_a_rejected_row_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "hr.db"
    import_roster(db, roster_csv(tmp_path / "a.csv", [GOOD, "0009;Roy;Ana;;;;;;actif"]))
    before = rows(db)
    update = roster_csv(tmp_path / "b.csv", [GOOD.replace("Tremblay", "Gagnon"), "12;X;Y;;;;;;actif", LUC])
    report = import_roster(db, update, strict=True, complete=True)
    assert report.written is False and [e.line for e in report.rejected] == [3]
    assert (report.loaded, report.marked_left, report.departures_withheld) == (0, 0, 1)
    assert any("rien n'a été écrit" in w for w in report.warnings)
    assert rows(db) == before  # no new person, no change, no departure
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM roster_imports").fetchone()[0] == 1
    finally:
        conn.close()
    relaxed = import_roster(db, update)
    assert relaxed.written is True and (relaxed.inserted, relaxed.updated) == (1, 1)
    assert rows(db)["0001"][1] == "Gagnon" and "0003" in rows(db)


def test_strict_without_rejected_rows_writes(tmp_path: Path) -> None:
    report = import_roster(tmp_path / "hr.db", roster_csv(tmp_path / "p.csv", [GOOD, LUC]), strict=True)
    assert report.written is True and set(rows(tmp_path / "hr.db")) == {"0001", "0003"}


@pytest.mark.parametrize(
    ("column", "label"),
    [
        (0, "matricule : la cellule A3"),
        (1, "nom : la cellule B3"),
        (2, "prénom : la cellule C3"),
        (3, "statut : la cellule D3"),
    ],
)
def test_xlsx_formula_without_computed_value_is_named(tmp_path: Path, column: int, label: str) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    header = ["Matricule", "Nom", "Prénom", "Statut", "Courriel"]
    sheet.append(header)
    sheet.append(["0001", "Tremblay", "Marie", "actif", '=LOWER("m@x.example")'])  # optional: ignored
    row: list[object] = ["0002", "Roy", "Ana", "actif", None]
    row[column] = '=UPPER("x")'  # openpyxl saves formulas without a computed value
    sheet.append(row)
    sheet.append(["0003", None, "Bo", "actif", None])  # a truly empty cell stays « manquant »
    workbook.save(tmp_path / "p.xlsx")
    report = import_roster(tmp_path / "hr.db", tmp_path / "p.xlsx")
    assert [e.line for e in report.rejected] == [3, 4]
    formula = report.rejected[0].reasons[0]
    assert formula.startswith(label) and f"« {header[column]} »" in formula
    assert "formule sans valeur calculée" in formula
    assert report.rejected[1].reasons == ["nom manquant"]
    assert set(rows(tmp_path / "hr.db")) == {"0001"}

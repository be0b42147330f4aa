"""The roster (« liste du personnel »): import a CSV or XLSX file from HR into ``roster``.

Accepted files: CSV in UTF-8 (with or without BOM) or Windows-1252 — even mixed line by
line, as happens when files are concatenated —, UTF-16 or UTF-32 with a BOM (Excel's
« Texte Unicode »), with CRLF, LF or CR line ends, ``;`` or ``,`` or tab separators (Excel
in Québec writes ``;``), and XLSX (first sheet). Column names may be French or English,
with or without accents (see :data:`COLUMN_ALIASES`). How quotes, encodings and line ends
are read, and why a stray quote cannot swallow the following rows: :mod:`.roster_csv`.

The import is an upsert keyed by employee number. People marked as left are kept (with
the date the departure was first seen); with ``complete=True`` (the file is the whole
roster) the active people absent from the file are marked as left too — but only when no
row was rejected, unless ``complete_despite_rejects=True``: a rejected row may be anyone.
Bad rows are rejected one by one, each with its line number and the reason, and the good
rows still load (``strict=True``: nothing at all is written when a row is rejected):
nothing is dropped without being reported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from attest.identity import EMPLOYEE_NUMBER_HELP, is_valid_employee_number, normalize_employee_number

from .db import connect_hr
from .errors import RosterError
from .roster_csv import CsvSource, Record, split_line
from .roster_xlsx import XlsxSheet
from .wording import agree, plural

Field_ = Literal[
    "employee_number",
    "last_name",
    "first_name",
    "job_title",
    "direction",
    "service",
    "manager_number",
    "hire_date",
    "status",
    "email",
]

FIELD_LABELS: Final[dict[str, str]] = {
    "employee_number": "matricule",
    "last_name": "nom",
    "first_name": "prénom",
    "job_title": "titre d'emploi",
    "direction": "direction",
    "service": "service",
    "manager_number": "matricule du gestionnaire",
    "hire_date": "date d'embauche",
    "status": "statut",
    "email": "courriel",
}

COLUMN_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    # Normalized header (lower case, no accents, punctuation as spaces) -> field.
    "employee_number": (
        "matricule",
        "matricule employe",
        "numero d employe",
        "numero employe",
        "no d employe",
        "no employe",
        "n d employe",
        "n employe",
        "num employe",
        "employee number",
        "employee id",
    ),
    "last_name": ("nom", "nom de famille", "nom famille", "last name", "surname"),
    "first_name": ("prenom", "first name", "given name"),
    "job_title": ("titre d emploi", "titre emploi", "titre", "poste", "fonction", "job title"),
    "direction": ("direction", "direction generale"),
    "service": ("service", "unite", "service unite", "unite administrative", "department"),
    "manager_number": (
        "matricule du gestionnaire",
        "matricule gestionnaire",
        "gestionnaire",
        "numero du gestionnaire",
        "numero d employe du gestionnaire",
        "no du gestionnaire",
        "no gestionnaire",
        "superieur immediat",
        "matricule du superieur",
        "matricule superieur",
        "manager",
        "manager number",
        "manager employee number",
    ),
    "hire_date": ("date d embauche", "date embauche", "embauche", "date d entree", "hire date"),
    "status": ("statut", "etat", "statut d emploi", "status"),
    "email": ("courriel", "adresse courriel", "email", "e mail", "adresse electronique"),
}
REQUIRED: Final = ("employee_number", "last_name", "first_name")

ACTIVE_WORDS: Final = frozenset({"actif", "active", "a", "en poste", "en fonction", "present"})
LEFT_WORDS: Final = frozenset(
    {
        "parti",
        "partie",
        "left",
        "inactif",
        "inactive",
        "i",
        "p",
        "depart",
        "quitte",
        "termine",
        "retraite",
        "fin d emploi",
    }
)
MAX_LENGTHS: Final[dict[str, int]] = {
    "last_name": 120,
    "first_name": 120,
    "job_title": 200,
    "direction": 200,
    "service": 200,
    "email": 254,
}
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")

ROSTER_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS roster (
  employee_number TEXT PRIMARY KEY,
  last_name TEXT NOT NULL,
  first_name TEXT NOT NULL,
  job_title TEXT,
  direction TEXT,
  service TEXT,
  manager_number TEXT,
  hire_date TEXT,
  status TEXT NOT NULL CHECK (status IN ('active', 'left')),
  email TEXT,
  left_on TEXT,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS roster_manager ON roster (manager_number);
CREATE INDEX IF NOT EXISTS roster_direction ON roster (direction, service);
CREATE TABLE IF NOT EXISTS roster_imports (
  id INTEGER PRIMARY KEY,
  imported_at TEXT NOT NULL,
  file_sha256 TEXT NOT NULL,
  rows_read INTEGER NOT NULL,
  rows_loaded INTEGER NOT NULL,
  rows_rejected INTEGER NOT NULL,
  marked_left INTEGER NOT NULL
);
"""
_COLUMNS: Final[tuple[str, ...]] = get_args(Field_)
"""Roster columns, in table order (the same list as :data:`Field_`)."""


class RowError(BaseModel):
    """One rejected line: where, which employee number if readable, why (French)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line: int
    employee_number: str | None = None
    reasons: list[str]

    def __str__(self) -> str:
        who = f" (matricule {self.employee_number})" if self.employee_number else ""
        return f"ligne {self.line}{who} : " + " ; ".join(self.reasons)


class ImportReport(BaseModel):
    """What one roster import did."""

    model_config = ConfigDict(extra="forbid")

    file_sha256: str
    file_format: Literal["csv", "xlsx"]
    encoding: str | None = None
    delimiter: str | None = None
    line_endings: str | None = Field(default=None, description="CSV line ends found (French label).")
    columns: dict[str, str] = Field(default_factory=dict, description="Field -> header found.")
    rows_read: int = 0
    blank_lines: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = Field(default_factory=list)
    marked_left: int = 0
    departures_withheld: int = Field(
        default=0,
        description="complete=True: active people absent from the file who were NOT marked as left "
        "because rows were rejected (or, in strict mode, nothing was written).",
    )
    written: bool = Field(
        default=False,
        description="True when the import was committed; False for parse_roster and for a strict "
        "import with rejected rows (nothing written at all).",
    )
    warnings: list[str] = Field(default_factory=list)

    @property
    def loaded(self) -> int:
        """Rows written (inserted, updated or identical)."""
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One valid roster row, ready to be stored."""

    employee_number: str
    last_name: str
    first_name: str
    job_title: str | None
    direction: str | None
    service: str | None
    manager_number: str | None
    hire_date: str | None
    status: Literal["active", "left"]
    email: str | None

    def values(self) -> tuple[Any, ...]:
        """Values in :data:`_COLUMNS` order."""
        return tuple(getattr(self, c) for c in _COLUMNS)


# --- reading the file ------------------------------------------------------------------------


def normalize_header(text: str) -> str:
    """Lower case, no accents, punctuation as single spaces (« N° d'employé » -> « n d employe »)."""
    text = unicodedata.normalize("NFKD", text.replace("\ufeff", ""))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


_ALIAS_INDEX: Final[dict[str, str]] = {
    alias: field for field, aliases in COLUMN_ALIASES.items() for alias in aliases
}
_ALIAS_INDEX.update({f.replace("_", " "): f for f in COLUMN_ALIASES})


def map_columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Field -> column index for a header row, and French warnings (unknown, duplicate)."""
    mapping: dict[str, int] = {}
    warnings: list[str] = []
    ignored: list[str] = []
    for index, name in enumerate(header):
        field = _ALIAS_INDEX.get(normalize_header(name))
        if field is None:
            if name.strip():
                ignored.append(name.strip()[:40])
        elif field in mapping:
            warnings.append(
                f"Colonne « {name.strip()[:40]} » ignorée : la colonne {FIELD_LABELS[field]} "
                "est déjà présente."
            )
        else:
            mapping[field] = index
    if ignored:
        warnings.append("Colonnes non reconnues, ignorées : " + ", ".join(f"« {n} »" for n in ignored) + ".")
    return mapping, warnings


def sniff_delimiter(first_line: str) -> str:
    """The separator that splits the header into the most recognized column names."""
    best, best_score = ";", -1
    for candidate in (";", ",", "\t", "|"):
        score = sum(1 for h in split_line(first_line, candidate) if normalize_header(h) in _ALIAS_INDEX)
        if score > best_score:
            best, best_score = candidate, score
    return best


def iter_csv(path: Path, report: ImportReport) -> Iterator[Record]:
    """Each record of a CSV file, the header first (see :mod:`.roster_csv`), streamed."""
    source = CsvSource(Path(path), sniff_delimiter)
    records = source.records()
    first = next(records, None)
    report.encoding, report.delimiter = source.encoding, source.delimiter
    if first is None:
        return
    yield first
    yield from records
    report.encoding, report.line_endings = source.encoding, source.line_endings
    report.warnings.extend(source.warnings)


# --- validating a row -------------------------------------------------------------------------


def _has_control(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in value if ch != "\t")


def clean_text(value: str) -> str:
    """NFC, inner whitespace collapsed, ends stripped."""
    return " ".join(unicodedata.normalize("NFC", value).split())


_DATE_FORMATS: Final = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%Y%m%d")


def parse_date(value: str) -> dt.date | None:
    """ISO (2023-04-15), 2023/04/15, 15/04/2023 (jj/mm/aaaa), 15-04-2023 or 20230415."""
    text = value.strip()
    if len(text) >= 19 and text[10] in " T":  # Excel date-time: keep the date part
        text = text[:10]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_status(value: str) -> Literal["active", "left"] | None:
    """« actif » -> active; « parti », « inactif », « départ »… -> left; otherwise None."""
    word = normalize_header(value)
    if word in ACTIVE_WORDS:
        return "active"
    if word in LEFT_WORDS:
        return "left"
    return None


def validate_row(
    cells: list[str],
    columns: dict[str, int],
    width: int,
    today: dt.date,
    *,
    formula_reasons: Mapping[str, str] | None = None,
) -> tuple[RosterRow | None, str | None, list[str]]:
    """Check one record: (row or None, employee number if readable, French reasons).

    ``formula_reasons``: field -> reason given instead of « … manquant » when the empty
    required cell is a formula without a computed value (XLSX).

    A record shorter than the header is accepted when only optional trailing cells are
    missing: Excel drops the trailing separators of empty cells after the first rows.
    """
    reasons: list[str] = []
    formulas = formula_reasons or {}
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        reasons.append(
            f"{len(cells)} champs au lieu de {width} (séparateur ou guillemet en trop dans une cellule ?)"
        )
    elif len(cells) < width and any(columns[f] >= len(cells) for f in (*REQUIRED, "status") if f in columns):
        reasons.append(f"{plural(len(cells), 'champ')} au lieu de {width} (séparateurs manquants ?)")
    values: dict[str, str] = {}
    for field, index in columns.items():
        raw = cells[index] if index < len(cells) else ""
        if "\ufffd" in raw:
            reasons.append(f"{FIELD_LABELS[field]} : caractères illisibles (encodage du fichier)")
            raw = raw.replace("\ufffd", "")
        if _has_control(raw.replace("\n", " ").replace("\r", " ")):
            reasons.append(f"{FIELD_LABELS[field]} : caractères de contrôle non permis")
        values[field] = clean_text(raw)

    number = normalize_employee_number(values.get("employee_number", ""))
    readable_number = number if is_valid_employee_number(number) else None
    if not number:
        reasons.append(formulas.get("employee_number", "matricule manquant"))
    elif readable_number is None:
        reasons.append(f"matricule invalide « {number[:20]} » : {EMPLOYEE_NUMBER_HELP}")

    for field in ("last_name", "first_name"):
        if not values.get(field):
            reasons.append(formulas.get(field, f"{FIELD_LABELS[field]} manquant"))
    for field, limit in MAX_LENGTHS.items():
        if len(values.get(field, "")) > limit:
            reasons.append(
                f"{FIELD_LABELS[field]} trop long ({len(values[field])} caractères, maximum {limit})"
            )

    manager = values.get("manager_number") or None
    if manager is not None:
        if not is_valid_employee_number(manager):
            reasons.append(f"matricule du gestionnaire invalide « {manager[:20]} »")
        elif manager == number:
            reasons.append("la personne est indiquée comme sa propre gestionnaire")

    hire: str | None = None
    if values.get("hire_date"):
        parsed = parse_date(values["hire_date"])
        if parsed is None:
            reasons.append(
                f"date d'embauche illisible « {values['hire_date'][:20]} » (format attendu : AAAA-MM-JJ)"
            )
        elif not dt.date(1940, 1, 1) <= parsed <= today + dt.timedelta(days=366):
            reasons.append(f"date d'embauche invraisemblable {parsed.isoformat()}")
        else:
            hire = parsed.isoformat()

    status: Literal["active", "left"] | None = "active"
    if "status" in columns:
        status = parse_status(values.get("status", ""))
        if status is None:
            shown = values.get("status", "")[:20]
            reasons.append(
                f"statut inconnu « {shown} » (attendu : actif ou parti)"
                if shown
                else formulas.get("status", "statut manquant")
            )

    email = values.get("email") or None
    if email is not None and (" " in email or email.count("@") != 1):
        reasons.append("courriel invalide")

    if reasons or status is None or readable_number is None:
        return None, readable_number, reasons
    return (
        RosterRow(
            employee_number=readable_number,
            last_name=values["last_name"],
            first_name=values["first_name"],
            job_title=values.get("job_title") or None,
            direction=values.get("direction") or None,
            service=values.get("service") or None,
            manager_number=manager,
            hire_date=hire,
            status=status,
            email=email,
        ),
        readable_number,
        [],
    )


# --- import --------------------------------------------------------------------------------------


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the roster tables if needed."""
    conn.executescript(ROSTER_SCHEMA)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _formula_reason(field: str, index: int, header: str, line: int) -> str:
    from openpyxl.utils import get_column_letter

    cell = f"{get_column_letter(index + 1)}{line}"
    return (
        f"{FIELD_LABELS[field]} : la cellule {cell} (colonne « {header.strip()[:40]} ») "
        "contient une formule sans valeur calculée — ouvrez le classeur dans Excel, laissez-le "
        "recalculer, puis enregistrez-le"
    )


def iter_roster(
    path: Path,
    report: ImportReport,
    *,
    today: dt.date,
    progress: Callable[[int], None] | None = None,
) -> Iterator[RosterRow]:
    """The valid rows of a roster file, streamed; rejects and warnings go into ``report``."""
    path = Path(path)
    sheet = XlsxSheet(path) if report.file_format == "xlsx" else None
    records: Iterable[Record] = (
        (Record(n, cells) for n, cells in sheet.rows()) if sheet is not None else iter_csv(path, report)
    )
    iterator = iter(records)
    header: Record | None = None
    for record in iterator:
        if any(c.strip() for c in record.cells):
            header = record
            break
    if header is None:
        raise RosterError(f"Le fichier de personnel « {path.name} » est vide.")
    if header.problem is not None:
        raise RosterError(
            f"Ligne d'en-tête illisible dans « {path.name} » (ligne {header.line}) : {header.problem}."
        )
    columns, warnings = map_columns(header.cells)
    report.warnings.extend(warnings)
    missing = [FIELD_LABELS[f] for f in REQUIRED if f not in columns]
    if missing:
        raise RosterError(
            f"Colonnes obligatoires absentes dans « {path.name} » : "
            + ", ".join(missing)
            + ". Colonnes attendues (en français ou en anglais) : matricule, nom, prénom, titre d'emploi, "
            "direction, service, matricule du gestionnaire, date d'embauche, statut."
        )
    if "status" not in columns:
        report.warnings.append("Pas de colonne « statut » : toutes les personnes sont considérées actives.")
    report.columns = {f: header.cells[i].strip() for f, i in columns.items()}
    width = len(header.cells)
    must_fill = {f: columns[f] for f in (*REQUIRED, "status") if f in columns}

    first_line: dict[str, int] = {}
    formula_cells = 0
    for line, cells, problem in iterator:
        if problem is None and not any(c.strip() for c in cells):
            report.blank_lines += 1
            continue
        report.rows_read += 1
        if progress is not None and report.rows_read % 10_000 == 0:
            progress(10_000)
        formulas: dict[str, str] = {}
        if sheet is not None:
            empty = {f: i for f, i in must_fill.items() if i >= len(cells) or not cells[i].strip()}
            if empty:
                found = sheet.formula_columns(line, empty.values())
                formulas = {
                    f: _formula_reason(f, i, header.cells[i], line) for f, i in empty.items() if i in found
                }
        row, number, reasons = validate_row(cells, columns, width, today, formula_reasons=formulas)
        if problem is not None:  # malformed quoting: whatever the cells say, the row is not trusted
            row, reasons = None, [problem]
        if number is not None and number in first_line and row is not None:
            reasons = [f"matricule en double (déjà présent à la ligne {first_line[number]})"]
            row = None
        if row is None:
            report.rejected.append(RowError(line=line, employee_number=number, reasons=reasons))
            continue
        first_line[row.employee_number] = line
        if any(
            (v or "").startswith(FORMULA_PREFIXES)
            for v in (row.last_name, row.first_name, row.job_title, row.direction, row.service)
        ):
            formula_cells += 1
        yield row
    if progress is not None and report.rows_read % 10_000:
        progress(report.rows_read % 10_000)
    if formula_cells:
        lines = plural(formula_cells, "ligne a", "lignes ont")
        kept = agree(
            formula_cells,
            "elle est importée telle quelle et neutralisée",
            "elles sont importées telles quelles et neutralisées",
        )
        report.warnings.append(
            f"{lines} une cellule qui commence par = + - ou @ : {kept} dans les exports CSV et Excel."
        )


def _start(path: Path) -> ImportReport:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256")
            handle.seek(0)
            magic = handle.read(4)
    except OSError as exc:
        raise RosterError(f"Fichier de personnel « {path.name} » illisible : {exc.strerror}") from exc
    is_xlsx = magic == b"PK\x03\x04"
    if not is_xlsx and path.suffix.lower() in (".xlsx", ".xlsm"):
        raise RosterError(f"Le fichier « {path.name} » n'est pas un classeur Excel (.xlsx) valide.")
    return ImportReport(file_sha256=digest.hexdigest(), file_format="xlsx" if is_xlsx else "csv")


def parse_roster(
    path: Path,
    *,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[RosterRow], ImportReport]:
    """Read and check a roster file without writing anything: (valid rows, report)."""
    report = _start(path)
    rows = list(iter_roster(Path(path), report, today=today or dt.date.today(), progress=progress))
    return rows, report


def import_roster(
    db_path: Path,
    path: Path,
    *,
    complete: bool = False,
    complete_despite_rejects: bool = False,
    strict: bool = False,
    today: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Upsert the valid rows of a roster file into ``db_path`` (created if needed).

    ``complete=True``: the file is the whole roster; active people it does not list (nor
    name on a rejected line) are marked as left — only if no row was rejected, since a
    rejected row may hide anyone (an unreadable line, a quote swallowing rows…). Then
    ``report.departures_withheld`` says how many would have been marked, and a warning
    says that none was. ``complete_despite_rejects=True`` marks them anyway.

    ``strict=True``: when any row is rejected, nothing is written at all (no row, no
    departure, no import log) and ``report.written`` is False; the report still lists
    the rejects.
    """
    today = today or dt.date.today()
    report = _start(path)
    rows = iter_roster(Path(path), report, today=today, progress=progress)
    conn = connect_hr(db_path)
    try:
        ensure_schema(conn)
        now = _now()
        conn.execute("BEGIN IMMEDIATE")
        try:
            _stage(conn, rows)
            absent = _count_absent(conn, report) if complete else 0
            if strict and report.rejected:
                conn.execute("ROLLBACK")
                report.departures_withheld = absent
                rejected = len(report.rejected)
                report.warnings.append(
                    f"Mode strict : {plural(rejected, 'ligne refusée', 'lignes refusées')}, rien n'a été "
                    "écrit dans la base du personnel (aucun ajout, aucune mise à jour, aucun départ). "
                    f"Corrigez {agree(rejected, 'la ligne refusée', 'les lignes refusées')} puis relancez "
                    "l'import."
                )
                return report
            _upsert(conn, report, today, now)
            if complete and report.rejected and not complete_despite_rejects:
                report.departures_withheld = absent
                rejected = len(report.rejected)
                people = plural(absent, "personne active absente", "personnes actives absentes")
                marked = agree(
                    absent, "aurait été marquée comme partie", "auraient été marquées comme parties"
                )
                lines = plural(rejected, "ligne a été refusée", "lignes ont été refusées")
                report.warnings.append(
                    f"Liste complète : {people} du fichier {marked}, mais aucune ne l'a été parce que "
                    f"{lines} (une ligne refusée peut cacher n'importe qui). Corrigez "
                    f"{agree(rejected, 'la ligne refusée', 'les lignes refusées')} et relancez l'import, "
                    "ou confirmez explicitement le marquage des départs malgré "
                    f"{agree(rejected, 'la ligne refusée', 'les lignes refusées')}."
                )
            elif complete:
                report.marked_left = conn.execute(
                    "UPDATE roster SET status = 'left', left_on = ?, updated_at = ? " + _ABSENT,
                    (today.isoformat(), now),
                ).rowcount
            conn.execute(
                "INSERT INTO roster_imports (imported_at, file_sha256, rows_read, rows_loaded, "
                "rows_rejected, marked_left) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    now,
                    report.file_sha256,
                    report.rows_read,
                    report.loaded,
                    len(report.rejected),
                    report.marked_left,
                ),
            )
            conn.execute("DELETE FROM temp.roster_in")
            conn.execute("COMMIT")
            report.written = True
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()
    return report


_ABSENT: Final = (
    "WHERE status = 'active' "
    "AND employee_number NOT IN (SELECT employee_number FROM temp.roster_in) "
    "AND employee_number NOT IN (SELECT n FROM temp.roster_named)"
)
"""Active people neither in the file's valid rows nor named on a rejected line."""


def _stage(conn: sqlite3.Connection, rows: Iterator[RosterRow]) -> None:
    """Stream the valid rows into ``temp.roster_in`` (inside the caller's transaction)."""
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS roster_in (" + ", ".join(_COLUMNS) + ")")
    conn.execute("DELETE FROM temp.roster_in")
    insert = f"INSERT INTO temp.roster_in VALUES ({', '.join('?' for _ in _COLUMNS)})"
    while batch := [r.values() for r in itertools.islice(rows, 10_000)]:
        conn.executemany(insert, batch)


def _count_absent(conn: sqlite3.Connection, report: ImportReport) -> int:
    """How many active people a complete roster would mark as left (fills ``temp.roster_named``)."""
    named = [r.employee_number for r in report.rejected if r.employee_number]
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS roster_named (n TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM temp.roster_named")
    conn.executemany("INSERT OR IGNORE INTO temp.roster_named VALUES (?)", ((n,) for n in named))
    count: int = conn.execute("SELECT count(*) FROM roster " + _ABSENT).fetchone()[0]
    return count


def _upsert(conn: sqlite3.Connection, report: ImportReport, today: dt.date, now: str) -> None:
    """Write the staged rows into ``roster``; counts go into ``report``."""
    valid: int = conn.execute("SELECT count(*) FROM temp.roster_in").fetchone()[0]
    same = " AND ".join(f"r.{c} IS i.{c}" for c in _COLUMNS[1:])
    report.unchanged = conn.execute(
        f"SELECT count(*) FROM temp.roster_in i JOIN roster r USING (employee_number) WHERE {same}"
    ).fetchone()[0]
    existing = conn.execute(
        "SELECT count(*) FROM temp.roster_in i JOIN roster r USING (employee_number)"
    ).fetchone()[0]
    report.updated = existing - report.unchanged
    report.inserted = valid - existing
    updates = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[1:])
    conn.execute(
        f"INSERT INTO roster ({', '.join(_COLUMNS)}, left_on, updated_at) "
        f"SELECT {', '.join(_COLUMNS)}, CASE WHEN status = 'left' THEN ? END, ? "
        "FROM temp.roster_in WHERE true "
        f"ON CONFLICT (employee_number) DO UPDATE SET {updates}, "
        "left_on = CASE WHEN excluded.status = 'active' THEN NULL "
        "WHEN roster.status = 'active' THEN excluded.left_on ELSE roster.left_on END, "
        "updated_at = CASE WHEN "
        + " AND ".join(f"roster.{c} IS excluded.{c}" for c in _COLUMNS[1:])
        + " THEN roster.updated_at ELSE excluded.updated_at END",
        (today.isoformat(), now),
    )

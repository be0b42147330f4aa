"""Self-declared identities are flagged: column « Identité » and a count in the summaries."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from attest import AttestationStore, DirectiveInfo, FormContent, QuizResult, validate_submission
from formation_tic.hr.exports import REGISTER_COLUMNS, identity_label
from formation_tic.hr.report_html import render_report_html
from formation_tic.hr.summary import self_declared, summary_table

from .hr_support import submission_values
from .world import Person, World

SIGNED = {"2001": "typed", "2002": "sso-header", "2003": "lms-launch", "2005": "typed"}


def _sign(world: World, number: str, identification: str) -> Any:
    submission = validate_submission(world.form, submission_values(world.form, number))
    quiz = QuizResult(registration=uuid.uuid4(), score=0.9)
    with AttestationStore(world.store) as store:
        return store.sign(submission, world.form, world.directive, quiz, identification, world.keys.private)  # type: ignore[arg-type]


@pytest.fixture
def world(tmp_path: Path, hr_keys: Any, directive: DirectiveInfo, form: FormContent) -> World:
    w = World(tmp_path, hr_keys, directive, form)
    w.people = [Person(n) for n in ("2001", "2002", "2003", "2004", "2005")]
    w.build()
    for number, identification in SIGNED.items():
        _sign(w, number, identification)
    return w


def _identities(world: World) -> dict[str, str | None]:
    return {r.employee_number: r.identification for r in world.register().rows}


def test_register_rows_carry_how_the_person_was_identified(world: World) -> None:
    register = world.register()
    assert {r.employee_number: r.identification for r in register.rows} == {**SIGNED, "2004": None}
    labels = {r.employee_number: identity_label(r) for r in register.rows}
    assert labels == {
        "2001": "déclarée (non vérifiée)",
        "2002": "authentification unique",
        "2003": "ENA",
        "2004": None,
        "2005": "déclarée (non vérifiée)",
    }
    assert self_declared(register) == (2, 4)
    assert "Identité déclarée (non vérifiée) : 2 sur 4\u00a0attestations" in summary_table(register)[-1]


def test_the_current_attestation_decides(world: World) -> None:
    """A self-declared attestation revoked, then signed again through single sign-on."""
    with AttestationStore(world.store) as store:
        typed = next(r for r in store.for_employee("2001") if r.kind == "attestation")
        store.revoke(typed.id, "Identité à confirmer", world.keys.private)
    assert _identities(world)["2001"] is None
    _sign(world, "2001", "sso-header")
    assert _identities(world)["2001"] == "sso-header"


def test_report_files_and_summary_flag_self_declared(
    world: World, hr_cli: click.Group, tmp_path: Path
) -> None:
    out = tmp_path / "rapports"
    result = CliRunner().invoke(
        hr_cli,
        [
            "--data-dir",
            str(world.tmp),
            "report",
            "--output-dir",
            str(out),
            "--public-key",
            str(world.keys.certificate),
        ],
    )
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Identité déclarée (non vérifiée) : 2 sur 4\u00a0attestations" in result.stdout

    table = list(csv.reader(io.StringIO(next(out.glob("*.csv")).read_text("utf-8-sig")), delimiter=";"))
    header = table[0]
    assert header == [h for h, _ in REGISTER_COLUMNS] and "Identité" in header
    by = {r[0]: dict(zip(header, r, strict=True)) for r in table[1:]}
    assert {n: row["Identité"] for n, row in by.items()} == {
        "2001": "déclarée (non vérifiée)",
        "2002": "authentification unique",
        "2003": "ENA",
        "2004": "",
        "2005": "déclarée (non vérifiée)",
    }

    sheet = load_workbook(next(out.glob("*.xlsx"))).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    column = list(rows[0]).index("Identité")
    assert {r[0]: r[column] for r in rows[1:]}["2001"] == "déclarée (non vérifiée)"

    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert "Identité déclarée (non vérifiée) : 2 sur 4\u00a0attestations" in html


def test_html_people_table_has_the_identity_column(world: World) -> None:
    register = world.register()
    rows = [r._replace(status="a_renouveler") if r.employee_number == "2001" else r for r in register.rows]
    html = render_report_html(register.model_copy(update={"rows": rows}))
    people = html.split("Personnes en retard, à renouveler ou en échec")[1]
    assert "<th scope='col'>Identité</th>" in people
    assert re.search(r"<th scope='row'>2001</th>.*?<td>déclarée \(non vérifiée\)</td>", people)


def test_hr_copy_of_an_earlier_version_is_upgraded(world: World) -> None:
    """hr.db verified by the previous version (no identification column): rebuilt, nothing lost."""
    first = world.register()
    assert first.complete and first.anomalies == []
    conn = sqlite3.connect(world.roster_db)
    conn.execute("ALTER TABLE verified_attestations DROP COLUMN identification")
    conn.execute("ALTER TABLE vanished_attestations DROP COLUMN identification")
    # A record HR verified that the register lost earlier (its revocations still apply).
    conn.execute(
        "INSERT INTO vanished_attestations (seq, id, kind, employee_number, form_id, form_version,"
        " directive_version, directive_version_minor, signed_at, verification_code, revokes,"
        " record_hash, noted_at) SELECT 99, 'disparu', kind, employee_number, form_id, form_version,"
        " directive_version, directive_version_minor, signed_at, verification_code, revokes,"
        " ?, '2024-01-01' FROM verified_attestations WHERE seq = 1",
        ("f" * 64,),
    )
    conn.commit()
    conn.close()
    register = world.register()
    assert register.complete and register.anomalies == [], register.anomalies
    assert {r.employee_number: r.identification for r in register.rows} == {**SIGNED, "2004": None}
    conn = sqlite3.connect(world.roster_db)
    kept = conn.execute("SELECT count(*), max(identification) FROM vanished_attestations").fetchone()
    conn.close()
    assert kept == (1, None)  # the vanished record is kept, its new column empty

    # The head HR had verified before the upgrade still guards against a truncated register.
    conn = sqlite3.connect(world.roster_db)
    conn.execute("ALTER TABLE verified_attestations DROP COLUMN identification")
    conn.commit()
    conn.close()
    store = sqlite3.connect(world.store)
    store.execute("DROP TRIGGER attestations_no_delete")
    store.execute("DELETE FROM attestations WHERE seq = 4")
    store.commit()
    store.close()
    truncated = world.register()
    assert not truncated.complete and "jusqu'au n° 4" in truncated.incomplete[0]

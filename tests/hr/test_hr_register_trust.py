"""What HR may trust: a register shorter than the head HR verified, an edited HR copy,
and the layering (HR reads the store and the pulled statements through their packages)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import formation_tic.hr
from attest import AttestationStore, DirectiveInfo, FormContent
from attest import store as attest_store
from formation_tic.hr import import_roster
from formation_tic.hr.register import INCOMPLETE_PREFIX, Register
from formation_tic.hr.report_html import render_report_html
from formation_tic.hr.summary import summary_table
from lrs_export import pull as lrs_pull

from .hr_support import roster_csv, sign
from .world import Person, World


@pytest.fixture
def world(tmp_path: Path, hr_keys: Any, directive: DirectiveInfo, form: FormContent) -> World:
    return World(tmp_path, hr_keys, directive, form)


def _statuses(register: Register) -> dict[str, str]:
    return {r.employee_number: r.status for r in register.rows}


def _sql(db: Path, *statements: str, params: tuple[Any, ...] = ()) -> None:
    conn = sqlite3.connect(db)
    for sql in statements:
        conn.execute(sql, params if "?" in sql else ())
    conn.commit()
    conn.close()


def _truncate(store: Path, keep: int) -> None:
    """Delete the records after position ``keep`` behind the application's back."""
    _sql(
        store, "DROP TRIGGER IF EXISTS attestations_no_delete", f"DELETE FROM attestations WHERE seq > {keep}"
    )


def _backup(src: Path, dst: Path) -> None:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def _signed_then_revoked(world: World) -> None:
    """7001 signs (n° 1), 7002 signs (n° 2), 7001 is revoked (n° 3), 7003 signs (n° 4)."""
    world.people = [Person("7001"), Person("7002"), Person("7003")]
    world.build()
    with AttestationStore(world.store) as store:
        first = sign(store, world.keys.private, "7001", world.form, world.directive)
        sign(store, world.keys.private, "7002", world.form, world.directive)
        store.revoke(first.id, "Signée par erreur", world.keys.private)
        sign(store, world.keys.private, "7003", world.form, world.directive)


# --- 13. a register shorter than the head HR verified -------------------------------------------


def test_truncated_register_is_flagged_and_vanished_revocation_still_applies(world: World) -> None:
    _signed_then_revoked(world)
    before = world.register()
    assert _statuses(before) == {"7001": "non_commence", "7002": "atteste", "7003": "atteste"}
    assert before.complete and before.anomalies == []

    _truncate(world.store, keep=2)  # the revocation (n° 3) and 7003's attestation (n° 4) vanish
    register = world.register()
    assert not register.complete
    [alert] = register.incomplete
    assert "raccourci" in alert and "jusqu'au n° 4" in alert and "au n° 2" in alert
    assert "7001" in alert and "7003" in alert and "Tremblay" not in alert
    assert alert in register.anomalies
    assert register.notes[0] == INCOMPLETE_PREFIX + alert
    by = _statuses(register)
    assert by["7001"] != "atteste"  # the vanished revocation still applies
    assert by["7003"] != "atteste"  # a vanished attestation no longer counts
    assert by["7002"] == "atteste"

    lines = summary_table(register)
    assert "RAPPORT INCOMPLET" in lines[1] and any("n° 4" in line for line in lines[:6])
    html = render_report_html(register)
    assert "<h1>Registre des attestations d&#x27;engagement — RAPPORT INCOMPLET</h1>" in html
    assert "role='alert'><h2>Rapport incomplet</h2>" in html and "jusqu&#x27;au n° 4" in html
    assert html.index("Rapport incomplet") < html.index("<h2>Sommaire</h2>")

    # Sticky: the next reports (incremental, or verifying everything again) still say so.
    for again in (world.register(), world.register(reverify=True)):
        assert not again.complete and "jusqu'au n° 4" in again.incomplete[0]
        assert _statuses(again)["7001"] != "atteste"


def test_register_rewritten_after_truncation_is_flagged(world: World) -> None:
    _signed_then_revoked(world)
    world.register()
    _truncate(world.store, keep=2)
    with AttestationStore(world.store) as store:  # the application keeps signing: n° 3 and 4 again
        sign(store, world.keys.private, "7004", world.form, world.directive)
        sign(store, world.keys.private, "7005", world.form, world.directive)
    import_roster(
        world.roster_db,
        roster_csv(
            world.tmp / "more.csv",
            [f"{n};Tremblay;Marie;Infirmière;DSI;Urgence;;2024-01-01;actif" for n in ("7004", "7005")],
        ),
    )
    register = world.register()
    assert not register.complete
    assert "réécrit" in register.incomplete[0] and "n° 4" in register.incomplete[0]
    by = _statuses(register)
    assert by["7001"] != "atteste" and by["7003"] != "atteste"
    assert by["7004"] == "atteste" and by["7005"] == "atteste" and by["7002"] == "atteste"


def test_restored_register_is_complete_again(world: World) -> None:
    _signed_then_revoked(world)
    world.register()
    _backup(world.store, world.tmp / "sauvegarde.db")
    _truncate(world.store, keep=2)
    assert not world.register().complete
    _backup(world.tmp / "sauvegarde.db", world.store)
    register = world.register()
    assert register.complete and register.anomalies == []
    assert _statuses(register) == {"7001": "non_commence", "7002": "atteste", "7003": "atteste"}
    conn = sqlite3.connect(world.roster_db)
    assert conn.execute("SELECT count(*) FROM vanished_attestations").fetchone() == (0,)
    conn.close()


def test_missing_register_after_a_report_is_flagged(world: World) -> None:
    _signed_then_revoked(world)
    world.register()
    for suffix in ("", "-wal", "-shm"):
        Path(str(world.store) + suffix).unlink(missing_ok=True)
    register = world.register()
    assert not register.complete and "introuvable" in register.incomplete[0]
    assert "n° 4" in register.incomplete[0]
    assert "atteste" not in _statuses(register).values()


@pytest.mark.parametrize("truncated", [False, True])
def test_legacy_copy_is_replaced_and_its_head_still_guards_truncation(world: World, truncated: bool) -> None:
    _signed_then_revoked(world)
    world.register()
    conn = sqlite3.connect(world.roster_db)
    (store_key,) = conn.execute("SELECT store_key FROM verification_state").fetchone()
    # The layout of the previous version: no record hashes, no highest head seen.
    conn.executescript(
        "DROP TABLE verified_attestations; DROP TABLE verification_state;"
        "CREATE TABLE verified_attestations (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL,"
        " employee_number TEXT NOT NULL, form_id TEXT NOT NULL, form_version TEXT NOT NULL,"
        " directive_version TEXT NOT NULL, directive_version_minor INTEGER NOT NULL,"
        " signed_at TEXT NOT NULL, verification_code TEXT NOT NULL, revokes TEXT, bad INTEGER NOT NULL);"
        "CREATE TABLE verification_state (id INTEGER PRIMARY KEY CHECK (id = 1), store_key TEXT NOT NULL,"
        " verified_at TEXT NOT NULL, last_seq INTEGER NOT NULL, last_hash TEXT NOT NULL,"
        " findings TEXT NOT NULL);"
    )
    with AttestationStore(world.store, create=False) as store:
        head = list(store.rows())[-1]
    conn.execute(
        "INSERT INTO verification_state VALUES (1, ?, '2024-01-01', 4, ?, '[]')",
        (store_key, head["record_hash"]),
    )
    conn.commit()
    conn.close()
    if not truncated:
        register = world.register()
        assert register.complete and register.anomalies == []
        assert _statuses(register) == {"7001": "non_commence", "7002": "atteste", "7003": "atteste"}
        return
    _truncate(world.store, keep=2)
    register = world.register()
    assert not register.complete and "jusqu'au n° 4" in register.incomplete[0]


# --- 14. an edited HR copy --------------------------------------------------------------------------


def _forge_copy(world: World, how: str) -> None:
    """Make 7102 and 7103, who never signed, look attested in HR's copy (hr.db)."""
    conn = sqlite3.connect(world.roster_db)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(verified_attestations)")]
    real = [dict(zip(cols, r, strict=True)) for r in conn.execute("SELECT * FROM verified_attestations")]
    if how == "overwrite":  # the two real rows now name the two others
        for row, number in zip(real, ("7102", "7103"), strict=True):
            conn.execute(
                "UPDATE verified_attestations SET employee_number = ? WHERE seq = ?", (number, row["seq"])
            )
    else:  # two rows added after the last one, copied from a real one
        (top,) = conn.execute("SELECT max(seq) FROM verified_attestations").fetchone()
        for k, number in enumerate(("7102", "7103"), start=1):
            row = dict(real[0], seq=top + k, id=f"forge-{k}", employee_number=number)
            row["verification_code"] = f"FORGE-0000{k}"
            conn.execute(
                f"INSERT INTO verified_attestations ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
        if how == "append-and-state":  # and the state claims they were verified
            conn.execute(
                "UPDATE verification_state SET last_seq = ?, seen_seq = ?, last_hash = ?, seen_hash = ?",
                (top + 2, top + 2, row["record_hash"], row["record_hash"]),
            )
    conn.commit()
    conn.close()


@pytest.mark.parametrize("how", ["append", "overwrite", "append-and-state"])
def test_edited_copy_does_not_attest_people_who_never_signed(world: World, how: str) -> None:
    world.people = [Person("7101"), Person("7102"), Person("7103"), Person("7104")]
    world.signatures = [("7101", world.form, world.directive), ("7104", world.form, world.directive)]
    world.build()
    assert _statuses(world.register()) == {
        "7101": "atteste",
        "7102": "non_commence",
        "7103": "non_commence",
        "7104": "atteste",
    }
    _forge_copy(world, how)
    register = world.register()
    by = _statuses(register)
    assert by["7102"] != "atteste" and by["7103"] != "atteste"
    assert register.anomalies, "the tampering must be reported"
    if how == "append-and-state":  # the state says HR saw n° 4: the register lost it, loudly
        assert not register.complete and "jusqu'au n° 4" in register.incomplete[0]
    else:
        assert register.complete
        assert any("Copie de vérification de RH modifiée" in a for a in register.anomalies)
        assert by["7101"] == "atteste" and by["7104"] == "atteste"  # rebuilt from the register
        again = world.register()  # the copy was rebuilt: nothing left to report
        assert again.anomalies == [] and _statuses(again) == by


# --- layering -------------------------------------------------------------------------------------


def test_hr_package_does_not_name_the_store_or_statements_tables() -> None:
    """HR reads the store through attest and the pulled statements through lrs_export."""
    root = Path(formation_tic.hr.__file__).parent
    sources = sorted(root.rglob("*.py"))
    assert len(sources) > 5
    statements = re.compile(rf"\b({re.escape(lrs_pull.TABLE)}|{re.escape(lrs_pull.STATE)})\b", re.I)
    store_sql = re.compile(
        rf"\b(from|join|into|update|table|exists)\s+(\w+\.)?{re.escape(attest_store.TABLE)}\b", re.I
    )
    foreign = re.compile(r"(attest\.store|lrs_export\.pull)\s+import\s+[^\n]*\bTABLE\b|\bATTACH\b", re.I)
    offenders = [
        f"{path.relative_to(root)}:{n}: {line.strip()}"
        for path in sources
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if statements.search(line) or store_sql.search(line) or foreign.search(line)
    ]
    assert offenders == []

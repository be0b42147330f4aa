"""Status rules of the register: one test per rule, on real SQLite files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from attest import AttestationStore, DirectiveInfo, FormContent, attestation_status, available_forms, fr_ca

from .hr_support import failed, passed, sign, started
from .world import Person, World


@pytest.fixture
def world(tmp_path: Path, hr_keys: Any, directive: DirectiveInfo, form: FormContent) -> World:
    return World(tmp_path, hr_keys, directive, form)


def test_attested_shows_version_and_date(world: World) -> None:
    world.people = [Person("1001")]
    world.signatures = [("1001", world.form, world.directive)]
    world.build()
    row = world.register().rows[0]
    assert row.status == "atteste"
    assert row.form_version == world.form.version
    assert row.directive_version == world.directive.version
    assert row.signed_at is not None and row.signed_at[:10] == world.register().as_of.isoformat()


def test_renewal_after_material_directive_version(world: World) -> None:
    old = world.directive.model_copy(update={"version": "2020-01-01", "version_mineure": False})
    world.people = [Person("1002")]
    world.signatures = [("1002", world.form, old)]
    world.build()
    row = world.register().rows[0]
    assert row.status == "a_renouveler"
    assert row.renewal_reason and fr_ca.date_long(world.directive.version) in row.renewal_reason


def test_no_renewal_after_minor_directive_version(world: World) -> None:
    world.people = [Person("1003")]
    world.signatures = [("1003", world.form, world.directive)]
    world.build()
    minor = world.directive.model_copy(update={"version": "2023-09-01", "version_mineure": True})
    assert world.status("1003", directive=minor) == "atteste"
    major = world.directive.model_copy(update={"version": "2023-09-01", "version_mineure": False})
    assert world.status("1003", directive=major) == "a_renouveler"


def test_renewal_after_material_form_version_not_after_minor(world: World) -> None:
    world.people = [Person("1004")]
    world.signatures = [("1004", world.form, world.directive)]
    world.build()
    current = world.form.version_key[0]  # versions relative to the bundled form
    minor = world.form.model_copy(update={"version": f"{current}.1", "changement_mineur": True})
    assert world.status("1004", forms=[world.form, minor]) == "atteste"
    major = world.form.model_copy(update={"version": f"{current + 1}", "changement_mineur": False})
    row = world.register(forms=[world.form, minor, major]).rows[0]
    assert row.status == "a_renouveler"
    assert row.renewal_reason and "formulaire" in row.renewal_reason


def test_late_after_n_days_since_hire(world: World) -> None:
    world.people = [Person("1005", hired_days_ago=31), Person("1006", hired_days_ago=30)]
    world.build()
    register = world.register()
    by = {r.employee_number: r for r in register.rows}
    assert by["1005"].status == "en_retard" and by["1005"].days_late == 1
    assert by["1006"].status == "non_commence" and by["1006"].days_late is None
    assert world.status("1005", late_after_days=60) == "non_commence"


def test_late_even_if_started(world: World) -> None:
    world.people = [Person("1007", hired_days_ago=90)]
    world.statements = started("1007")
    world.build()
    row = world.register().rows[0]
    assert row.status == "en_retard"
    assert row.activity == "en_cours"


def test_in_progress_when_started_not_passed(world: World) -> None:
    world.people = [Person("1008")]
    world.statements = started("1008")
    world.build()
    assert world.status("1008") == "en_cours"


def test_failed_without_later_pass(world: World) -> None:
    world.people = [Person("1009"), Person("1010")]
    world.statements = (
        failed("1009", "2024-01-10") + failed("1010", "2024-01-10") + passed("1010", "2024-01-11")
    )
    world.build()
    by = {r.employee_number: r for r in world.register().rows}
    assert by["1009"].status == "echec"
    assert by["1010"].status == "en_cours" and by["1010"].activity == "reussi"


def test_pass_then_later_fail_is_failure(world: World) -> None:
    world.people = [Person("1011")]
    world.statements = passed("1011", "2024-01-10") + failed("1011", "2024-01-12")
    world.build()
    assert world.status("1011") == "echec"


def test_not_started(world: World) -> None:
    world.people = [Person("1012")]
    world.build()
    register = world.register()
    assert register.rows[0].status == "non_commence"
    assert any("lrs pull" in n for n in register.notes)


def test_revoked_attestation_does_not_count(world: World) -> None:
    world.people = [Person("1013")]
    world.build()
    with AttestationStore(world.store) as store:
        record = sign(store, world.keys.private, "1013", world.form, world.directive)
        assert world.status("1013") == "atteste"
        store.revoke(record.id, "Erreur de matricule", world.keys.private)
    assert world.status("1013") == "non_commence"


def _tamper(store: Path, sql: str) -> None:
    conn = sqlite3.connect(store)
    conn.execute("DROP TRIGGER IF EXISTS attestations_no_update")
    conn.execute(sql)
    conn.commit()
    conn.close()


def test_tampered_attestation_is_ignored_and_reported(world: World) -> None:
    world.people = [Person("1014"), Person("1015")]
    world.signatures = [("1014", world.form, world.directive), ("1015", world.form, world.directive)]
    world.build()
    _tamper(world.store, "UPDATE attestations SET employee_number = '1014' WHERE employee_number = '1015'")
    register = world.register()
    by = {r.employee_number: r for r in register.rows}
    assert by["1015"].status == "non_commence"
    assert by["1014"].status == "atteste"  # its own record is intact
    assert register.anomalies and all("Tremblay" not in a for a in register.anomalies)


def test_tamper_after_verification_is_caught_without_reverify(world: World) -> None:
    world.people = [Person("1018"), Person("1019")]
    world.signatures = [("1018", world.form, world.directive), ("1019", world.form, world.directive)]
    world.build()
    assert world.status("1019") == "atteste"
    _tamper(world.store, "UPDATE attestations SET employee_number = '1018' WHERE employee_number = '1019'")
    # HR's copy no longer matches the register: the whole store is verified again.
    register = world.register()
    by = {r.employee_number: r.status for r in register.rows}
    assert by["1019"] == "non_commence" and by["1018"] == "atteste"
    assert any("Registre des attestations modifié depuis sa vérification" in a for a in register.anomalies)
    assert any("n° 2" in a and "modifié" in a for a in register.anomalies)
    register = world.register(reverify=True)
    assert {r.employee_number: r.status for r in register.rows}["1019"] == "non_commence"
    assert register.anomalies
    _tamper(world.store, "UPDATE attestations SET record_hash = 'x' WHERE employee_number = '1018'")
    assert world.register().anomalies  # last verified record changed: whole store verified again


def test_people_who_left_are_not_in_the_register(world: World) -> None:
    world.people = [Person("1016"), Person("1017", status="parti")]
    world.build()
    assert [r.employee_number for r in world.register().rows] == ["1016"]


def test_manager_sees_their_subtree_recursively(world: World) -> None:
    world.people = [
        Person("2000", manager="2001"),  # cycle 2000 <-> 2001 must not loop
        Person("2001", manager="2000"),
        Person("2002", manager="2001"),
        Person("2003", manager="2002"),
        Person("2004", manager="2003", direction="DRH", service="Paie"),
        Person("2005", manager="2099"),
    ]
    world.build()
    numbers = [r.employee_number for r in world.register(manager="2002").rows]
    assert numbers == ["2003", "2004"]
    assert [r.employee_number for r in world.register(manager="2002", direction="DRH").rows] == ["2004"]
    assert {r.employee_number for r in world.register(manager="2001").rows} == {
        "2000",
        "2002",
        "2003",
        "2004",
    }
    assert world.register(manager="2004").rows == []


def test_filters_by_direction_service_and_hire_date(world: World) -> None:
    world.people = [
        Person("3001", direction="DSI", service="Urgence", hired_days_ago=100),
        Person("3002", direction="DSI", service="Bloc", hired_days_ago=10),
        Person("3003", direction="DRH", service="Paie", hired_days_ago=10),
    ]
    world.build()
    assert [r.employee_number for r in world.register(direction="DSI").rows] == ["3001", "3002"]
    assert [r.employee_number for r in world.register(service="Bloc").rows] == ["3002"]
    recent = world.register(hired_from=dt.date.today() - dt.timedelta(days=50))
    assert [r.employee_number for r in recent.rows] == ["3002", "3003"]
    early = world.register(hired_to=dt.date.today() - dt.timedelta(days=50))
    assert [r.employee_number for r in early.rows] == ["3001"]


def test_as_of_date_ignores_later_events(world: World) -> None:
    world.people = [Person("4001", hired_days_ago=400)]
    world.signatures = [("4001", world.form, world.directive)]
    world.build()
    yesterday = dt.date.today() - dt.timedelta(days=1)
    assert world.status("4001") == "atteste"
    assert world.status("4001", as_of=yesterday) == "en_retard"


def test_set_based_statuses_agree_with_single_person_rule(world: World) -> None:
    old = world.directive.model_copy(update={"version": "2020-01-01", "version_mineure": False})
    minor_form = world.form.model_copy(
        update={"version": f"{world.form.version_key[0]}.1", "changement_mineur": True}
    )
    world.people = [Person(str(5000 + i)) for i in range(8)]
    world.signatures = [
        ("5000", world.form, world.directive),
        ("5001", world.form, old),
        ("5002", minor_form, world.directive),
        ("5003", world.form, old),
        ("5003", world.form, world.directive),
        ("5005", world.form, world.directive),
    ]
    world.build()
    with AttestationStore(world.store) as store:
        victim = store.for_employee("5005")[0]
        store.revoke(victim.id, "Doublon", world.keys.private)
    forms = [*available_forms(), minor_form]
    register = world.register(forms=forms)
    mapping = {"a-jour": "atteste", "a-renouveler": "a_renouveler"}
    with AttestationStore(world.store, create=False) as store:
        for row in register.rows:
            single = attestation_status(store, row.employee_number, world.directive, forms)
            expected = mapping.get(single.state, "non_commence")
            assert row.status == expected, (row.employee_number, single.state, row.status)
            if single.record is not None and single.state != "revoquee":
                assert row.verification_code == single.record.verification_code
    assert [r.status for r in register.rows].count("atteste") == 3


def test_incremental_verification_after_appends(world: World) -> None:
    world.people = [Person("8001"), Person("8002"), Person("8003"), Person("8004")]
    world.signatures = [("8001", world.form, world.directive)]
    world.build()
    assert world.status("8001") == "atteste"  # full verification, cached
    with AttestationStore(world.store) as store:
        second = sign(store, world.keys.private, "8002", world.form, world.directive)
        first = store.for_employee("8001")[0]
        store.revoke(first.id, "Signée par erreur", world.keys.private)
    register = world.register()  # only the two new records are verified
    by = {r.employee_number: r.status for r in register.rows}
    assert by["8001"] == "non_commence" and by["8002"] == "atteste"
    assert register.anomalies == []
    conn = sqlite3.connect(world.store)
    conn.execute("DROP TRIGGER attestations_no_update")
    # A record appended without the key: a copy of 8002's signed row under another number.
    cols = [r[1] for r in conn.execute("PRAGMA table_info(attestations)")]
    row = dict(
        zip(
            cols,
            conn.execute("SELECT * FROM attestations WHERE id = ?", (second.id,)).fetchone(),
            strict=True,
        )
    )
    last = conn.execute("SELECT seq, record_hash FROM attestations ORDER BY seq DESC LIMIT 1").fetchone()
    row.update(
        seq=last[0] + 1,
        id="forged",
        employee_number="8003",
        verification_code="FORGE-D0000",
        prev_hash=last[1],
    )
    conn.execute(
        f"INSERT INTO attestations ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
        list(row.values()),
    )
    conn.commit()
    conn.close()
    register = world.register()
    by = {r.employee_number: r.status for r in register.rows}
    assert by["8003"] == "non_commence" and by["8002"] == "atteste"
    assert register.anomalies and any("forged" in a for a in register.anomalies)

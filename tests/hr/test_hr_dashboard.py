"""The managers' dashboard: trusted header -> team scope, filters, escaped HTML; the notebook."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from attest import DirectiveInfo, FormContent
from formation_tic.hr import RegisterRules, RegisterSources
from formation_tic.hr.dashboard import DashboardAccessError, ManagerDashboard, manager_from_environ

from .world import Person, World

HEADER = "X-Employee-Number"


@pytest.fixture
def world(tmp_path: Path, hr_keys: Any, directive: DirectiveInfo, form: FormContent) -> World:
    w = World(tmp_path, hr_keys, directive, form)
    w.people = [
        Person("7000", last_name="Chef"),
        Person("7001", manager="7000", hired_days_ago=90, last_name="<img src=x onerror=alert(1)>"),
        Person("7002", manager="7001", hired_days_ago=90, direction="DRH", service="Paie", last_name="Sous"),
        Person("7003", manager="7999", hired_days_ago=90, last_name="Ailleurs"),
    ]
    w.build()
    return w


def dashboard(world: World, manager: str) -> ManagerDashboard:
    rules = RegisterRules(directive=world.directive, forms=[world.form])
    sources = RegisterSources(
        roster_db=world.roster_db, attestations_db=world.store, statements_db=world.statements_db
    )
    return ManagerDashboard(manager, sources, rules, world.keys.public)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "authentification unique"),
        ({"HTTP_X_EMPLOYEE_NUMBER": "  "}, "authentification unique"),
        ({"HTTP_X_EMPLOYEE_NUMBER": "chef'); DROP"}, "matricule valide"),
        ({"QUERY_STRING": "manager=7000"}, "authentification unique"),
    ],
)
def test_access_needs_the_trusted_header(environ: dict[str, str], message: str) -> None:
    with pytest.raises(DashboardAccessError, match=message):
        manager_from_environ(environ, HEADER)


def test_header_maps_to_the_managers_subtree_only(world: World) -> None:
    manager = manager_from_environ({"HTTP_X_EMPLOYEE_NUMBER": " 7000 "}, HEADER)
    board = dashboard(world, manager)
    assert [r.employee_number for r in board.team.rows] == ["7001", "7002"]
    html = board.html()
    assert "Ailleurs" not in html and "Chef" not in html.split("Personnes à suivre")[1].split("</table>")[0]
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script" not in html.lower()
    assert board.options() == (["DRH", "DSI"], ["Paie", "Urgence"])
    assert board.options("DRH")[1] == ["Paie"]
    narrowed = board.register(direction="DRH")
    assert [r.employee_number for r in narrowed.rows] == ["7002"]
    outside = board.register(direction="DSI", service="Urgence")
    assert [r.employee_number for r in outside.rows] == ["7001"]  # never 7003 (not in the team)


def test_widget_filters_refresh_the_view(world: World) -> None:
    board = dashboard(world, "7000")
    ui = board.widget()
    direction = ui.children[1].children[0]
    body = ui.children[2]
    assert "Sous" in body.value and "Urgence" in body.value
    direction.value = "DRH"
    assert "Sous" in body.value and "<th scope='row'>7001</th>" not in body.value
    assert ui.children[1].children[1].options == ("Tous les services", "Paie")


def test_notebook_runs_in_a_kernel_with_the_header(world: World, tmp_path: Path) -> None:
    nbclient = pytest.importorskip("nbclient")
    import nbformat

    from formation_tic.settings import KERNEL_CONFIG_ENV, load_settings, write_kernel_config

    notebook = Path(__file__).parents[2] / "formation_tic" / "hr" / "dashboard" / "tableau-de-bord.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    settings = load_settings(data_dir=world.tmp, hr={"public_key_paths": [world.keys.certificate]})
    env = {KERNEL_CONFIG_ENV: str(write_kernel_config(settings)), "HTTP_X_EMPLOYEE_NUMBER": "7001"}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        client = nbclient.NotebookClient(
            nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
        )
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    outputs = nb.cells[0].outputs
    data = outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"].startswith("VBox(")  # the dashboard, not the access-denied message


def test_empty_charts_say_so() -> None:
    from formation_tic.hr.charts import columns, horizontal_bars

    for svg in (columns("Attestations", []), horizontal_bars("En retard", [])):
        assert "Aucune donnée pour cette sélection." in svg

"""What HR reads: lateness written as a person would, a cap that flags wrong hire dates,
numbers and dates in French (Canada) in the HTML report and the dashboard."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from attest import DirectiveInfo, FormContent
from formation_tic.hr.charts import stacked_bars
from formation_tic.hr.exports import REGISTER_COLUMNS, reminder_reason, table, timestamp
from formation_tic.hr.report_html import describe_filters, render_report_html
from formation_tic.hr.summary import summary_table
from formation_tic.hr.wording import HIRE_DATE_CHECK_AFTER_DAYS, lateness, month_label, plural

from .world import Person, World

NBSP = "\u00a0"
LONG_DIRECTION = (
    "Direction des soins infirmiers, de la pratique professionnelle et de l'enseignement universitaire"
)


@pytest.mark.parametrize(
    ("days", "sentence"),
    [
        (None, ""),
        (0, ""),
        (1, "en retard de 1 jour"),
        (3, "en retard de 3 jours"),
        (59, "en retard de 59 jours"),
        (61, "en retard de 2 mois"),
        (365, "en retard de 1 an"),
        (430, "en retard de 1 an et 2 mois"),
        (1000, "en retard de 2 ans"),
        (HIRE_DATE_CHECK_AFTER_DAYS, "en retard de 5 ans"),
        (HIRE_DATE_CHECK_AFTER_DAYS + 1, "date d'embauche à vérifier"),
        (4261, "date d'embauche à vérifier"),
    ],
)
def test_lateness_is_a_sentence_with_plurals_and_a_cap(days: int | None, sentence: str) -> None:
    text = lateness(days).replace(NBSP, " ")
    assert text == sentence
    assert "(s)" not in text


def test_counts_months_and_timestamps_are_written_for_people() -> None:
    assert plural(0, "personne") == f"0{NBSP}personne"
    assert plural(1, "personne") == f"1{NBSP}personne"
    assert plural(12345, "personne") == f"12{NBSP}345{NBSP}personnes"
    assert month_label("2023-05") == "mai 2023"
    assert re.fullmatch(r"\d{1,2}(er)? \w+ \d{4} à \d{1,2} h \d\d", timestamp())


@pytest.fixture
def world(tmp_path: Path, hr_keys: Any, directive: DirectiveInfo, form: FormContent) -> World:
    w = World(tmp_path, hr_keys, directive, form)
    w.people = [
        Person("2000", hired_days_ago=400, last_name="Gestionnaire"),
        Person("2001", manager="2000", hired_days_ago=33, last_name="Récent"),
        Person("2002", manager="2000", hired_days_ago=90, last_name="Deuxmois", direction=LONG_DIRECTION),
        Person("2003", manager="2000", hired_days_ago=30 + 4261, last_name="Ancien"),
    ]
    w.signatures = [("2000", form, directive)]
    w.build()
    return w


def test_reminder_reason_and_files_flag_a_hire_date_decades_ago(world: World) -> None:
    register = world.register()
    by = {r.employee_number: r for r in register.rows}
    assert reminder_reason(by["2001"]) == (
        f"Engagement non signé, en retard de 3{NBSP}jours après le délai suivant l'embauche."
    )
    assert "en retard de 2" in reminder_reason(by["2002"])
    old = reminder_reason(by["2003"])
    assert "date d'embauche à vérifier" in old and "4261" not in old and "jour(s)" not in old
    headers = [h for h, _g in REGISTER_COLUMNS]
    assert "Date d'embauche (AAAA-MM-JJ)" in headers  # machine column: ISO, and says so
    rows = {row[0]: dict(zip(headers, row, strict=True)) for row in table(register.rows, REGISTER_COLUMNS)}
    assert rows["2003"]["Date d'embauche à vérifier"] == "oui"
    assert rows["2001"]["Date d'embauche à vérifier"] is None


def test_html_report_numbers_dates_and_hire_dates_to_check(world: World) -> None:
    import datetime as dt

    register = world.register(as_of=dt.date(2023, 5, 5))
    assert describe_filters(register).startswith("État au 5 mai 2023")
    register = world.register()
    html = unescape(render_report_html(register))
    assert "jour(s)" not in html and "(s)" not in html
    assert not re.search(r"\d\.\d\s?%", html)  # never « 25.0 % »
    assert f"25,0{NBSP}%" in html  # 1 of 4 people attested
    assert "État au " in html and not re.search(r"État au \d{4}-", html)
    section = html.split("<h2>Dates d'embauche à vérifier</h2>")[1].split("</section>")[0]
    assert "<th scope='row'>2003</th>" in section and "2001" not in section
    assert "Date d'embauche à vérifier : 1" in html and "faites corriger" in html
    lines = "\n".join(summary_table(register))
    assert f"25,0{NBSP}%" in lines and "Date d'embauche à vérifier : 1" in lines


def test_long_direction_names_are_wrapped_not_cut(world: World) -> None:
    register = world.register()
    html = render_report_html(register)
    assert "…" not in html.split("<svg")[1].split("</svg>")[0]
    svg = stacked_bars("Achèvement", [(LONG_DIRECTION, {"en_retard": 1})], {"en_retard": "En retard"})
    spans = [unescape(s) for s in re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)]
    assert len(spans) >= 3 and " ".join(spans) == LONG_DIRECTION
    assert all(len(s) <= 34 for s in spans)


def test_csv_hire_dates_stay_iso_for_machines(world: World, tmp_path: Path) -> None:
    from formation_tic.hr.exports import export_register

    paths = export_register(world.register(), tmp_path / "out")
    rows = list(csv.DictReader(io.StringIO(paths["csv"].read_text("utf-8-sig")), delimiter=";"))
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", r["Date d'embauche (AAAA-MM-JJ)"]) for r in rows)

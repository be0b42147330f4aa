"""Compile scenarios into Jupyter notebooks with nbformat (validated, without outputs)."""

from __future__ import annotations

import pprint
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .model import THEME_LABELS, Scenario

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def scenario_notebook(scenario: Scenario) -> nbformat.NotebookNode:
    """A notebook that shows the scenario as an interactive quiz (graded in the kernel)."""
    payload = pprint.pformat(scenario.model_dump(mode="json"), width=100, sort_dicts=False)
    intro = (
        f"# {scenario.title}\n\n"
        f"*Thème : {THEME_LABELS[scenario.theme]}*\n\n"
        "Lisez la situation, choisissez votre réponse, puis validez : la rétroaction "
        "s'affiche avec les sections de la directive qui s'appliquent."
    )
    code = f"from scenarios.quiz import show_scenario\n\nSCENARIO = {payload!s}\n\nshow_scenario(SCENARIO)"
    nb = new_notebook(
        cells=[
            new_markdown_cell(intro, id="intro"),
            new_code_cell(code, id="quiz", metadata={"tags": ["remove-input"]}),
        ],
        metadata={
            "kernelspec": KERNEL,
            "language_info": {"name": "python"},
            "formation_tic": {"scenario_id": scenario.id, "schema_version": scenario.schema_version},
        },
    )
    nbformat.validate(nb)
    return nb


def write_notebooks(scenarios: list[Scenario], out_dir: Path) -> list[Path]:
    """Write one validated notebook per scenario into ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for scenario in scenarios:
        path = out_dir / f"{scenario.id}.ipynb"
        nbformat.write(scenario_notebook(scenario), path)
        written.append(path)
    return written

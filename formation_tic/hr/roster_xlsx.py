"""Reading a roster workbook (XLSX, first sheet), and telling empty cells from formulas.

The sheet is read with ``data_only=True``: a formula cell gives the value Excel computed
and saved with the file. A file written by a program (or saved without recalculation)
holds formulas without such a value, and they read as empty. For the few rows where a
required cell is empty, :meth:`XlsxSheet.formula_columns` reads the same rows again,
formulas this time, so that HR is told « formule sans valeur calculée » rather than
« nom manquant ». That second reading is opened on first need only and moves forward in
step with the first one: a file without such rows costs nothing more.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

from .errors import RosterError


def xlsx_cell(value: Any) -> str:
    """A cell value as text: dates in ISO, whole floats without ``.0``, None as empty."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class XlsxSheet:
    """The first sheet of a workbook, row by row (row numbers as Excel shows them)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._formulas: Any = None  # the workbook opened without data_only, on first need
        self._formula_rows: Iterator[tuple[Any, ...]] | None = None
        self._formula_row = 0  # number of the row the formula iterator yields next

    def _open(self, *, data_only: bool) -> Any:
        from openpyxl import load_workbook

        try:
            return load_workbook(self.path, read_only=True, data_only=data_only)
        except Exception as exc:  # openpyxl raises many types on a corrupt file
            raise RosterError(f"Classeur Excel « {self.path.name} » illisible : {exc}") from exc

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells as text) for each row, streamed."""
        workbook = self._open(data_only=True)
        try:
            if not workbook.worksheets:
                raise RosterError(f"Le classeur Excel « {self.path.name} » ne contient aucune feuille.")
            sheet = workbook.worksheets[0]
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [xlsx_cell(v) for v in row]
        finally:
            workbook.close()
            if self._formulas is not None:
                self._formulas.close()
                self._formulas = self._formula_rows = None

    def formula_columns(self, line: int, columns: Collection[int]) -> set[int]:
        """Which of ``columns`` (0-based) hold a formula on row ``line``.

        Call in increasing ``line`` order, while :meth:`rows` is being read.
        """
        if self._formula_rows is None or line < self._formula_row:
            if self._formulas is None:
                self._formulas = self._open(data_only=False)
            sheet = self._formulas.worksheets[0]
            self._formula_rows = iter(sheet.iter_rows(min_row=line))
            self._formula_row = line
        row: tuple[Any, ...] = ()
        while self._formula_row <= line:
            row = next(self._formula_rows, ())
            self._formula_row += 1
        return {i for i in columns if i < len(row) and getattr(row[i], "data_type", None) == "f"}

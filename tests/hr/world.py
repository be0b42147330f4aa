"""A small, real world for the register tests: roster file, signed store, pulled statements."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attest import AttestationStore, DirectiveInfo, FormContent
from formation_tic.hr import RegisterFilters, RegisterRules, RegisterSources, build_register, import_roster
from formation_tic.hr.register import Register

from .hr_support import pull_into, roster_csv, sign

TODAY = dt.date.today()


def days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


@dataclass
class Person:
    number: str
    hired_days_ago: int = 5
    manager: str = ""
    direction: str = "DSI"
    service: str = "Urgence"
    status: str = "actif"
    last_name: str = "Tremblay"


@dataclass
class World:
    tmp: Path
    keys: Any
    directive: DirectiveInfo
    form: FormContent
    people: list[Person] = field(default_factory=list)
    signatures: list[tuple[str, FormContent, DirectiveInfo]] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)

    @property
    def roster_db(self) -> Path:
        return self.tmp / "hr.db"

    @property
    def store(self) -> Path:
        return self.tmp / "attestations.db"

    @property
    def statements_db(self) -> Path:
        return self.tmp / "lrs-statements.db"

    def build(self) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
        for p in self.people:
            writer.writerow(
                [
                    p.number,
                    p.last_name,
                    "Marie",
                    "Infirmière",
                    p.direction,
                    p.service,
                    p.manager,
                    days_ago(p.hired_days_ago),
                    p.status,
                ]
            )
        lines = buffer.getvalue().splitlines()
        report = import_roster(self.roster_db, roster_csv(self.tmp / "personnel.csv", lines))
        assert not report.rejected, report.rejected
        with AttestationStore(self.store) as store:
            for number, form, directive in self.signatures:
                sign(store, self.keys.private, number, form, directive)
        if self.statements:
            pull_into(self.statements_db, self.statements)

    def register(
        self,
        *,
        directive: DirectiveInfo | None = None,
        forms: Sequence[FormContent] | None = None,
        late_after_days: int = 30,
        reverify: bool = False,
        **filters: Any,
    ) -> Register:
        rules = RegisterRules(
            late_after_days=late_after_days,
            directive=directive or self.directive,
            forms=list(forms or [self.form]),
        )
        sources = RegisterSources(
            roster_db=self.roster_db, attestations_db=self.store, statements_db=self.statements_db
        )
        return build_register(sources, rules, RegisterFilters(**filters), self.keys.public, reverify=reverify)

    def status(self, number: str, **kwargs: Any) -> str:
        register = self.register(**kwargs)
        return next(r.status for r in register.rows if r.employee_number == number)

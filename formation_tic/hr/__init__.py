"""formation_tic.hr: the attestation register for HR and managers.

Library API (the CLI in :mod:`formation_tic.hr.cli` is a thin layer over it)::

    report = import_roster(Path("var/hr.db"), Path("personnel.csv"))       # upsert, bad rows listed
    register = build_register(sources, rules, RegisterFilters(manager="004512"), public_keys)
    write_csv(path, REGISTER_COLUMNS, register_records(register))          # BOM, ';', neutralized
    html = render_report_html(register)                                     # offline, inline SVG
    items = analyze_items(Path("var/outbox.db"))                            # per scenario
"""

from .errors import HrError, RosterError
from .register import (
    Register,
    RegisterFilters,
    RegisterRow,
    RegisterRules,
    RegisterSources,
    build_register,
)
from .roster import ImportReport, RowError, import_roster, parse_roster
from .settings import HrSettings
from .status_sql import STATUSES

__all__ = [
    "STATUSES",
    "HrError",
    "HrSettings",
    "ImportReport",
    "Register",
    "RegisterFilters",
    "RegisterRow",
    "RegisterRules",
    "RegisterSources",
    "RosterError",
    "RowError",
    "build_register",
    "import_roster",
    "parse_roster",
]

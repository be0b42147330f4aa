"""formation_tic.hr: the attestation register for HR and managers.

It consumes the attestation register (:mod:`attest`) and the statements pulled from the LRS
(:mod:`lrs_export`); the commands in :mod:`formation_tic.commands.hr` are a thin layer over it.
Paths come from :class:`formation_tic.settings.DataPaths` (``paths`` below)::

    report = import_roster(paths.roster, Path("personnel.csv"))            # upsert, bad rows listed
    register = build_register(sources, rules, RegisterFilters(manager="004512"), public_keys)
    write_csv(path, REGISTER_COLUMNS, register_records(register))          # BOM, ';', neutralized
    html = render_report_html(register)                                     # offline, inline SVG
    items = analyze_items(paths.statements)                                 # per scenario
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

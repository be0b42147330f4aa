"""The set-based status rules: every person's status in one SQL pass.

The same rules as :func:`attest.status.attestation_status` for the attestation part
(latest non-revoked attestation; renewal when a later *material* version of the directive
or of the form came out — the renewal reasons themselves are computed by
:func:`attest.status.renewal_reasons` for each distinct signed version, see
:mod:`formation_tic.hr.register`), plus the training activity pulled from the LRS.

One status per active person, first rule that applies:

1. ``atteste`` — a valid attestation, nothing material since;
2. ``a_renouveler`` — a valid attestation, but a material version came out since;
3. ``en_retard`` — no valid attestation and more than N days since hire;
4. ``echec`` — failed the module and no later pass;
5. ``en_cours`` — started (any statement of the module), not attested;
6. ``non_commence`` — nothing at all.

Reads ``verified_attestations`` (the verified copy of the store kept in the roster
database, records that failed verification marked ``bad``), ``vanished_attestations``
(records HR verified that the register no longer holds: their revocations still apply,
their attestations no longer count) and temporary tables filled by
:mod:`formation_tic.hr.register` before the query runs: ``temp.renewal(form_id,
form_version, directive_version, reason)``, ``temp.att_latest`` and ``temp.activity`` (one
row per person, from :func:`lrs_export.pulled.module_activity`) and ``temp.locked_out`` (the
people whose attempts are used up, by :attr:`formation_tic.attempt_grants.Standing.locked_out`,
the rule the learner app applies: column ``locked_out`` of the register, « essais épuisés »).
"""

from __future__ import annotations

from typing import Final

STATUSES: Final[dict[str, str]] = {
    "atteste": "Attesté",
    "a_renouveler": "À renouveler",
    "en_retard": "En retard",
    "echec": "Échec",
    "en_cours": "En cours",
    "non_commence": "Non commencé",
}
"""Status codes, in rule order, with their French labels."""

IDENTITIES: Final[dict[str, str]] = {
    "typed": "déclarée (non vérifiée)",
    "sso-header": "authentification unique",
    "lms-launch": "ENA",
    "lti": "ENA",
}
"""How the person was identified when signing (``identification`` of the attestation), as HR
reads it: ``typed`` is an employee number typed by the person, verified by nobody."""

SELF_DECLARED: Final = "typed"
"""The ``identification`` of a self-declared identity."""

ACTIVITIES: Final[dict[str, str]] = {
    "reussi": "Questionnaire réussi",
    "echec": "Échec au questionnaire",
    "en_cours": "Formation commencée",
    "non_commence": "Aucune activité",
}

TEMP_TABLES: Final = """
CREATE TEMP TABLE IF NOT EXISTS renewal (
  form_id TEXT, form_version TEXT, directive_version TEXT, reason TEXT,
  PRIMARY KEY (form_id, form_version, directive_version)
);
CREATE TEMP TABLE IF NOT EXISTS att_latest (
  employee_number TEXT PRIMARY KEY, seq INTEGER, form_id TEXT, form_version TEXT,
  directive_version TEXT, signed_at TEXT, verification_code TEXT, identification TEXT
);
CREATE TEMP TABLE IF NOT EXISTS activity (
  employee_number TEXT PRIMARY KEY, first_ts TEXT, last_ts TEXT, passed_ts TEXT, failed_ts TEXT
);
CREATE TEMP TABLE IF NOT EXISTS scope (employee_number TEXT PRIMARY KEY);
CREATE TEMP TABLE IF NOT EXISTS locked_out (employee_number TEXT PRIMARY KEY);
"""

LOCKED_OUT: Final = "essais épuisés"
"""The flag of a person locked out (every allowed attempt failed), next to their status."""

LATEST_ATTESTATIONS: Final = """
INSERT INTO temp.att_latest
WITH valid AS (
  SELECT seq, id, kind, employee_number, form_id, form_version, directive_version, signed_at,
         verification_code, revokes, identification, 0 AS vanished
  FROM main.verified_attestations
  WHERE signed_at < :until AND bad = 0
  UNION ALL
  SELECT seq, id, kind, employee_number, form_id, form_version, directive_version, signed_at,
         verification_code, revokes, identification, 1 AS vanished
  FROM main.vanished_attestations
  WHERE signed_at < :until
),
live AS (
  SELECT * FROM valid
  WHERE kind = 'attestation' AND vanished = 0
    AND id NOT IN (SELECT revokes FROM valid WHERE kind = 'revocation' AND revokes IS NOT NULL)
),
latest AS (SELECT employee_number, max(seq) AS seq FROM live GROUP BY employee_number)
SELECT l.employee_number, l.seq, v.form_id, v.form_version, v.directive_version, v.signed_at,
       v.verification_code, v.identification
FROM latest l JOIN live v ON v.seq = l.seq
"""
"""Each person's latest attestation neither revoked nor vanished (``:until``: exclusive)."""

ACTIVITY_INSERT: Final = "INSERT OR REPLACE INTO temp.activity VALUES (?, ?, ?, ?, ?)"
"""One row of :class:`lrs_export.pulled.ActorActivity` per person."""

SCOPE_MANAGER: Final = """
INSERT OR IGNORE INTO temp.scope
WITH RECURSIVE team(n) AS (
  SELECT employee_number FROM roster WHERE manager_number = :manager AND employee_number != :manager
  UNION
  SELECT r.employee_number FROM roster r JOIN team t ON r.manager_number = t.n
)
SELECT n FROM team WHERE n != :manager
"""

REGISTER: Final = """
SELECT
  r.employee_number, r.last_name, r.first_name, r.job_title, r.direction, r.service,
  r.manager_number, m.last_name, m.first_name, r.hire_date, r.email,
  CASE
    WHEN a.employee_number IS NOT NULL AND n.reason IS NULL THEN 'atteste'
    WHEN a.employee_number IS NOT NULL THEN 'a_renouveler'
    WHEN r.hire_date IS NOT NULL AND julianday(:as_of) - julianday(r.hire_date) > :late_days
      THEN 'en_retard'
    WHEN x.failed_ts IS NOT NULL AND (x.passed_ts IS NULL OR x.passed_ts < x.failed_ts) THEN 'echec'
    WHEN x.employee_number IS NOT NULL THEN 'en_cours'
    ELSE 'non_commence'
  END AS status,
  CASE
    WHEN x.employee_number IS NULL THEN 'non_commence'
    WHEN x.failed_ts IS NOT NULL AND (x.passed_ts IS NULL OR x.passed_ts < x.failed_ts) THEN 'echec'
    WHEN x.passed_ts IS NOT NULL THEN 'reussi'
    ELSE 'en_cours'
  END AS activity,
  a.form_version, a.directive_version, a.signed_at, a.verification_code, n.reason,
  x.last_ts,
  CASE WHEN a.employee_number IS NULL AND r.hire_date IS NOT NULL
            AND julianday(:as_of) - julianday(r.hire_date) > :late_days
       THEN CAST(julianday(:as_of) - julianday(r.hire_date) AS INTEGER) - :late_days END AS days_late,
  a.identification,
  lo.employee_number IS NOT NULL AS locked_out
FROM roster r
LEFT JOIN roster m ON m.employee_number = r.manager_number
LEFT JOIN temp.att_latest a ON a.employee_number = r.employee_number
LEFT JOIN temp.renewal n
  ON n.form_id = a.form_id AND n.form_version = a.form_version AND n.directive_version = a.directive_version
LEFT JOIN temp.activity x ON x.employee_number = r.employee_number
LEFT JOIN temp.locked_out lo ON lo.employee_number = r.employee_number
WHERE (r.status = 'active' OR r.left_on > :as_of)
  AND (r.hire_date IS NULL OR r.hire_date <= :as_of)
"""
"""The register query; :mod:`formation_tic.hr.register` appends the filters' conditions."""

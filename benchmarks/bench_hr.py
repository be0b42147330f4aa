"""Benchmark of the HR register at the scale of the whole Québec health network.

    python benchmarks/bench_hr.py [--employees 330000] [--statements 2000000]
                                  [--attestations 200000] [--dir DIR] [--skip-xlsx]

Generates a roster CSV (``;``, UTF-8 with BOM, French headers), a JSON-lines file of xAPI
statements and a signed attestation store (2048-bit key, payloads built in chain order and
signed on every core), then times, each phase in its own process (peak memory measured):

1. ``roster import`` of the CSV;
2. the pull of the statements file into SQLite through ``lrs_export.pull.pull``;
3. the full register (statuses of everyone) — first run, with the signature verification
   of the whole store, then a second run with the verification cached;
4. one hand-written SQL query computing the same statuses on the same tables, in the same
   run, and the ratio register / hand-written query (the statuses must agree);
5. the outputs: terminal summary, CSV, XLSX, HTML; the item analysis.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import multiprocessing as mp
import random
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from attest import init_keys, load_directive, load_form, load_private_key  # noqa: E402
from attest.canonical import canonical_json, sha256_hex  # noqa: E402
from attest.keys import key_id  # noqa: E402
from attest.record import COLUMNS, GENESIS_HASH, RECORD_FORMAT, to_column  # noqa: E402
from attest.store import AttestationStore  # noqa: E402
from lrs_export import vocabulary as V  # noqa: E402

TODAY = dt.date.today()
OLD_DIRECTIVE = "2020-01-01"
SCENARIOS = [f"bench-{i:02d}" for i in range(12)]
BRANCHING = {"bench-03", "bench-07", "bench-11"}
CHOICES = ["a", "b", "c", "d"]


# --- generation -------------------------------------------------------------------------------------


def person_profile(i: int) -> dict[str, Any]:
    """Deterministic facts about employee ``i`` (shared by every generator)."""
    rnd = random.Random(i)
    hired = TODAY - dt.timedelta(days=rnd.randint(0, 3650) if rnd.random() > 0.03 else rnd.randint(0, 60))
    started = rnd.random() < 0.72
    passed = started and rnd.random() < 0.85
    attested = passed and rnd.random() < 0.85
    return {
        "number": f"{100000 + i:06d}",
        "hired": hired,
        "left": rnd.random() < 0.03,
        "started": started,
        "passed": passed,
        "attested": attested,
        "old_version": rnd.random() < 0.1,
    }


def write_roster(path: Path, n: int) -> None:
    """330,000 people: 30 directions, 10 services each, a manager tree about 5 levels deep."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        f.write(
            "Matricule;Nom;Prénom;Titre d'emploi;Direction;Service;Matricule du gestionnaire;"
            "Date d'embauche;Statut\r\n"
        )
        for i in range(n):
            p = person_profile(i)
            manager = f"{100000 + i // 20:06d}" if i >= 20 else ""
            d = i % 30
            f.write(
                f"{p['number']};Nom{i};Prénom{i};Technicienne;Direction {d:02d};Service {d:02d}-{i % 10};"
                f"{manager};{p['hired'].isoformat()};{'parti' if p['left'] else 'actif'}\r\n"
            )


def _statement(number: str, verb: str, obj: str, ts: dt.datetime, **extra: Any) -> dict[str, Any]:
    stamp = ts.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    body: dict[str, Any] = {
        "id": str(uuid.UUID(int=random.getrandbits(128), version=4)),
        "actor": {"objectType": "Agent", "account": {"homePage": "https://ena.example", "name": number}},
        "verb": {"id": V.VERBS[verb][0]},
        "object": {"id": obj, "objectType": "Activity"},
        "timestamp": stamp,
        "stored": stamp,
        "context": {"registration": "00000000-0000-4000-8000-000000000000"},
    }
    body.update(extra)
    return body


def iter_statements(n_people: int, target: int) -> Iterator[dict[str, Any]]:
    """About ``target`` statements: initialized, answers, passed/failed for people who started."""
    random.seed(7)
    count = 0
    i = 0
    while count < target:
        p = person_profile(i % n_people)
        i += 1
        if not p["started"]:
            continue
        day = dt.datetime.combine(p["hired"] + dt.timedelta(days=3), dt.time(9), dt.UTC)
        batch = [_statement(p["number"], "initialized", V.MODULE, day)]
        for k, scenario in enumerate(random.sample(SCENARIOS, 6)):
            ok = random.random() < (0.1 if scenario == "bench-05" else 0.75)
            ts = day + dt.timedelta(minutes=5 * (k + 1))
            obj = {
                "id": V.scenario_iri(scenario),
                "definition": {
                    "name": {"fr-CA": f"Scénario {scenario}"},
                    "interactionType": "other" if scenario in BRANCHING else "choice",
                },
            }
            if scenario in BRANCHING:
                path = (
                    ["debut", "suite", "reussite"]
                    if ok
                    else random.choice([["debut", "echec"], ["debut", "suite", "echec"]])
                )
                result = {"success": ok, "response": "x[,]y", "extensions": {V.EXT_PATH: path}}
            else:
                result = {"success": ok, "response": "a" if ok else random.choice(CHOICES[1:])}
            s = _statement(p["number"], "answered", obj["id"], ts, result=result)
            s["object"] = obj
            batch.append(s)
        end = day + dt.timedelta(hours=1)
        verb = "passed" if p["passed"] else "failed"
        batch.append(_statement(p["number"], verb, V.MODULE, end, result={"success": p["passed"]}))
        for s in batch[: target - count]:
            yield s
        count += len(batch)


def write_statements(path: Path, n_people: int, target: int) -> None:
    with path.open("w", encoding="utf-8") as f:
        for s in iter_statements(n_people, target):
            f.write(json.dumps(s, ensure_ascii=False, separators=(",", ":")) + "\n")


def _sign_chunk(args: tuple[str, list[bytes]]) -> list[str]:
    from attest.signing import sign_payload

    key_path, payloads = args
    key = load_private_key(Path(key_path))
    kid = key_id(key.public_key())
    return [sign_payload(p, key, kid) for p in payloads]


def write_store(path: Path, key_path: Path, n_people: int, limit: int) -> int:
    """Signed attestations for the people who passed (at most ``limit``), in one transaction."""
    form, directive = load_form(), load_directive()
    key = load_private_key(key_path)
    kid = key_id(key.public_key())
    with AttestationStore(path):
        pass  # schema and triggers
    rows: list[dict[str, Any]] = []
    payloads: list[bytes] = []
    prev = GENESIS_HASH
    seq = 0
    for i in range(n_people):
        p = person_profile(i)
        if not p["attested"]:
            continue
        if seq >= limit:
            break
        seq += 1
        version = OLD_DIRECTIVE if p["old_version"] else directive.version
        signed_at = dt.datetime.combine(p["hired"] + dt.timedelta(days=4), dt.time(10), dt.UTC)
        fields = {
            "seq": seq,
            "format": RECORD_FORMAT,
            "id": str(uuid.uuid4()),
            "kind": "attestation",
            "employee_number": p["number"],
            "full_name": f"Prénom{i} Nom{i}",
            "job_title": "Technicienne",
            "direction": f"Direction {i % 30:02d}",
            "establishment": directive.etablissement,
            "typed_signature": f"Prénom{i} Nom{i}",
            "electronic_signature_consent": True,
            "commitments": [c.id for c in form.engagements],
            "form_id": form.id,
            "form_version": form.version,
            "form_version_minor": form.changement_mineur,
            "form_sha256": "0" * 64,
            "directive_number": directive.numero,
            "directive_version": version,
            "directive_version_minor": False,
            "quiz_registration": str(uuid.uuid4()),
            "quiz_score": 0.9,
            "identification": "typed",
            "signed_at": signed_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "verification_code": f"{seq:05d}-{i % 100000:05d}",
            "revokes": None,
            "reason": None,
            "prev_hash": prev,
        }
        payload = canonical_json(fields)
        prev = sha256_hex(payload)
        row = {name: to_column(kind, fields[name]) for name, (_t, kind) in COLUMNS.items()}
        row["record_hash"] = prev
        rows.append(row)
        payloads.append(payload)
    chunks = [(str(key_path), payloads[i : i + 5000]) for i in range(0, len(payloads), 5000)]
    with mp.get_context("spawn").Pool(max(1, mp.cpu_count())) as pool:
        tokens = [t for chunk in pool.map(_sign_chunk, chunks) for t in chunk]
    del kid
    conn = sqlite3.connect(path)
    names = [*COLUMNS, "record_hash", "jws"]
    conn.executemany(
        f"INSERT INTO attestations ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
        ([*(r[n] for n in names[:-1]), tok] for r, tok in zip(rows, tokens, strict=True)),
    )
    conn.commit()
    conn.close()
    return len(rows)


# --- phases (each in its own process) -----------------------------------------------------------------


class FileClient:
    """Feeds ``lrs_export.pull.pull`` from a JSON-lines file, 1,000 statements per page."""

    class settings:
        pull_overlap_seconds = 300.0

    def __init__(self, path: Path) -> None:
        self.path = path

    def iter_pages(self, params: Any = None, *, more: str | None = None) -> Iterator[tuple[list[Any], Any]]:
        page: list[Any] = []
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                page.append(json.loads(line))
                if len(page) == 1000:
                    yield page, "more"
                    page = []
        yield page, None


def phase_import(work: Path) -> dict[str, Any]:
    from formation_tic.hr import import_roster

    report = import_roster(work / "hr.db", work / "personnel.csv")
    return {"loaded": report.loaded, "rejected": len(report.rejected)}


def phase_pull(work: Path) -> dict[str, Any]:
    from lrs_export.pull import pull

    report = pull(FileClient(work / "statements.jsonl"), work / "outbox.db")  # type: ignore[arg-type]
    return {"fetched": report.fetched}


def _rules_sources(work: Path) -> tuple[Any, Any, Any]:
    from attest import available_forms, load_public_key, public_keys_by_id
    from formation_tic.hr import RegisterRules, RegisterSources

    rules = RegisterRules(late_after_days=30, directive=load_directive(), forms=available_forms())
    sources = RegisterSources(
        roster_db=work / "hr.db", attestations_db=work / "attestations.db", statements_db=work / "outbox.db"
    )
    keys = public_keys_by_id([load_public_key(work / "cert.pem")])
    return rules, sources, keys


def phase_register(work: Path) -> dict[str, Any]:
    from formation_tic.hr import RegisterFilters, build_register
    from formation_tic.hr.summary import summary_table

    rules, sources, keys = _rules_sources(work)
    register = build_register(sources, rules, RegisterFilters(), keys)
    summary_table(register)
    digest = hashlib.sha256(repr([(r.employee_number, r.status) for r in register.rows]).encode()).hexdigest()
    return {"rows": len(register.rows), "counts": register.counts(), "digest": digest}


HAND_SQL = """
WITH revoked AS (SELECT revokes FROM att.attestations WHERE kind = 'revocation'),
live AS (
  SELECT employee_number, seq, directive_version, form_version, signed_at, verification_code
  FROM att.attestations
  WHERE kind = 'attestation' AND signed_at < :until AND id NOT IN (SELECT revokes FROM revoked)
),
last AS (
  SELECT employee_number, max(seq) AS seq, directive_version, form_version, signed_at, verification_code
  FROM live GROUP BY employee_number
),
act AS (
  SELECT actor_name,
         max(CASE WHEN verb = :passed AND object = :module THEN timestamp END) AS p,
         max(CASE WHEN verb = :failed AND object = :module THEN timestamp END) AS f
  FROM st.lrs_statements WHERE timestamp < :until GROUP BY actor_name
)
SELECT r.employee_number, r.last_name, r.first_name, r.job_title, r.direction, r.service,
       r.manager_number, m.last_name, m.first_name, r.hire_date, r.email,
       CASE
         WHEN l.seq IS NOT NULL AND l.directive_version = :current THEN 'atteste'
         WHEN l.seq IS NOT NULL THEN 'a_renouveler'
         WHEN r.hire_date < :late_before THEN 'en_retard'
         WHEN a.f IS NOT NULL AND (a.p IS NULL OR a.p < a.f) THEN 'echec'
         WHEN a.actor_name IS NOT NULL THEN 'en_cours'
         ELSE 'non_commence'
       END,
       l.form_version, l.directive_version, l.signed_at, l.verification_code
FROM roster r
LEFT JOIN roster m ON m.employee_number = r.manager_number
LEFT JOIN last l ON l.employee_number = r.employee_number
LEFT JOIN act a ON a.actor_name = r.employee_number
WHERE r.status = 'active' AND r.hire_date <= :today
ORDER BY r.employee_number
"""


def phase_hand_sql(work: Path) -> dict[str, Any]:
    conn = sqlite3.connect(work / "hr.db")
    conn.execute("ATTACH DATABASE ? AS att", (str(work / "attestations.db"),))
    conn.execute("ATTACH DATABASE ? AS st", (str(work / "outbox.db"),))
    rows = conn.execute(
        HAND_SQL,
        {
            "until": (TODAY + dt.timedelta(days=1)).isoformat(),
            "today": TODAY.isoformat(),
            "late_before": (TODAY - dt.timedelta(days=30)).isoformat(),
            "current": load_directive().version,
            "passed": V.VERBS["passed"][0],
            "failed": V.VERBS["failed"][0],
            "module": V.MODULE,
        },
    ).fetchall()
    conn.close()
    digest = hashlib.sha256(repr([(r[0], r[11]) for r in rows]).encode()).hexdigest()
    return {"rows": len(rows), "counts": dict(Counter(r[11] for r in rows)), "digest": digest}


def phase_outputs(work: Path, skip_xlsx: bool) -> dict[str, Any]:
    from formation_tic.hr import RegisterFilters, build_register
    from formation_tic.hr.exports import REGISTER_COLUMNS, export_reminders, table, write_csv, write_xlsx
    from formation_tic.hr.report_html import render_report_html

    rules, sources, keys = _rules_sources(work)
    register = build_register(sources, rules, RegisterFilters(), keys)
    headers = [h for h, _g in REGISTER_COLUMNS]
    timings: dict[str, Any] = {}
    t = time.perf_counter()
    write_csv(work / "registre.csv", headers, table(register.rows, REGISTER_COLUMNS))
    timings["csv_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    (work / "registre.html").write_text(render_report_html(register), encoding="utf-8")
    timings["html_s"] = round(time.perf_counter() - t, 2)
    timings["html_mb"] = round((work / "registre.html").stat().st_size / 1e6, 1)
    t = time.perf_counter()
    timings["reminders"] = export_reminders(register, work / "relances.csv")
    timings["reminders_s"] = round(time.perf_counter() - t, 2)
    if not skip_xlsx:
        t = time.perf_counter()
        write_xlsx(work / "registre.xlsx", headers, table(register.rows, REGISTER_COLUMNS))
        timings["xlsx_s"] = round(time.perf_counter() - t, 2)
    return timings


def phase_items(work: Path) -> dict[str, Any]:
    from formation_tic.hr.items import analyze_items

    stats = analyze_items(work / "outbox.db")
    return {"scenarios": len(stats), "flagged": [s.scenario_id for s in stats if s.flag]}


def peak_memory_mb() -> float:
    """Peak resident memory of this process (VmHWM: reset by exec, unlike ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 0)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)


def _child(fn: Callable[..., dict[str, Any]], args: tuple[Any, ...], queue: Any) -> None:
    t = time.perf_counter()
    result = fn(*args)
    result["seconds"] = round(time.perf_counter() - t, 2)
    result["peak_mb"] = peak_memory_mb()
    queue.put(result)


def run(name: str, fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(fn, args, queue))
    proc.start()
    result: dict[str, Any] = queue.get()
    proc.join()
    print(
        f"{name:<42} {result['seconds']:>8.2f} s  {result['peak_mb']:>6.0f} Mo  "
        + json.dumps(
            {k: v for k, v in result.items() if k not in ("seconds", "peak_mb", "digest")}, ensure_ascii=False
        ),
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--employees", type=int, default=330_000)
    parser.add_argument("--statements", type=int, default=2_000_000)
    parser.add_argument("--attestations", type=int, default=200_000)
    parser.add_argument("--dir", type=Path, default=None, help="Working directory (default: temp)")
    parser.add_argument("--skip-xlsx", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="Reuse the generated files of --dir (skip generation)."
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        loaded = args.reuse and (work / "hr.db").exists() and (work / "outbox.db").exists()
        generated: tuple[str, ...] = () if args.reuse else ("hr.db", "outbox.db", "attestations.db")
        for name in generated:
            for suffix in ("", "-wal", "-shm"):
                (work / (name + suffix)).unlink(missing_ok=True)
        if not args.reuse:
            t = time.perf_counter()
            write_roster(work / "personnel.csv", args.employees)
            write_statements(work / "statements.jsonl", args.employees, args.statements)
            files = init_keys(
                work / "key.pem",
                work / "cert.pem",
                work / "pub.pem",
                establishment="Banc d'essai",
                key_size=2048,
                force=True,
            )
            signed = write_store(
                work / "attestations.db", files.private_key, args.employees, args.attestations
            )
            print(
                f"Génération : {time.perf_counter() - t:.1f} s ({args.employees} personnes, "
                f"{args.statements} énoncés, {signed} attestations signées)",
                flush=True,
            )

        if loaded:
            conn = sqlite3.connect(work / "hr.db")
            conn.execute("DROP TABLE IF EXISTS verified_attestations")
            conn.execute("DROP TABLE IF EXISTS verification_state")
            conn.close()
            print("Liste du personnel et énoncés déjà importés (--reuse) : étapes 1 et 2 sautées.")
        else:
            run("1. Import de la liste du personnel", phase_import, work)
            run("2. Import des énoncés (lrs pull, fichier)", phase_pull, work)
        first = run("3a. Registre complet (avec vérification)", phase_register, work)
        second = run("3b. Registre complet (vérification en cache)", phase_register, work)
        hand = run("4. Requête SQL écrite à la main", phase_hand_sql, work)
        run("5. Fichiers CSV, HTML, relances, XLSX", phase_outputs, work, args.skip_xlsx)
        run("6. Analyse des scénarios", phase_items, work)
        same = second["digest"] == hand["digest"] == first["digest"]
        print(f"Statuts identiques (registre / requête à la main) : {'oui' if same else 'NON'}")
        print(f"Ratio registre (cache) / requête à la main : {second['seconds'] / hand['seconds']:.2f}")
        if not same:
            print(f"  registre : {second['counts']}\n  à la main : {hand['counts']}")
            sys.exit(1)


if __name__ == "__main__":
    main()

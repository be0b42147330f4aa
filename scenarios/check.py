"""Check scenario files: syntax, schema, references, branching graphs. Reports every problem."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .audit import length_warnings
from .loader import Document, Path_, Position, YamlSyntaxError, load_document
from .markup import markup_problems
from .model import SCHEMA_VERSION, Branching, MultipleChoice, Scenario, SingleChoice
from .profile import Profile, ProfileError, literal_contacts, render, unknown_placeholders
from .sources import Registry, load_registry
from .text import inline_directive_sections
from .wording import plural


@dataclass(frozen=True)
class Problem:
    """One problem found in a scenario file."""

    path: Path
    position: Position
    message: str
    scenario_id: str | None = None
    field: str | None = None
    warning: bool = False
    """A warning (« avertissement ») points at something to improve; it is not an error."""

    def __str__(self) -> str:
        where = f"{self.path}:{self.position.line}:{self.position.column}"
        who = f"scénario « {self.scenario_id} »" if self.scenario_id else ""
        what = f"champ « {self.field} »" if self.field else ""
        label = ", ".join(x for x in (who, what) if x)
        if self.warning:
            where += ": avertissement"
            return f"{where} : {label} : {self.message}" if label else f"{where} : {self.message}"
        return f"{where}: {label} : {self.message}" if label else f"{where}: {self.message}"


@dataclass(frozen=True)
class LoadedScenario:
    """A valid scenario and the file it came from."""

    path: Path
    scenario: Scenario
    document: Document


@dataclass
class CheckResult:
    """Valid scenarios and every problem found."""

    scenarios: list[LoadedScenario]
    problems: list[Problem]
    warnings: list[Problem] = _field(default_factory=list)
    """Warnings on valid scenarios (see :func:`warnings_of`): they never make the check fail."""

    @property
    def ok(self) -> bool:
        """True when no problem was found (warnings do not count)."""
        return not self.problems


def field_name(where: Path_) -> str:
    """``("question", "choices", 1, "feedback")`` → ``question.choices[1].feedback``."""
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    """The ``.yaml``/``.yml`` files named or found (recursively) under ``paths``, sorted."""
    files: set[Path] = set()
    for path in paths:
        if path.is_dir():
            files.update(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())
        else:
            files.add(path)
    return sorted(files)


def check_paths(paths: Iterable[Path], profile: Profile, registry: Registry | None = None) -> CheckResult:
    """Check every scenario file under ``paths``; never stops at the first problem."""
    registry = registry or load_registry()
    result = CheckResult([], [])
    first_seen: dict[str, Path] = {}
    files = scenario_files(paths)
    if not files:
        result.problems.append(
            Problem(
                Path(".").joinpath(*[str(p) for p in paths][:1]),
                Position(1, 1),
                "aucun fichier de scénario (.yaml) trouvé",
            )
        )
    for path in files:
        loaded, problems = check_file(path, profile, registry)
        result.problems.extend(problems)
        if loaded is None:
            continue
        sid = loaded.scenario.id
        if sid in first_seen:
            result.problems.append(
                Problem(
                    path,
                    loaded.document.position(("id",)),
                    f"identifiant en double : déjà utilisé dans {first_seen[sid]}",
                    sid,
                    "id",
                )
            )
            continue
        first_seen[sid] = path
        if not problems:
            result.scenarios.append(loaded)
            result.warnings.extend(warnings_of(loaded, profile))
    return result


def warnings_of(loaded: LoadedScenario, profile: Profile) -> list[Problem]:
    """Warnings on a valid scenario: a right option longer than every wrong one by 30 % or more
    (it can be guessed without knowing the subject; see :mod:`scenarios.audit`)."""

    def shown(text: str) -> str:
        try:
            return render(text, profile)
        except ProfileError:
            return text

    doc, scenario = loaded.document, loaded.scenario
    return [
        Problem(loaded.path, doc.position(w.where), w.message, scenario.id, field_name(w.where), warning=True)
        for w in length_warnings(scenario, render=shown)
    ]


def check_file(
    path: Path, profile: Profile, registry: Registry
) -> tuple[LoadedScenario | None, list[Problem]]:
    """Check one file; returns the scenario (if it parses) and its problems."""
    try:
        doc = load_document(path)
    except YamlSyntaxError as exc:
        named = field_name(exc.where) if exc.where else None
        return None, [Problem(path, exc.position, str(exc), exc.scenario_id, named)]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, Position(1, 1), f"fichier illisible : {exc}")]
    data = doc.data
    sid = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None

    def problem(where: Path_, message: str, at_key: bool = False) -> Problem:
        pos = doc.key_position(where) if at_key else doc.position(where)
        return Problem(path, pos, message, sid, field_name(where) or None)

    if not isinstance(data, dict):
        return None, [problem((), "le fichier doit décrire un scénario (un dictionnaire YAML)")]
    problems = [problem(w, "clé en double") for w in doc.duplicate_keys]
    version_problem = _check_version(data)
    if version_problem:
        return None, [*problems, problem(("schema_version",), version_problem)]
    problems += [
        Problem(path, pos, message, sid, field_name(where) or None)
        for where, pos, message in _text_problems(doc, profile)
    ]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            where, message = _french_error(error, data)
            problems.append(problem(where, message, at_key=error["type"] == "extra_forbidden"))
        problems.sort(key=lambda p: (p.position.line, p.position.column))
        return None, problems
    problems += [problem(w, m) for w, m in _semantic_problems(scenario, registry)]
    problems.sort(key=lambda p: (p.position.line, p.position.column))
    return LoadedScenario(path, scenario, doc), problems


def _check_version(data: dict[str, Any]) -> str | None:
    if "schema_version" not in data:
        return f"champ obligatoire manquant (la version du format, {SCHEMA_VERSION})"
    version = data["schema_version"]
    if not isinstance(version, int) or isinstance(version, bool):
        return f"nombre entier attendu (version du format : {SCHEMA_VERSION})"
    if version < SCHEMA_VERSION:
        return (
            f"version de format trop ancienne ({version}) : ce programme lit la version "
            f"{SCHEMA_VERSION} ; mettez le fichier à jour"
        )
    if version > SCHEMA_VERSION:
        return (
            f"version de format trop récente ({version}) : ce programme lit la version "
            f"{SCHEMA_VERSION} ; mettez formation-tic à jour"
        )
    return None


def _strings(data: Any, where: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    if isinstance(data, str):
        yield where, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _strings(value, (*where, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*where, index))


def _text_problems(doc: Document, profile: Profile) -> Iterator[tuple[Path_, Position, str]]:
    for where, text in _strings(doc.data):
        for found in markup_problems(text):
            yield where, doc.text_position(where, text, found.line, found.column), found.message
        for name in unknown_placeholders(text, profile):
            yield where, doc.position(where), f"valeur inconnue du profil d'établissement : etab.{name}"
        for contact in literal_contacts(text):
            yield (
                where,
                doc.position(where),
                (
                    f"coordonnée écrite en clair « {contact} » : un numéro ou une adresse vient du profil "
                    "d'établissement (espace réservé etab.contacts.…), jamais du texte d'un scénario"
                ),
            )


_TYPE_NAMES = {
    "string_type": "texte",
    "int_type": "nombre entier",
    "int_parsing": "nombre entier",
    "bool_type": "vrai ou faux (true/false)",
    "bool_parsing": "vrai ou faux (true/false)",
    "list_type": "liste",
    "dict_type": "dictionnaire",
    "model_type": "dictionnaire",
    "model_attributes_type": "dictionnaire",
}


def _resolve(loc: tuple[int | str, ...], data: Any) -> Path_:
    """Map a pydantic error location onto the data (dropping union tags)."""
    where: list[str | int] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            where.append(part)
            node = node[part]  # type: ignore[index]
        elif isinstance(node, dict) and part in {"single", "multiple", "branching"}:
            continue
        else:
            where.append(part)
            node = None
    return tuple(where)


def _french_error(error: Any, data: Any) -> tuple[Path_, str]:
    where = _resolve(tuple(error["loc"]), data)
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        if where and where[-1] == "feedback":
            return where, "rétroaction manquante : chaque choix doit expliquer pourquoi"
        return where, "champ obligatoire manquant"
    if kind == "extra_forbidden":
        return where, "champ inconnu (vérifiez l'orthographe ; voir le guide du formateur)"
    if kind in _TYPE_NAMES:
        return where, f"type incorrect : {_TYPE_NAMES[kind]} attendu"
    if kind == "enum":
        allowed = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return where, f"valeur inconnue « {error.get('input')} » ; valeurs permises : {allowed}"
    if kind == "union_tag_invalid":
        return where, (
            f"type de question inconnu « {ctx.get('tag')} » ; valeurs permises : single, multiple, branching"
        )
    if kind == "union_tag_not_found":
        return (*where, "kind"), "champ obligatoire manquant (single, multiple ou branching)"
    if kind == "string_pattern_mismatch":
        return where, "identifiant invalide : lettres minuscules, chiffres et tirets seulement"
    if kind == "string_too_short":
        return where, "texte vide"
    if kind == "too_short":
        return where, f"au moins {plural(int(ctx.get('min_length', 1)), 'élément requis', 'éléments requis')}"
    if kind == "string_too_long":
        return where, f"texte trop long (au plus {ctx.get('max_length')} caractères)"
    return where, f"valeur invalide ({error.get('msg')})"


def _semantic_problems(scenario: Scenario, registry: Registry) -> Iterator[tuple[Path_, str]]:
    for index, citation in enumerate(scenario.sections):
        if not registry.exists(citation):
            yield (
                ("sections", index),
                (f"section inexistante « {citation} » (voir scenarios/data/sources.yaml)"),
            )
    listed = set(scenario.sections)
    for where, text in _strings(scenario.model_dump(mode="json")):
        for number in inline_directive_sections(text):
            if not registry.exists(number):
                yield where, f"le texte cite une section inexistante de la directive : {number}"
            elif number not in listed:
                yield where, f"le texte cite la section {number}, absente de « sections »"
    question = scenario.question
    if isinstance(question, SingleChoice | MultipleChoice):
        yield from _duplicate_ids([c.id for c in question.choices], ("question", "choices"))
        correct = question.correct_ids
        if isinstance(question, SingleChoice) and len(correct) != 1:
            message = (
                "aucune bonne réponse : une question « single » en a exactement une"
                if not correct
                else f"plusieurs bonnes réponses ({', '.join(correct)}) : une question "
                "« single » en a exactement une ; utilisez kind: multiple"
            )
            yield ("question", "choices"), message
        if isinstance(question, MultipleChoice) and not correct:
            yield ("question", "choices"), "aucune bonne réponse : indiquez au moins un choix correct"
    else:
        yield from _branching_problems(question)


def _duplicate_ids(ids: list[str], where: Path_) -> Iterator[tuple[Path_, str]]:
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if value in seen:
            yield (*where, index, "id"), f"identifiant « {value} » en double"
        seen.add(value)


def _branching_problems(q: Branching) -> Iterator[tuple[Path_, str]]:
    base: Path_ = ("question",)
    nodes = [*(s.id for s in q.steps), *(e.id for e in q.endings)]
    yield from _duplicate_ids(nodes[: len(q.steps)], (*base, "steps"))
    yield from _duplicate_ids(nodes[len(q.steps) :], (*base, "endings"))
    for index, node_id in enumerate(nodes[len(q.steps) :]):
        if node_id in nodes[: len(q.steps)]:
            yield (*base, "endings", index, "id"), f"« {node_id} » est à la fois une étape et une fin"
    steps = {s.id: s for s in q.steps}
    endings = {e.id for e in q.endings}
    if q.start not in steps:
        yield (*base, "start"), f"étape de départ « {q.start} » introuvable parmi les étapes"
        return
    for si, step in enumerate(q.steps):
        yield from _duplicate_ids([c.id for c in step.choices], (*base, "steps", si, "choices"))
        for ci, choice in enumerate(step.choices):
            if choice.goto not in steps and choice.goto not in endings:
                yield (
                    (*base, "steps", si, "choices", ci, "goto"),
                    (f"destination « {choice.goto} » introuvable (ni étape ni fin)"),
                )
    edges = {s.id: [c.goto for c in s.choices if c.goto in steps or c.goto in endings] for s in q.steps}
    reachable = _reachable(q.start, edges)
    for si, step in enumerate(q.steps):
        if step.id not in reachable:
            yield (*base, "steps", si), f"étape « {step.id} » inaccessible depuis « {q.start} »"
    for ei, ending in enumerate(q.endings):
        if ending.id not in reachable:
            yield (*base, "endings", ei), f"fin « {ending.id} » inaccessible depuis « {q.start} »"
    for si, step in enumerate(q.steps):
        if not (_reachable(step.id, edges) & endings):
            yield (*base, "steps", si), f"l'étape « {step.id} » ne mène à aucune fin"
    cycle = _find_cycle(q.start, edges)
    if cycle:
        index = next(i for i, s in enumerate(q.steps) if s.id == cycle[0])
        yield (*base, "steps", index), "boucle interdite : " + " → ".join(cycle)
    verdicts = {e.verdict.value for e in q.endings}
    if "pass" not in verdicts:
        yield (*base, "endings"), "aucune fin réussie (verdict: pass)"
    if "fail" not in verdicts:
        yield (*base, "endings"), "aucune fin échouée (verdict: fail) : le scénario ne peut pas être raté"


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in edges.get(todo.pop(), []):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _find_cycle(start: str, edges: dict[str, list[str]]) -> list[str] | None:
    """A cycle reachable from ``start`` as a list of ids (first repeated at the end), if any."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in edges.get(node, []):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    return visit(start)

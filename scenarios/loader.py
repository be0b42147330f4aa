"""Read a scenario YAML file, keeping where each value stands (line, column) for error reports.

Files are read through :mod:`scenarios.safe_yaml`: bounded size and depth, no anchor or alias.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .safe_yaml import FileTooLarge, Path_, RefusedYaml, load, read_limited


@dataclass(frozen=True)
class Position:
    """A 1-based line and column in a file."""

    line: int
    column: int


@dataclass
class Document:
    """A parsed YAML document with the position of every value and key."""

    path: Path
    data: Any
    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)
    duplicate_keys: list[Path_] = field(default_factory=list)
    literal_blocks: set[Path_] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)

    def position(self, where: Path_) -> Position:
        """Position of the value at ``where``, or of its nearest existing parent."""
        for n in range(len(where), -1, -1):
            pos = self.values.get(where[:n])
            if pos is not None:
                return pos
        return Position(1, 1)

    def key_position(self, where: Path_) -> Position:
        """Position of the key naming ``where`` (the value's position if it has no key)."""
        return self.keys.get(where) or self.position(where)

    def text_position(self, where: Path_, text: str, line: int | None, column: int) -> Position:
        """Position in the file of ``line``/``column`` (0-based) of the text value at ``where``.

        Exact for literal blocks (``|``), where text lines are file lines; otherwise, or when
        ``line`` is None, the value's own position.
        """
        start = self.values.get(where)
        text_lines = text.split("\n")
        if start is None or line is None or where not in self.literal_blocks or line >= len(text_lines):
            return self.position(where)
        number = start.line + 1 + line
        wanted = text_lines[line]
        source = self.lines[number - 1] if number <= len(self.lines) else ""
        if not wanted or not source.endswith(wanted):
            return self.position(where)
        return Position(number, len(source) - len(wanted) + column + 1)


class YamlSyntaxError(ValueError):
    """The file is not valid YAML, or uses a construct scenario files refuse."""

    def __init__(
        self,
        message: str,
        position: Position,
        scenario_id: str | None = None,
        where: Path_ | None = None,
    ) -> None:
        super().__init__(message)
        self.position = position
        self.scenario_id = scenario_id
        self.where = where


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _mark_position(mark: yaml.Mark | None) -> Position:
    return Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)


def load_document(path: Path) -> Document:
    """Parse one YAML file; raise ``YamlSyntaxError`` (with position), ``OSError`` or ``UnicodeError``."""
    try:
        text = read_limited(path)
    except FileTooLarge as exc:
        raise YamlSyntaxError(str(exc), Position(1, 1)) from exc
    try:
        node, data = load(text)
    except RefusedYaml as exc:
        position = _mark_position(exc.problem_mark)
        raise YamlSyntaxError(str(exc.problem), position, exc.scenario_id, exc.where or None) from exc
    except yaml.MarkedYAMLError as exc:
        pos = _mark_position(exc.problem_mark or exc.context_mark)
        raise YamlSyntaxError(_french_yaml_problem(exc), pos) from exc
    doc = Document(path=path, data=data, lines=text.splitlines())
    if node is not None:
        _walk(node, (), doc)
    return doc


def _walk(node: yaml.Node, where: Path_, doc: Document) -> None:
    doc.values[where] = _pos(node)
    if isinstance(node, yaml.ScalarNode) and node.style == "|":
        doc.literal_blocks.add(where)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*where, key)
            if key in seen:
                doc.duplicate_keys.append(child)
            seen.add(key)
            doc.keys[child] = _pos(key_node)
            _walk(value_node, child, doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*where, index), doc)


_YAML_PROBLEMS = {
    "mapping values are not allowed here": (
        "« : » inattendu ; mettez le texte entre guillemets s'il contient « : »"
    ),
    "could not find expected ':'": "« : » manquant après une clé",
    "found character '\\t' that cannot start any token": "tabulation interdite ; indentez avec des espaces",
    "found undefined alias": "alias inconnu",
    "expected <block end>, but found": "indentation incohérente",
    "did not find expected key": "indentation incohérente ou clé manquante",
    "found unexpected end of stream": "fin de fichier inattendue (guillemet non fermé ?)",
    "did not find expected '-' indicator": "élément de liste mal indenté",
    "could not determine a constructor for the tag": "étiquette YAML (« ! ») non permise",
}


def _french_yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or str(exc)
    for english, french in _YAML_PROBLEMS.items():
        if problem.startswith(english):
            return f"erreur de syntaxe YAML : {french}"
    return f"erreur de syntaxe YAML : {problem}"

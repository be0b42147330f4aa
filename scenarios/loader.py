"""Read a scenario YAML file, keeping where each value stands (line, column) for error reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


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


class YamlSyntaxError(ValueError):
    """The file is not valid YAML."""

    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.position = position


def _pos(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def load_document(path: Path) -> Document:
    """Parse one YAML file; raise ``YamlSyntaxError`` (with position) or ``OSError``."""
    text = path.read_text(encoding="utf-8")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)
        raise YamlSyntaxError(_french_yaml_problem(exc), pos) from exc
    finally:
        loader.dispose()
    doc = Document(path=path, data=data)
    if node is not None:
        _walk(node, (), doc)
    return doc


def _walk(node: yaml.Node, where: Path_, doc: Document) -> None:
    doc.values[where] = _pos(node)
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
}


def _french_yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or str(exc)
    for english, french in _YAML_PROBLEMS.items():
        if problem.startswith(english):
            return f"erreur de syntaxe YAML : {french}"
    return f"erreur de syntaxe YAML : {problem}"

"""Bounded YAML for scenario files: size, nesting depth, no anchors or aliases.

A scenario file is a small tree of text. Limits are enforced before the document is built:
the size on the raw bytes (nothing larger is even read), anchors, aliases and depth while
the YAML events are composed into nodes. A « billion laughs » file is refused at its first
anchor, so neither ``scenarios check`` nor ``build`` can be driven out of memory or time.
The scenario bank uses no anchor or alias and nests at most 6 levels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 64 * 1024
"""Largest scenario file read (the bank's largest is about 6 KiB)."""
MAX_DEPTH = 10
"""Deepest nesting of lists and dictionaries (the format needs 6)."""

Path_ = tuple[str | int, ...]


class RefusedYaml(yaml.MarkedYAMLError):
    """A construct the scenario format refuses; ``problem`` is a French message."""

    def __init__(self, problem: str, mark: Any, where: Path_, scenario_id: str | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.where = where
        self.scenario_id = scenario_id


class FileTooLarge(ValueError):
    """The file is larger than :data:`MAX_FILE_BYTES`."""


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The file's UTF-8 text; raise ``FileTooLarge`` without reading more than ``limit + 1`` bytes."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(
            f"fichier trop volumineux (plus de {limit // 1024} Kio ; un scénario en fait "
            "d'ordinaire moins de 10) : découpez-le en plusieurs scénarios"
        )
    return data.decode("utf-8")


class BoundedLoader(yaml.SafeLoader):
    """``SafeLoader`` that refuses anchors, aliases and nesting deeper than ``MAX_DEPTH``.

    The checks run in ``compose_node``, on each event before its node is built. ``where``
    (the key path being composed) and the scenario ``id`` (once read) name the field in errors.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._where: list[Path_] = []
        self.scenario_id: str | None = None

    def _child_path(self, index: Any) -> Path_:
        base = self._where[-1] if self._where else ()
        if isinstance(index, int):
            return (*base, index)
        if isinstance(index, yaml.ScalarNode):
            return (*base, str(index.value))
        return base  # the document root, or a mapping key

    def _refuse(self, problem: str, event: yaml.Event, where: Path_) -> RefusedYaml:
        return RefusedYaml(problem, event.start_mark, where, self.scenario_id)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node after checking its event (no alias, no anchor, bounded depth)."""
        event = self.peek_event()
        where = self._child_path(index)
        if isinstance(event, yaml.AliasEvent):
            raise self._refuse(
                f"alias YAML « *{event.anchor} » refusé : répétez le texte au lieu d'y renvoyer",
                event,
                where,
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise self._refuse(
                f"ancre YAML « &{anchor} » refusée : les ancres et les alias ne sont pas permis "
                "dans un scénario",
                event,
                where,
            )
        if not isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            node = super().compose_node(parent, index)
            if where == ("id",) and isinstance(node, yaml.ScalarNode):
                self.scenario_id = str(node.value)
            return node
        if len(self._where) >= MAX_DEPTH:
            raise self._refuse(
                f"imbrication trop profonde (plus de {MAX_DEPTH} niveaux de listes ou de "
                "dictionnaires) : le format de scénario n'en utilise que 6",
                event,
                where,
            )
        self._where.append(where)
        try:
            return super().compose_node(parent, index)
        finally:
            self._where.pop()


def load(text: str) -> tuple[yaml.Node | None, Any]:
    """The single YAML document of ``text``: its root node and its value (safe tags only).

    Raise ``RefusedYaml`` for a refused construct, ``yaml.MarkedYAMLError`` for invalid YAML.
    """
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()

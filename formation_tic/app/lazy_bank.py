"""The graded bank as a learner kernel holds it: what a draw needs of every scenario, and
each scenario itself validated only when the page first uses it.

A learner's quiz shows about a dozen scenarios of a bank of about eighty. Validated, the
whole bank costs a kernel more than a megabyte of objects; kept as compressed JSON until
drawn, it costs a few hundred kilobytes (see ``benchmarks/bench_app.py``). The JSON comes
from the shared checked file (:mod:`.shared_bank`), made by the same models from the same
files, and is validated again by :class:`scenarios.model.Scenario` when used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from scenarios.model import Scenario, Theme


@dataclass(frozen=True)
class BankEntry:
    """What a draw needs to know of a scenario without reading it."""

    id: str
    theme: Theme
    kind: str

    @classmethod
    def of(cls, scenario: Scenario) -> BankEntry:
        """The entry of a scenario already read."""
        return cls(scenario.id, scenario.theme, scenario.question.kind)


class LazyBank(Mapping[str, Scenario]):
    """Scenarios by id, each read by ``load`` from its packed form on first use, then kept."""

    def __init__(self, items: Sequence[tuple[BankEntry, bytes]], load: Callable[[bytes], Scenario]) -> None:
        self.entries: tuple[BankEntry, ...] = tuple(entry for entry, _ in items)
        self._packed = {entry.id: (entry, packed) for entry, packed in items}
        self._load = load
        self._read: dict[str, Scenario] = {}

    def __getitem__(self, scenario_id: str) -> Scenario:
        scenario = self._read.get(scenario_id)
        if scenario is None:
            entry, packed = self._packed[scenario_id]
            scenario = self._load(packed)
            if BankEntry.of(scenario) != entry:
                raise ValueError(f"banque partagée incohérente : {scenario.id} lu pour {scenario_id}")
            self._read[scenario_id] = scenario
        return scenario

    @property
    def read_ids(self) -> set[str]:
        """The scenarios read so far."""
        return set(self._read)

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def __contains__(self, scenario_id: object) -> bool:
        return scenario_id in self._packed


def bank_entries(bank: Mapping[str, Scenario]) -> list[BankEntry]:
    """What a draw needs of every scenario of ``bank``, without reading a lazy bank's scenarios."""
    if isinstance(bank, LazyBank):
        return list(bank.entries)
    return [BankEntry.of(s) for s in bank.values()]

"""Learner-facing text: inline citations of the directive (markup checks: :mod:`scenarios.markup`)."""

from __future__ import annotations

import re

_INLINE_SECTION = re.compile(
    r"\bsections?\s+((?:\d+(?:\.\d+)*)(?:\s*(?:,|et|à)\s*\d+(?:\.\d+)*)*)", re.IGNORECASE
)
_NUMBER = re.compile(r"\d+(?:\.\d+)*")


def inline_directive_sections(text: str) -> list[str]:
    """Directive section numbers cited in prose, e.g. « sections 5.8 et 5.10 » → ["5.8", "5.10"]."""
    found: list[str] = []
    for match in _INLINE_SECTION.finditer(text):
        found.extend(_NUMBER.findall(match.group(1)))
    return found

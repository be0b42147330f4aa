"""JSON Schema of the scenario file format, for trainers' editors."""

from __future__ import annotations

from typing import Any

from .model import SCHEMA_VERSION, Scenario

SCHEMA_FILE = f"schema/scenario-v{SCHEMA_VERSION}.schema.json"


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of scenario files, version ``SCHEMA_VERSION``."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"Scénario formation-tic (format {SCHEMA_VERSION})"
    return schema

"""Three small scenarios (single, multiple, branching) built in code for the tests."""

from __future__ import annotations

from scenarios.model import Scenario

_BASE = {
    "schema_version": 1,
    "sections": ["5.3"],
    "audience": ["tous"],
    "situation": "Une situation.",
}

SINGLE = Scenario.model_validate(
    {
        **_BASE,
        "id": "test-simple",
        "title": "Choix simple",
        "theme": "urgence",
        "question": {
            "kind": "single",
            "prompt": "Que faites-vous ?",
            "choices": [
                {"id": "appeler", "text": "Appeler", "correct": True, "feedback": "Oui."},
                {"id": "ecrire", "text": "Écrire", "feedback": "Non."},
            ],
        },
    }
)

MULTIPLE = Scenario.model_validate(
    {
        **_BASE,
        "id": "test-multiple",
        "title": "Choix multiple",
        "theme": "consentement",
        "question": {
            "kind": "multiple",
            "prompt": "Lesquels ?",
            "choices": [
                {"id": "a", "text": "A", "correct": True, "feedback": "Oui."},
                {"id": "b", "text": "B", "feedback": "Non."},
                {"id": "c", "text": "C", "correct": True, "feedback": "Oui."},
            ],
        },
    }
)

BRANCHING = Scenario.model_validate(
    {
        **_BASE,
        "id": "test-embranchement",
        "title": "Embranchement",
        "theme": "teletravail",
        "question": {
            "kind": "branching",
            "start": "debut",
            "steps": [
                {
                    "id": "debut",
                    "prompt": "Premier choix ?",
                    "choices": [
                        {"id": "prudent", "text": "Prudent", "goto": "suite"},
                        {"id": "risque", "text": "Risqué", "goto": "echec"},
                    ],
                },
                {
                    "id": "suite",
                    "prompt": "Deuxième choix ?",
                    "choices": [
                        {"id": "verifier", "text": "Vérifier", "goto": "reussite"},
                        {"id": "envoyer", "text": "Envoyer", "goto": "echec"},
                    ],
                },
            ],
            "endings": [
                {"id": "reussite", "verdict": "pass", "feedback": "Bravo."},
                {"id": "echec", "verdict": "fail", "feedback": "Dommage."},
            ],
        },
    }
)

ALL = {s.id: s for s in (SINGLE, MULTIPLE, BRANCHING)}

"""Run Ralph LRS 5.1.0 (fs backend) with its known fs-backend bugs patched.

This is the ONE place where Ralph is patched; :mod:`lrs_export.local_lrs` runs it as a
subprocess (``python -m lrs_export._ralph_launcher --host 127.0.0.1 --port N``), for the
pytest fixture and for the local demo. Configuration comes from ``RALPH_*`` variables set
by the caller. The patches:

1. ``FSDataBackend.default_operation_type`` is ``CREATE``: the LRS file is opened in create
   mode, so every write after the first fails ("already exists"). → ``APPEND``.
2. The LRS verb/activity filters compare the ``IRI`` object Ralph builds from the query
   string to the string in the statement, so they never match. → coerce to ``str``.
3. ``HistoryMixin.append_to_history`` rewrites the whole history JSON file on every read
   and write of the statements file (O(n) per request, unbounded growth). → disabled
   for the fs backend.
"""

from __future__ import annotations

import argparse
from typing import Any


def patch_ralph_fs_backend() -> None:
    """Apply the three fs-backend fixes described in the module docstring."""
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.data.fs import FSDataBackend
    from ralph.backends.lrs.fs import FSLRSBackend

    FSDataBackend.default_operation_type = BaseOperationType.APPEND

    def no_history(self: Any, event: Any) -> None:
        return None

    FSDataBackend.append_to_history = no_history

    by_verb = FSLRSBackend._add_filter_by_verb
    by_activity = FSLRSBackend._add_filter_by_activity

    def add_filter_by_verb(filters: list[Any], verb_id: Any) -> None:
        by_verb(filters, str(verb_id) if verb_id else None)

    def add_filter_by_activity(filters: list[Any], object_id: Any, related: Any) -> None:
        by_activity(filters, str(object_id) if object_id else None, related)

    FSLRSBackend._add_filter_by_verb = staticmethod(add_filter_by_verb)
    FSLRSBackend._add_filter_by_activity = staticmethod(add_filter_by_activity)


def main(argv: list[str] | None = None) -> None:
    """Patch Ralph, then serve its API with uvicorn in this process."""
    parser = argparse.ArgumentParser(description="Ralph LRS (fs), patched for formation-tic")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    patch_ralph_fs_backend()
    import uvicorn

    uvicorn.run("ralph.api:app", host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

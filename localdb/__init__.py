"""localdb: how every formation-tic store opens its SQLite file, and says what went wrong.

The attestation register, the xAPI outbox, the pulled statements, the learners' progress
and the HR roster are SQLite files. They all open through :func:`connect`, so that they
share one set of pragmas (WAL journal, busy timeout, durability) and one French explanation
of a failure that names the file and says what to do (:class:`LocalDbError`).
"""

from .sqlite import LocalDbError, connect, explain, query, rollback_quietly, translated

__all__ = ["LocalDbError", "connect", "explain", "query", "rollback_quietly", "translated"]

"""Serve the built book on the loopback interface (the learner app joins it in a later version)."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; access logs carry no personal data but are kept off the console."""

    def log_message(self, format: str, *args: object) -> None:
        return


def serve_directory(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve ``directory`` over HTTP until interrupted."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    with http.server.ThreadingHTTPServer((host, port), handler) as server:
        server.serve_forever()

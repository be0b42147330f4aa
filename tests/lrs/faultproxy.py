"""A small HTTP proxy that injects faults between the sender and the LRS (tests only).

Bound to 127.0.0.1. For each request, a seeded RNG picks: forward normally, answer
500 or 503 without forwarding, delay past the client's read timeout and close, drop the
connection at once (RST), or forward (the LRS stores) then reset instead of answering.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FaultProxy:
    """Proxy ``127.0.0.1:port`` → ``upstream`` with random faults (fixed seed)."""

    def __init__(
        self,
        upstream: str,
        *,
        seed: int = 1234,
        p_500: float = 0.08,
        p_503: float = 0.08,
        p_delay: float = 0.04,
        p_drop: float = 0.06,
        p_store_then_reset: float = 0.10,
        delay: float = 1.5,
        faulty_methods: tuple[str, ...] = ("POST",),
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        self.table = [
            ("500", p_500),
            ("503", p_503),
            ("delay", p_delay),
            ("drop", p_drop),
            ("store_then_reset", p_store_then_reset),
        ]
        self.delay = delay
        self.faulty_methods = faulty_methods
        self.stats: Counter[str] = Counter()
        self.http = httpx.Client(timeout=60.0)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def _reset(self) -> None:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                action = proxy.pick(self.command)
                proxy.stats[action] += 1
                if action in ("500", "503"):
                    payload = b'{"detail": "panne simulee"}'
                    self.send_response(int(action))
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if action == "delay":
                    time.sleep(proxy.delay)
                    self._reset()
                    return
                if action == "drop":
                    self._reset()
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
                upstream = proxy.http.request(
                    self.command, proxy.upstream + self.path, headers=headers, content=body
                )
                if action == "store_then_reset":
                    self._reset()
                    return
                self.send_response(upstream.status_code)
                for k, v in upstream.headers.items():
                    if k.lower() not in HOP_HEADERS and k.lower() != "content-encoding":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_GET = do_POST = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        """The proxied xAPI endpoint."""
        return f"http://127.0.0.1:{self.port}/xAPI/"

    def pick(self, method: str) -> str:
        """The action for the next request (deterministic for a given request order)."""
        if method not in self.faulty_methods:
            return "forward"
        with self.rng_lock:
            x = self.rng.random()
        for action, p in self.table:
            if x < p:
                return action
            x -= p
        return "forward"

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.http.close()

"""A small HTTP proxy that injects faults between the sender and the LRS (tests only).

Bound to 127.0.0.1. For each request, a seeded RNG picks: forward normally, answer
500 or 503 without forwarding, delay past the client's read timeout and close, drop the
connection at once (RST), or forward (the LRS stores) then reset instead of answering.

Scripted answers (:class:`Scripted`, queued in ``proxy.script``) come first, in order:
e.g. answer 429 with ``Retry-After: 2`` without forwarding, or forward (the LRS stores)
then answer 503 with a ``Retry-After`` HTTP-date. Every request is logged in
``proxy.log`` (:class:`Logged`: method, path, headers, arrival and answer times, action).
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass(frozen=True)
class Scripted:
    """One scripted answer: ``status`` (with ``Retry-After`` if given), after forwarding or not.

    ``retry_after`` may be a callable, called when answering (an HTTP-date relative to then).
    """

    status: int
    retry_after: str | Callable[[], str] | None = None
    forward: bool = False


@dataclass
class Logged:
    """One request as the proxy saw it."""

    method: str
    path: str
    headers: dict[str, str]
    arrived: float
    action: str = ""
    answered: float = 0.0
    status: int | None = None
    retry_after: str | None = None
    body: bytes = field(default=b"", repr=False)

    @property
    def content_type(self) -> str:
        """The request's Content-Type ('' if none)."""
        return self.headers.get("content-type", "")


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
        self.script: deque[Scripted] = deque()
        self.log: list[Logged] = []
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

            def _answer(
                self, entry: Logged, status: int, retry_after: str | Callable[[], str] | None = None
            ) -> None:
                payload = b'{"detail": "panne simulee"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                if retry_after is not None:
                    entry.retry_after = retry_after() if callable(retry_after) else retry_after
                    self.send_header("Retry-After", entry.retry_after)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
                entry.status, entry.answered = status, time.monotonic()

            def _handle(self) -> None:
                entry = Logged(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    time.monotonic(),
                )
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                entry.body = body
                with proxy.rng_lock:
                    proxy.log.append(entry)
                scripted = proxy.next_scripted(self.command)
                action = proxy.pick(self.command) if scripted is None else f"scripted-{scripted.status}"
                entry.action = action
                proxy.stats[action] += 1
                if scripted is not None and not scripted.forward:
                    self._answer(entry, scripted.status, scripted.retry_after)
                    return
                if action in ("500", "503"):
                    self._answer(entry, int(action))
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
                if scripted is not None:  # forwarded (the LRS stored), then the scripted answer
                    self._answer(entry, scripted.status, scripted.retry_after)
                    return
                self.send_response(upstream.status_code)
                for k, v in upstream.headers.items():
                    if k.lower() not in HOP_HEADERS and k.lower() != "content-encoding":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)
                self.wfile.flush()
                entry.status, entry.answered = upstream.status_code, time.monotonic()

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

    def next_scripted(self, method: str) -> Scripted | None:
        """The next scripted answer for a request of ``method`` (None when the script is done)."""
        if method not in self.faulty_methods:
            return None
        with self.rng_lock:
            return self.script.popleft() if self.script else None

    def requests(self, method: str | None = None) -> list[Logged]:
        """The logged requests (of ``method``), in arrival order."""
        with self.rng_lock:
            return [e for e in self.log if method is None or e.method == method]

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

"""Real processes for the LTI tests and the benchmark: the test platform and ``formation-tic serve``.

The tool is reached as ``http://localhost:PORT/`` and the platform as ``http://127.0.0.1:PORT/``:
two different sites, so the iframe is a third-party context as in the ENA, and the browser
takes the tool's ``Secure`` cookies (``localhost`` counts as a secure origin).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from formation_tic.lti.store import LtiStore
from formation_tic.settings import DataPaths
from lrs_export.local_lrs import LocalLrs, free_port
from tests.live import spawn_serve
from tests.lti.platform import parse_autopost

ROOT = Path(__file__).resolve().parent.parent.parent
CLIENT_ID = "formation-tic-test"
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')


def _wait(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url}: process stopped\n" + log.read_text(errors="replace")[-3000:])
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer\n" + log.read_text(errors="replace")[-3000:])


def _stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    return int(process.returncode)


@dataclass
class PlatformProcess:
    """The LTI 1.3 platform process (tests/lti/platform.py)."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def issuer(self) -> str:
        return self.url.rstrip("/")

    def course(self, user: str, number: str, *, target: str = "iframe", variant: str = "normale") -> str:
        return f"{self.url}cours?user={user}&num={number}&cible={target}&variante={variant}"

    def lineitem(self, course: str = "1") -> str:
        """The line item of a course (as the AGS claim gives it)."""
        return f"{self.url}ags/{course}/lineitems/7?type_id=3"

    def state(self) -> dict[str, Any]:
        return dict(httpx.get(self.url + "admin/state", timeout=10).json())

    def scores(self, user: str | None = None) -> list[dict[str, Any]]:
        return [s for s in self.state()["scores"] if user is None or s["userId"] == user]

    def set_scores(self, mode: str, delay: float = 0.0) -> None:
        httpx.post(self.url + "admin/mode", json={"scores": mode, "delay": delay}, timeout=10)

    def rotate(self) -> str:
        return str(httpx.post(self.url + "admin/rotate", timeout=30).json()["kid"])

    def forge(self, number: str) -> dict[str, str]:
        return dict(httpx.get(self.url + f"admin/forge?num={number}", timeout=10).json())

    def stop(self) -> int:
        return _stop(self.process)


@dataclass
class LtiServer:
    """``formation-tic serve`` in ``lti`` mode, reached as http://localhost:PORT/."""

    url: str
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    def store(self) -> LtiStore:
        return LtiStore(DataPaths(self.data_dir).lti_store)

    def queued(self) -> list[dict[str, Any]]:
        with self.store() as store:
            return store.scores()

    def kernels(self) -> int:
        """Kernel processes the server runs right now."""
        count = 0
        for child in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if any("ipykernel" in part for part in child.cmdline()):
                    count += 1
            except psutil.Error:
                pass
        return count

    def stop(self) -> int:
        return _stop(self.process)


def start_platform(directory: Path, tool_url: str, port: int | None = None) -> PlatformProcess:
    port = port or free_port()
    log = directory / "platform.log"
    directory.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.lti.platform",
                "--port",
                str(port),
                "--tool",
                tool_url,
                "--client-id",
                CLIENT_ID,
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    platform = PlatformProcess(f"http://127.0.0.1:{port}/", process, log)
    _wait(platform.url + "jwks", process, log)
    return platform


def write_config(path: Path, tool_url: str, platform_url: str, **lti: Any) -> Path:
    """A root TOML configuration registering the test platform (and ``lti`` overrides)."""
    issuer = platform_url.rstrip("/")
    lines = ["[lti]", f'tool_url = "{tool_url}"']
    lines += [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in lti.items()]
    lines += [
        "",
        "[[lti.platforms]]",
        'name = "ENA de test"',
        f'issuer = "{issuer}"',
        f'client_id = "{CLIENT_ID}"',
        'deployment_ids = ["1"]',
        f'jwks_url = "{platform_url}jwks"',
        f'auth_login_url = "{platform_url}auth"',
        f'token_url = "{platform_url}token"',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def start_lti_server(
    data_dir: Path,
    config: Path,
    lrs: LocalLrs | None,
    port: int,
    identification: str = "lti",
    built_book: Path | None = None,
    **app_env: str,
) -> LtiServer:
    """``formation-tic serve``; with ``built_book`` (tests/conftest.py), its book and bank are
    used instead of building the book at start."""
    process, log = spawn_serve(
        data_dir, port, lrs, built_book=built_book, config=config, identification=identification, **app_env
    )
    server = LtiServer(f"http://localhost:{port}/", port, data_dir, process, log)
    _wait(f"http://127.0.0.1:{port}/sante.txt", process, log)
    return server


# --- an HTTP client that goes through the OIDC flow as a browser does ------------------------------


@dataclass
class CookieJar:
    """Cookies by name, as a browser keeps them for one site (Secure over http://localhost too)."""

    values: dict[str, str] = field(default_factory=dict)
    set_cookie_headers: list[str] = field(default_factory=list)

    def update(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            self.set_cookie_headers.append(header)
            pair, *attributes = header.split(";")
            name, _, value = pair.strip().partition("=")
            if any(a.strip().lower() == "max-age=0" for a in attributes):
                self.values.pop(name, None)
            else:
                self.values[name] = value

    def header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.values.items())} if self.values else {}


@dataclass
class LaunchResult:
    """The tool's answer to the launch POST, and the browser's tool cookies after it."""

    response: httpx.Response
    jar: CookieJar
    form: dict[str, str]


class Browserless:
    """Walks the platform → tool → platform → tool flow with a plain HTTP client."""

    def __init__(self, platform: PlatformProcess, server: LtiServer) -> None:
        self.platform = platform
        self.server = server
        self.http = httpx.Client(timeout=60, follow_redirects=False)
        self.jar = CookieJar()

    def close(self) -> None:
        self.http.close()

    def to_tool(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(
            method, url, headers={**self.jar.header(), **kwargs.pop("headers", {})}, **kwargs
        )
        self.jar.update(response)
        return response

    def login(self, user: str, number: str, variant: str = "normale") -> tuple[str, dict[str, str]]:
        """Course → login initiation → the tool's login → the platform's auth: the launch form."""
        course = self.http.get(self.platform.course(user, number, variant=variant)).text
        hint = re.search(r"/lancer\?hint=([\w-]+)", course)
        assert hint, course
        page = self.http.get(f"{self.platform.url}lancer?hint={hint.group(1)}").text
        action, fields = parse_autopost(page)
        answer = self.to_tool("POST", action, data=fields)
        assert answer.status_code == 302, answer.text
        auth = self.http.get(answer.headers["location"])
        assert auth.status_code == 200, auth.text
        return parse_autopost(auth.text)

    def launch(self, user: str, number: str, variant: str = "normale") -> LaunchResult:
        action, form = self.login(user, number, variant)
        return LaunchResult(self.to_tool("POST", action, data=form), self.jar, form)

    def page(self, query: str = "", headers: dict[str, str] | None = None) -> httpx.Response:
        """The app page, as the frame loads it after the launch (a kernel starts if allowed)."""
        return self.to_tool("GET", self.server.url + query, headers=headers or {}, timeout=120)


@contextmanager
def browserless(platform: PlatformProcess, server: LtiServer) -> Iterator[Browserless]:
    client = Browserless(platform, server)
    try:
        yield client
    finally:
        client.close()

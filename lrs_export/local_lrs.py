"""A local Ralph LRS (fs backend) as a real subprocess, for the tests and the demo.

``start_local_lrs(data_dir)`` creates Basic credentials with ``ralph auth`` (once per data
directory, kept in ``credentials.json``, mode 600), then starts
``python -m lrs_export._ralph_launcher`` bound to 127.0.0.1. Ralph's fs-backend bugs are
patched there, and only there.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from lrs_export.errors import LocalLrsError
from lrs_export.settings import DEFAULT_HOMEPAGE, LrsSettings

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class LocalLrs:
    """A Ralph LRS process serving ``data_dir`` on ``127.0.0.1:port``."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.username, self.password = self._credentials()

    # --- paths & environment -----------------------------------------------------------

    @property
    def endpoint(self) -> str:
        """The xAPI endpoint (``http://127.0.0.1:PORT/xAPI/``)."""
        return f"http://{HOST}:{self.port}/xAPI/"

    @property
    def statements_dir(self) -> Path:
        """Where the fs backend keeps its ``fs_lrs.jsonl`` file."""
        return self.data_dir / "statements"

    @property
    def statements_file(self) -> Path:
        """The fs backend's JSON-lines file (one stored statement per line)."""
        return self.statements_dir / "fs_lrs.jsonl"

    def settings(self, **overrides: object) -> LrsSettings:
        """LrsSettings pointing at this LRS."""
        values: dict[str, object] = {
            "endpoint": self.endpoint,
            "username": self.username,
            "password": self.password,
        }
        values.update(overrides)
        return LrsSettings.model_validate(values)

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RALPH_", "FORMATION_TIC_"))}
        env.update(
            RALPH_RUNSERVER_BACKEND="fs",
            RALPH_AUTH_FILE=str(self.data_dir / "auth.json"),
            RALPH_HISTORY_FILE=str(self.data_dir / "history.json"),
            RALPH_APP_DIR=str(self.data_dir / "app"),
            RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(self.statements_dir),
            RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH=str(self.statements_dir),
            RALPH_RUNSERVER_MAX_SEARCH_HITS_COUNT="100",
            RALPH_SENTRY_DSN="",
        )
        return env

    def _credentials(self) -> tuple[str, str]:
        path = self.data_dir / "credentials.json"
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
            return data["username"], data["password"]
        username = "formation-tic"
        password = secrets.token_urlsafe(18)  # random, generated on first start, kept 0600
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ralph",
                "auth",
                "-u",
                username,
                "-p",
                password,
                "-s",
                "all",
                "-A",
                username,
                DEFAULT_HOMEPAGE,
                "-w",
            ],
            env=self._env(),
            capture_output=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise LocalLrsError(
                "La commande « ralph auth » a échoué : "
                + result.stderr.decode(errors="replace").replace(password, "***")[-1000:]
            )
        path.touch(mode=0o600)
        path.write_text(json.dumps({"username": username, "password": password}), encoding="utf-8")
        return username, password

    # --- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> LocalLrs:
        """Start (or restart) Ralph on the same port and data; wait until it answers."""
        if self.process is not None and self.process.poll() is None:
            return self
        self.statements_dir.mkdir(parents=True, exist_ok=True)
        log = (self.data_dir / "ralph.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lrs_export._ralph_launcher",
                "--host",
                HOST,
                "--port",
                str(self.port),
            ],
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.data_dir,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalLrsError(
                    f"Ralph s'est arrêté au démarrage (code {self.process.returncode}) ;"
                    f" voir {self.data_dir / 'ralph.log'}."
                )
            try:
                r = httpx.get(f"http://{HOST}:{self.port}/__lbheartbeat__", timeout=1.0)
                if r.status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise LocalLrsError(f"Ralph ne répond pas après {timeout:.0f} s.")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop Ralph (SIGTERM, then SIGKILL). Data stays in ``data_dir``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        self.process = None

    @property
    def running(self) -> bool:
        """True while the Ralph process is alive."""
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> LocalLrs:
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_local_lrs(data_dir: Path, port: int | None = None) -> LocalLrs:
    """Create credentials if needed and start a local Ralph LRS; usable as a context manager."""
    return LocalLrs(data_dir, port).start()


def publish_connection(lrs: LocalLrs, path: Path) -> None:
    """Write how to reach ``lrs`` (endpoint, credentials, process id) to ``path``, mode 0600.

    ``formation-tic serve`` publishes its demo LRS this way so that the other commands
    (``lrs status``, ``lrs pull``…) reach it with no extra setting; it removes the file on exit.
    """
    assert lrs.process is not None, "start the LRS before publishing it"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "endpoint": lrs.endpoint,
                "username": lrs.username,
                "password": lrs.password,
                "pid": lrs.process.pid,
            },
            fh,
        )


def load_connection(path: Path, base: LrsSettings) -> LrsSettings | None:
    """The published demo LRS as settings (over ``base``), or None if none is running.

    A file left behind by a process that is gone (a crash) is ignored.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        pid = int(data["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    values = base.model_dump()
    values.update(
        endpoint=data["endpoint"],
        username=data["username"],
        password=data["password"],
        statement_mode="jws-extension",  # Ralph 5.1 refuses multipart
    )
    return LrsSettings.model_validate(values)

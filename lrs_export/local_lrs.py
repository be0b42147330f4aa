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


def main(argv: list[str] | None = None) -> None:
    """Demo: ``python -m lrs_export.local_lrs --data-dir var/ralph --port 8100`` (Ctrl-C stops).

    Writes ``DATA_DIR/lrs.env`` (mode 600) with the ``FORMATION_TIC_LRS_*`` variables; the
    password is never printed.
    """
    import argparse
    import signal

    parser = argparse.ArgumentParser(description="LRS Ralph local (démonstration)")
    parser.add_argument("--data-dir", type=Path, default=Path("var/ralph"))
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args(argv)
    lrs = start_local_lrs(args.data_dir, args.port)
    env_file = lrs.data_dir / "lrs.env"
    env_file.touch(mode=0o600)
    env_file.write_text(
        f"FORMATION_TIC_LRS_ENDPOINT={lrs.endpoint}\n"
        f"FORMATION_TIC_LRS_USERNAME={lrs.username}\n"
        f"FORMATION_TIC_LRS_PASSWORD={lrs.password}\n"
        "FORMATION_TIC_LRS_STATEMENT_MODE=jws-extension\n",
        encoding="utf-8",
    )
    print(f"LRS Ralph prêt : {lrs.endpoint}")
    print(f"Variables à charger : set -a; . {env_file}; set +a   (Ctrl-C pour arrêter)")
    signal.signal(signal.SIGTERM, lambda *_: lrs.stop())
    try:
        while lrs.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        lrs.stop()


if __name__ == "__main__":
    main()

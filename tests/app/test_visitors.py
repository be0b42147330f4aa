"""Anonymous visitors against a real Voilà server: capacity, kernel ownership, templates, errors."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import websocket
from playwright.sync_api import expect

from lrs_export.local_lrs import LocalLrs, free_port
from tests.app.conftest import FORMATION_TIC, AppServer, start_server
from tests.app.pilot import TIMEOUT
from tests.browser import guard, offline_browser

pytestmark = pytest.mark.slow

KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')


def kernels(server: AppServer) -> int:
    """Kernel processes the server is running right now."""
    parent = psutil.Process(server.process.pid)
    return sum(
        1 for child in parent.children(recursive=True) if any("ipykernel" in part for part in _cmdline(child))
    )


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def open_page(client: httpx.Client, server: AppServer) -> str:
    """Load the app page as a browser would (no script): return the kernel id it started."""
    response = client.get(server.url, timeout=120)
    assert response.status_code == 200, response.text[-500:]
    match = KERNEL_ID.search(response.text)
    assert match, response.text[-2000:]
    return match.group(1)


def connect(client: httpx.Client, server: AppServer, kernel_id: str) -> websocket.WebSocket:
    """The kernel websocket a browser page keeps open, with the page's cookie."""
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    return websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels", timeout=10, cookie=cookie
    )


@pytest.fixture(scope="module")
def small_server(
    built_book: Path, app_lrs: LocalLrs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    server = start_server(
        built_book,
        tmp_path_factory.mktemp("app-small"),
        app_lrs,
        max_kernels="3",
        max_kernels_per_client="2",
        abandoned_kernel_timeout="3",
    )
    yield server
    server.stop()


def test_past_capacity_a_visitor_gets_a_french_page_and_no_kernel(
    small_server: AppServer, wait_for: Callable[..., Any]
) -> None:
    with httpx.Client() as first, httpx.Client() as second, httpx.Client() as third:
        # Two pages kept open, as browsers do: each holds its kernel's websocket.
        sockets = [
            connect(client, small_server, open_page(client, small_server)) for client in (first, second)
        ]
        refused = third.get(small_server.url, timeout=60)
        assert refused.status_code == 503
        assert "Réessayez dans quelques minutes" in refused.text and 'lang="fr"' in refused.text
        assert refused.headers["Retry-After"] == "120"
        assert kernels(small_server) == 2
        for ws in sockets:
            ws.close()
        # Pages that nobody keeps open (no browser connected) are shut down within seconds...
        assert wait_for(lambda: kernels(small_server) == 0, timeout=45)
        # ...and room is made for the next visitor.
        open_page(third, small_server)


def test_visitors_cannot_choose_a_template_that_loads_from_a_cdn(app_server: AppServer) -> None:
    for template in ("lab", "classic", "reveal", "base"):
        with httpx.Client() as client:
            response = client.get(f"{app_server.url}?template={template}&theme=dark", timeout=120)
        assert response.status_code == 200
        page = response.text.lower()
        assert "formation.css" in page, template  # the app's own template, whatever was asked
        for outside in ("cdnjs", "jsdelivr", "unpkg", "font-awesome", "jquery"):
            assert outside not in page, (template, outside)


def test_kernel_routes_answer_only_to_the_page_that_started_the_kernel(app_server: AppServer) -> None:
    base = app_server.url.rstrip("/")
    with httpx.Client() as owner:
        kernel_id = open_page(owner, app_server)
        assert owner.get(f"{base}/api/kernels/{kernel_id}", timeout=10).status_code == 200
        with httpx.Client() as stranger:
            assert stranger.get(f"{base}/api/kernels/{kernel_id}", timeout=10).status_code == 403
            forged = "2|deadbeef|cafebabe|1700000000"
            stranger.cookies.set("_xsrf", forged)
            for method, path in (
                ("POST", f"/voila/api/shutdown/{kernel_id}"),
                ("DELETE", f"/api/kernels/{kernel_id}"),
            ):
                answer = stranger.request(method, base + path, headers={"X-XSRFToken": forged}, timeout=10)
                assert answer.status_code == 403, (method, path, answer.status_code)
            with pytest.raises(websocket.WebSocketBadStatusException):
                websocket.create_connection(
                    f"ws://127.0.0.1:{app_server.port}/api/kernels/{kernel_id}/channels", timeout=10
                )
        # The kernel is still there for its owner.
        assert owner.get(f"{base}/api/kernels/{kernel_id}", timeout=10).status_code == 200


def test_a_signing_key_readable_by_others_stops_serve_with_a_french_message(
    built_book: Path, tmp_path: Path, app_server: AppServer
) -> None:
    data = tmp_path / "donnees"
    shutil.copytree(app_server.data_dir / "keys", data / "keys")
    shutil.copytree(built_book / "var" / "livre", data / "livre")
    key = data / "keys" / "signing-key.pem"
    key.chmod(0o644)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMATION_TIC_")}
    env.update(FORMATION_TIC_DATA_DIR=str(data), FORMATION_TIC_APP_PORT=str(free_port()))
    result = subprocess.run(
        [str(FORMATION_TIC), "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "lisible par d'autres comptes" in result.stderr and "chmod 600" in result.stderr
    assert "Traceback" not in result.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o644  # nothing changed behind the person's back


def test_a_learner_never_sees_a_python_error_only_a_french_page_with_a_reference(
    built_book: Path, app_lrs: LocalLrs, tmp_path: Path
) -> None:
    server = start_server(built_book, tmp_path / "donnees", app_lrs)
    try:
        progress = server.data_dir / "app" / "progress.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{progress}{suffix}").unlink(missing_ok=True)
        progress.write_bytes(b"ceci n'est pas une base SQLite" * 100)
        with offline_browser() as (browser, blocked):
            page = guard(browser.new_page(), blocked)
            page.goto(server.url, timeout=TIMEOUT)
            alert = page.get_by_role("alert")
            expect(alert).to_contain_text("momentanément indisponible", timeout=TIMEOUT)
            text = page.inner_text("body")
            reference = re.search(r"référence ([0-9A-F]{8})", text)
            assert reference, text
            for technical in ("Traceback", "error when executing", "sqlite3", "DatabaseError", "progress.db"):
                assert technical not in text
        assert blocked.urls == []
        time.sleep(1)
        log = server.log.read_text(errors="replace")
        assert reference.group(1) in log and "progress.db" in log
    finally:
        server.stop()

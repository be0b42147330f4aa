"""Visitors cannot run code nor read files; trusted-header identification; idle kernels culled."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websocket
from playwright.sync_api import expect

from lrs_export.local_lrs import LocalLrs
from tests.app.conftest import AppServer, start_server
from tests.app.pilot import TIMEOUT
from tests.browser import guard, offline_browser, screenshot

pytestmark = pytest.mark.slow

KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')


def _open_kernel(server: AppServer) -> tuple[str, str]:
    """Render the app page like a browser would; return the kernel id and the page's cookie."""
    response = httpx.get(server.url, timeout=120)
    html = response.text
    match = KERNEL_ID.search(html)
    assert match, html[-2000:]
    assert "formation_tic.app.kernel" not in html  # sources are stripped
    cookie = "; ".join(f"{k}={v}" for k, v in response.cookies.items())
    return match.group(1), cookie


def _message(msg_type: str, content: dict[str, Any]) -> dict[str, Any]:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "username": "visiteur",
            "session": uuid.uuid4().hex,
            "msg_type": msg_type,
            "version": "5.3",
            "date": "2024-01-01T00:00:00Z",
        },
        "parent_header": {},
        "metadata": {},
        "content": content,
        "channel": "shell",
        "buffers": [],
    }


def test_execute_request_on_the_kernel_websocket_is_refused(app_server: AppServer, tmp_path: Path) -> None:
    kernel_id, cookie = _open_kernel(app_server)
    marker = tmp_path / "pwned.txt"
    # Even with the cookie of the page that started the kernel, code execution is refused.
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{app_server.port}/api/kernels/{kernel_id}/channels", timeout=10, cookie=cookie
    )
    try:
        code = f"open({str(marker)!r}, 'w').write('x')\nprint('EXECUTED')"
        ws.send(
            json.dumps(
                _message(
                    "execute_request",
                    {
                        "code": code,
                        "silent": False,
                        "store_history": False,
                        "user_expressions": {},
                        "allow_stdin": False,
                        "stop_on_error": True,
                    },
                )
            )
        )
        # A message Voilà does let through, to prove the socket works and the kernel is alive.
        ws.send(json.dumps(_message("kernel_info_request", {})))
        seen: list[str] = []
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            try:
                raw = ws.recv()
            except websocket.WebSocketTimeoutException:
                break
            if isinstance(raw, bytes):
                continue
            msg = json.loads(raw)
            seen.append(msg.get("msg_type") or msg["header"]["msg_type"])
            assert "EXECUTED" not in raw
        assert "kernel_info_reply" in seen
        assert "execute_reply" not in seen and "execute_input" not in seen
    finally:
        ws.close()
    time.sleep(1)
    assert not marker.exists()


def test_visitors_cannot_read_files_and_health_is_static(app_server: AppServer) -> None:
    base = app_server.url.rstrip("/")
    for path in (
        "/voila/files/formation.ipynb",
        "/voila/files/bare.ipynb",
        "/voila/files/../../../etc/passwd",
        "/voila/files/%2e%2e/%2e%2e/kernel.py",
        "/livre/../../../etc/passwd",
        "/livre/%2e%2e/%2e%2e/serve.log",
        "/voila/templates/formation/static/../../../../../../etc/passwd",
    ):
        response = httpx.get(base + path, timeout=30, follow_redirects=True)
        assert response.status_code in (403, 404), (path, response.status_code)
        assert "root:" not in response.text
    # Any other path redirects to the (forbidden) files area instead of starting a kernel.
    assert httpx.get(base + "/etc/passwd", timeout=30, follow_redirects=True).status_code == 403
    health = httpx.get(base + "/sante.txt", timeout=10)
    assert health.status_code == 200 and health.text.strip() == "ok"
    assert httpx.get(base + "/livre/", timeout=10).status_code == 200


@pytest.fixture(scope="module")
def sso_server(
    built_book: Path, app_lrs: LocalLrs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServer]:
    server = start_server(
        built_book,
        tmp_path_factory.mktemp("app-sso"),
        app_lrs,
        identification="sso-header",
        trusted_header="X-Forwarded-User",
        cull_idle_timeout="4",
        cull_interval="1",
    )
    yield server
    server.stop()


def test_trusted_header_identifies_and_the_query_string_never_does(sso_server: AppServer) -> None:
    with offline_browser() as (browser, blocked):
        ctx = browser.new_context(extra_http_headers={"X-Forwarded-User": "20000001"})
        page = guard(ctx.new_page(), blocked)
        page.goto(sso_server.url, timeout=TIMEOUT)
        expect(page.get_by_role("heading", name="Ce qui vous attend")).to_be_visible(timeout=TIMEOUT)
        expect(page.get_by_label("Numéro d'employé", exact=True)).to_have_count(0)
        screenshot(page, "sso-accueil")
        ctx.close()
        assert [a.employee_number for a in sso_server.attempts("20000001")] == ["20000001"]

        ctx = browser.new_context()
        page = guard(ctx.new_page(), blocked)
        page.goto(sso_server.url + "?X-Forwarded-User=20000002&user=20000002", timeout=TIMEOUT)
        expect(page.get_by_role("alert")).to_contain_text(
            "Nous n'avons pas pu vous identifier", timeout=TIMEOUT
        )
        screenshot(page, "sso-sans-en-tete")
        ctx.close()
        assert sso_server.attempts("20000002") == []
        assert blocked.urls == []


def test_idle_kernels_are_culled(sso_server: AppServer, wait_for: Callable[..., Any]) -> None:
    kernel_id, cookie = _open_kernel(sso_server)
    url = f"{sso_server.url}api/kernels/{kernel_id}"
    assert httpx.get(url, timeout=10, headers={"Cookie": cookie}).status_code == 200
    assert wait_for(
        lambda: httpx.get(url, timeout=10, headers={"Cookie": cookie}).status_code != 200, timeout=60
    )

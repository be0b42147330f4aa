"""Benchmark of the LTI 1.3 launch against the typed-identity page, in the same run.

    python benchmarks/bench_lti.py [--launches 60] [--clients 4] [--rounds 5] [--dir DIR]

Starts the test platform (tests/lti/platform.py: lti1p3platform, its own keys) and two
``formation-tic serve``: one in ``lti`` mode, one in ``typed`` mode (the book is built once).

1. launches per second through the full OIDC flow with an HTTP client (no browser): course
   page → login initiation → the tool's login → the platform's auth → the tool's launch
   (``id_token`` verified, session opened); sequential, then ``--clients`` at once; with the
   median time the tool took for its two requests (login, launch);
2. time to the first interactive control in Chromium, median of ``--rounds`` cold loads each:
   LTI: from opening the ENA's course page to the app's « Commencer le questionnaire » button
   in its iframe (the whole flow and the kernel included); typed: from opening the app to its
   employee-number field.

Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from lrs_export.local_lrs import free_port  # noqa: E402
from tests.lti.support import (  # noqa: E402
    Browserless,
    LtiServer,
    PlatformProcess,
    start_lti_server,
    start_platform,
    write_config,
)

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
]
TIMEOUT = 180_000


def one_launch(platform: PlatformProcess, server: LtiServer, number: int) -> tuple[float, float]:
    """One full flow; returns (total seconds, seconds spent in the tool's two requests)."""
    client = Browserless(platform, server)
    try:
        started = time.perf_counter()
        tool_time = 0.0
        original = client.to_tool

        def timed(method: str, url: str, **kwargs: object) -> object:
            nonlocal tool_time
            t0 = time.perf_counter()
            answer = original(method, url, **kwargs)  # type: ignore[arg-type]
            tool_time += time.perf_counter() - t0
            return answer

        client.to_tool = timed  # type: ignore[method-assign]
        result = client.launch(f"bench-{number}", f"{40000000 + number}")
        assert result.response.status_code == 303, result.response.text[:300]
        return time.perf_counter() - started, tool_time
    finally:
        client.close()


def launches(platform: PlatformProcess, server: LtiServer, count: int, clients: int, first: int) -> None:
    for workers in (1, clients):
        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(lambda n: one_launch(platform, server, n), range(first, first + count)))
        wall = time.perf_counter() - started
        tool = statistics.median(t for _total, t in results) * 1000
        total = statistics.median(t for t, _tool in results) * 1000
        print(
            f"  {workers} client(s) : {count / wall:6.1f} lancements/s ; par lancement : "
            f"{total:6.1f} ms (médiane), dont outil (connexion + lancement) {tool:6.1f} ms"
        )
        if workers == 1:
            per_core = 1000 / tool
            print(f"    (outil seul : {tool:.1f} ms par lancement, ≈ {per_core:.0f} lancements/s par cœur)")
        first += count


def time_to_interactive(platform: PlatformProcess, lti: LtiServer, typed_url: str, rounds: int) -> None:
    lti_times: list[float] = []
    typed_times: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for n in range(rounds):
            context = browser.new_context(locale="fr-CA", viewport={"width": 1100, "height": 1000})
            page = context.new_page()
            started = time.perf_counter()
            page.goto(platform.course(f"bench-tti-{n}", f"{41000000 + n}"), timeout=TIMEOUT)
            frame = page.wait_for_selector("#outil", timeout=TIMEOUT).content_frame()  # type: ignore[union-attr]
            assert frame is not None
            frame.get_by_role("button", name="Commencer le questionnaire").wait_for(timeout=TIMEOUT)
            lti_times.append(time.perf_counter() - started)
            context.close()

            context = browser.new_context(locale="fr-CA", viewport={"width": 1100, "height": 1000})
            page = context.new_page()
            started = time.perf_counter()
            page.goto(typed_url, timeout=TIMEOUT)
            page.get_by_label("Numéro d'employé", exact=True).wait_for(timeout=TIMEOUT)
            typed_times.append(time.perf_counter() - started)
            context.close()
        browser.close()
    lti_median, typed_median = statistics.median(lti_times), statistics.median(typed_times)
    print(f"  LTI (page de cours de l'ENA → bouton de l'accueil) : {lti_median:5.2f} s (médiane de {rounds})")
    print(
        f"  saisie (page → champ du numéro d'employé)          : {typed_median:5.2f} s (médiane de {rounds})"
    )
    print(f"  rapport LTI / saisie                                : {lti_median / typed_median:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--launches", type=int, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="Work folder (default: a temporary one).")
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="bench-lti-"))
    work.mkdir(parents=True, exist_ok=True)
    port, typed_port = free_port(), free_port()
    tool_url = f"http://localhost:{port}/"
    platform = start_platform(work / "platform", tool_url)
    config = write_config(work / "formation-tic.toml", tool_url, platform.url, score_interval=1.0)
    servers: list[LtiServer] = []
    try:
        print("Démarrage des serveurs (le livre est construit une fois)…", flush=True)
        lti = start_lti_server(work / "lti", config, None, port, abandoned_kernel_timeout="10")
        servers.append(lti)
        if not (work / "typed" / "livre").exists():
            shutil.copytree(work / "lti" / "livre", work / "typed" / "livre")
        typed = start_lti_server(
            work / "typed", config, None, typed_port, identification="typed", abandoned_kernel_timeout="10"
        )
        servers.append(typed)
        print(f"Lancements LTI complets (OIDC, client HTTP, {args.launches} par série) :")
        launches(platform, lti, args.launches, args.clients, first=1000)
        print("Temps jusqu'au premier contrôle utilisable (Chromium) :")
        time_to_interactive(platform, lti, f"http://127.0.0.1:{typed_port}/", args.rounds)
    finally:
        for server in servers:
            server.stop()
        platform.stop()


if __name__ == "__main__":
    main()

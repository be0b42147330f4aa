"""Benchmark of the learner web app (Voilà) against a bare Voilà notebook showing one widget.

    python benchmarks/bench_app.py [--learners 20] [--rounds 5] [--dir DIR]

In the same run, with Debian Chromium (Playwright, offline):

1. time to interactive: from ``goto`` to the first usable control (the app's employee-number
   field; the bare notebook's button), median of ``--rounds`` cold page loads each;
2. server-side memory per active learner: RSS of the server and its kernels (Ralph excluded)
   with ``--learners`` pages open, minus the idle server, divided by the number of pages;
3. ``--learners`` simultaneous learners completing the quiz (browser contexts driven by
   asyncio): wall time, slowest learner, statements flushed to the real local LRS.

Prints the ratios app / bare notebook. Targets: time to interactive within 1.5× the bare
notebook, under 80 MB per learner.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from playwright.async_api import Browser, Page, async_playwright

from lrs_export.local_lrs import LocalLrs, free_port, start_local_lrs
from scenarios.model import Branching, Ending, MultipleChoice, Scenario, SingleChoice, Step, Verdict

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
]
BARE = ROOT / "formation_tic" / "app" / "notebooks" / "bare.ipynb"
TIMEOUT = 180_000


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server stopped (code {process.returncode})")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def start_app(work: Path, lrs: LocalLrs) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FORMATION_TIC_")}
    env.update(
        FORMATION_TIC_DATA_DIR=str(work / "var"),
        FORMATION_TIC_BANK=str(ROOT / "scenarios" / "bank"),
        FORMATION_TIC_BOOK=str(ROOT / "book"),
        FORMATION_TIC_APP_PORT=str(port),
        FORMATION_TIC_APP_FLUSH_INTERVAL="1",
        FORMATION_TIC_ATTEST_KEY_SIZE="2048",
        FORMATION_TIC_LRS_ENDPOINT=lrs.endpoint,
        FORMATION_TIC_LRS_USERNAME=lrs.username,
        FORMATION_TIC_LRS_PASSWORD=lrs.password,
        FORMATION_TIC_LRS_STATEMENT_MODE="jws-extension",
    )
    log = (work / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "formation-tic"), "serve"], env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    wait_http(url + "sante.txt", proc)
    return proc, url


def start_bare(work: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (work / "bare.log").open("wb")
    proc = subprocess.Popen(
        [
            str(BIN / "voila"),
            str(BARE),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--VoilaConfiguration.template=lab",
        ],
        cwd=work,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    wait_http(url + "voila/static/voila.js", proc)
    return proc, url


def rss_mb(proc: subprocess.Popen[bytes], exclude: set[int]) -> float:
    """RSS of a process and its descendants (MB), minus the excluded pids' trees."""
    root = psutil.Process(proc.pid)
    total = 0
    for p in [root, *root.children(recursive=True)]:
        try:
            if p.pid in exclude:
                continue
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 1e6


async def new_page(browser: Browser) -> Page:
    ctx = await browser.new_context()
    page = await ctx.new_page()

    async def block(route):  # type: ignore[no-untyped-def]
        host = route.request.url.split("/")[2].split(":")[0]
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            await route.continue_()
        else:
            blocked.append(f"{page_url_of.get(id(page), '?')} -> {route.request.url}")
            await route.abort()

    await page.route("**/*", block)
    page_url_of[id(page)] = "?"
    return page


blocked: list[str] = []
page_url_of: dict[int, str] = {}


async def time_to_interactive(browser: Browser, url: str, ready: str, rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        page = await new_page(browser)
        page_url_of[id(page)] = url
        start = time.perf_counter()
        await page.goto(url, timeout=TIMEOUT)
        await page.wait_for_selector(ready, state="visible", timeout=TIMEOUT)
        times.append(time.perf_counter() - start)
        await page.context.close()
        await asyncio.sleep(1.0)  # let the kernel shut down
    return times


def pass_path(q: Branching) -> list[str]:
    def walk(node_id: str, seen: frozenset[str]) -> list[str] | None:
        node = q.node(node_id)
        if isinstance(node, Ending):
            return [] if node.verdict == Verdict.PASS else None
        assert isinstance(node, Step)
        for c in node.choices:
            if c.goto not in seen and (rest := walk(c.goto, seen | {c.goto})) is not None:
                return [c.id, *rest]
        return None

    found = walk(q.start, frozenset({q.start}))
    assert found is not None
    return found


async def learner(browser: Browser, url: str, number: str, bank: dict[str, Scenario]) -> float:
    """Identify, then answer every question rightly until the result page; returns seconds."""
    page = await new_page(browser)
    page_url_of[id(page)] = url
    start = time.perf_counter()
    await page.goto(url, timeout=TIMEOUT)
    field = page.get_by_label("Numéro d'employé", exact=True)
    await field.fill(number, timeout=TIMEOUT)
    await page.get_by_role("button", name="Continuer", exact=True).click(timeout=TIMEOUT)
    await page.get_by_role("button", name="Commencer le questionnaire").click(timeout=TIMEOUT)
    while True:
        await page.locator(".ftic-count").wait_for(timeout=TIMEOUT)
        n, total = (int(x) for x in (await page.locator(".ftic-count").inner_text()).split("/"))
        title = (await page.locator(".ftic-quiz h2").inner_text()).strip()
        q = bank[title].question
        if isinstance(q, SingleChoice | MultipleChoice):
            for c in q.choices:
                if c.correct:
                    await page.get_by_label(c.text, exact=True).check(timeout=TIMEOUT)
            await page.get_by_role("button", name="Valider ma réponse").click(timeout=TIMEOUT)
        else:
            node = q.node(q.start)
            for k, cid in enumerate(pass_path(q), start=1):
                assert isinstance(node, Step)
                await page.get_by_text(f"Décision {k}", exact=True).wait_for(timeout=TIMEOUT)
                choice = next(c for c in node.choices if c.id == cid)
                await page.get_by_label(choice.text, exact=True).check(timeout=TIMEOUT)
                await page.get_by_role("button", name="Continuer", exact=True).click(timeout=TIMEOUT)
                node = q.node(choice.goto)
        if n == total:
            await page.get_by_role("button", name="Voir mon résultat").click(timeout=TIMEOUT)
            await page.get_by_text("Bravo, vous avez réussi!").wait_for(timeout=TIMEOUT)
            break
        await page.get_by_role("button", name="Question suivante").click(timeout=TIMEOUT)
        await page.locator(".ftic-count", has_text=f"{n + 1} / {total}").wait_for(timeout=TIMEOUT)
    elapsed = time.perf_counter() - start
    await page.context.close()
    return elapsed


async def open_pages(browser: Browser, url: str, ready: str, count: int) -> list[Page]:
    pages = []
    for _ in range(count):
        page = await new_page(browser)
        page_url_of[id(page)] = url
        await page.goto(url, timeout=TIMEOUT)
        await page.wait_for_selector(ready, state="visible", timeout=TIMEOUT)
        pages.append(page)
    return pages


async def run(args: argparse.Namespace, work: Path) -> None:
    from scenarios.bank import load_bank
    from scenarios.profile import load_profile

    bank = {s.title: s for s in load_bank([ROOT / "scenarios" / "bank"], load_profile(None))}
    if not (ROOT / "book" / "_build" / "html" / "index.html").exists():
        subprocess.run([str(BIN / "formation-tic"), "build"], cwd=ROOT, check=True)
    lrs = start_local_lrs(work / "ralph")
    app_proc, app_url = start_app(work, lrs)
    bare_proc, bare_url = start_bare(work)
    app_ready, bare_ready = "input.widget-input", "button.jupyter-button"
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            # warm both servers (imports, disk cache)
            await time_to_interactive(browser, app_url, app_ready, 1)
            await time_to_interactive(browser, bare_url, bare_ready, 1)
            tti_app = await time_to_interactive(browser, app_url, app_ready, args.rounds)
            tti_bare = await time_to_interactive(browser, bare_url, bare_ready, args.rounds)

            ralph_tree: set[int] = set()  # Ralph runs beside the servers, not under them
            await asyncio.sleep(2)
            idle_app, idle_bare = rss_mb(app_proc, ralph_tree), rss_mb(bare_proc, ralph_tree)
            pages = await open_pages(browser, app_url, app_ready, args.learners)
            await asyncio.sleep(2)
            busy_app = rss_mb(app_proc, ralph_tree)
            for p in pages:
                await p.context.close()
            pages = await open_pages(browser, bare_url, bare_ready, args.learners)
            await asyncio.sleep(2)
            busy_bare = rss_mb(bare_proc, ralph_tree)
            for p in pages:
                await p.context.close()
            await asyncio.sleep(3)

            start = time.perf_counter()
            durations = await asyncio.gather(
                *(learner(browser, app_url, f"{30000000 + i}", bank) for i in range(args.learners))
            )
            wall = time.perf_counter() - start
            await browser.close()
        deadline = time.monotonic() + 120
        from lrs_export.outbox import Outbox

        with Outbox(work / "var" / "outbox.db") as outbox:
            while outbox.counts()["pending"] and time.monotonic() < deadline:
                time.sleep(0.5)
            counts = outbox.counts()
    finally:
        for proc in (app_proc, bare_proc):
            proc.send_signal(signal.SIGINT)
        for proc in (app_proc, bare_proc):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        lrs.stop()

    med_app, med_bare = statistics.median(tti_app), statistics.median(tti_bare)
    per_app = (busy_app - idle_app) / args.learners
    per_bare = (busy_bare - idle_bare) / args.learners
    print(
        f"Time to interactive (median of {args.rounds}): app {med_app:.2f} s, bare {med_bare:.2f} s,"
        f" ratio {med_app / med_bare:.2f}× (target ≤ 1.5×)"
    )
    print(
        f"Memory per active learner ({args.learners} pages): app {per_app:.1f} MB, bare {per_bare:.1f} MB,"
        f" ratio {per_app / per_bare:.2f}× (target < 80 MB)"
    )
    print(
        f"  server idle/busy RSS: app {idle_app:.0f}/{busy_app:.0f} MB,"
        f" bare {idle_bare:.0f}/{busy_bare:.0f} MB"
    )
    print(
        f"{args.learners} simultaneous learners completing the quiz: wall {wall:.1f} s,"
        f" median {statistics.median(durations):.1f} s, slowest {max(durations):.1f} s"
    )
    print(f"Outbox after the run: {counts['sent']} sent, {counts['pending']} pending")
    from_app = [b for b in blocked if b.startswith(app_url)]
    print(
        f"Requests leaving the machine (blocked): app {len(from_app)},"
        f" bare notebook (Voilà's stock lab template, CDN fonts) {len(blocked) - len(from_app)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(args, args.dir))
    else:
        with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
            asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()

"""Benchmark of the learner web app (Voilà) against a bare Voilà notebook showing one widget.

    python benchmarks/bench_app.py [--learners 20] [--rounds 5] [--dir DIR]

In the same run, with Debian Chromium (Playwright, offline):

1. time to interactive: from ``goto`` to the first usable control (the app's employee-number
   field; the bare notebook's button), median of ``--rounds`` cold page loads each;
2. server-side memory per active learner: RSS of the server and its kernels (Ralph excluded)
   with ``--learners`` pages open, minus the idle server (no kernel left), divided by the
   number of pages; and the mean RSS of one kernel process; the same per learner in PSS
   (the pages kernels share, such as the libraries' code, counted once);
3. ``--learners`` simultaneous learners completing the quiz (browser contexts driven by
   asyncio): wall time, slowest learner, statements flushed to the real local LRS, and the
   peak memory per learner while they answer and see their result;
4. what a learner kernel imports: the app notebook run in a kernel on the same data
   directory (nbclient), its modules counted by top-level package, and the app's own.

Prints the ratios app / bare notebook. Targets: time to interactive within 1.5× the bare
notebook, under 70 MB and at most 1.25× the bare notebook per learner.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil
from playwright.async_api import Browser, Page, async_playwright

from formation_tic.settings import KERNEL_CONFIG_ENV
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
APP_NOTEBOOK = ROOT / "formation_tic" / "app" / "notebooks" / "formation.ipynb"
TIMEOUT = 180_000
APP_PACKAGES = ("formation_tic", "attest", "scenarios", "lrs_export", "localdb")


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
        # Pages closed between measurements give their kernel back within seconds.
        FORMATION_TIC_APP_ABANDONED_KERNEL_TIMEOUT="20",
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
            # Pages closed between measurements give their kernel back within seconds.
            "--MappingKernelManager.cull_idle_timeout=2",
            "--MappingKernelManager.cull_interval=1",
            "--MappingKernelManager.cull_connected=False",
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


def pss_mb(proc: subprocess.Popen[bytes]) -> float:
    """PSS of a process and its descendants (MB): each shared page (the interpreter, the
    libraries' code) divided among the processes that map it, i.e. what they cost together."""
    root = psutil.Process(proc.pid)
    total = 0
    for p in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_full_info().pss
    return total / 1e6


def kernel_rss_mb(proc: subprocess.Popen[bytes]) -> list[float]:
    """RSS (MB) of each kernel process under a server."""
    sizes = []
    for p in psutil.Process(proc.pid).children(recursive=True):
        try:
            if "ipykernel_launcher" in " ".join(p.cmdline()):
                sizes.append(p.memory_info().rss / 1e6)
        except psutil.NoSuchProcess:
            pass
    return sizes


async def wait_kernels(proc: subprocess.Popen[bytes], count: int, timeout: float = 180) -> None:
    """Wait until the server runs exactly ``count`` kernels (closed pages give theirs back)."""
    deadline = time.monotonic() + timeout
    while len(kernel_rss_mb(proc)) != count:
        if time.monotonic() > deadline:
            name = " ".join(psutil.Process(proc.pid).cmdline()[:3])
            raise SystemExit(f"{name}: {len(kernel_rss_mb(proc))} kernel(s) running, {count} expected")
        await asyncio.sleep(0.2)


class PeakRss:
    """Samples a server's RSS while a run goes on and keeps the highest value."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc, self.peak = proc, 0.0
        self._task: asyncio.Task[None] | None = None

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb(self.proc, set()))
            await asyncio.sleep(0.25)

    def __enter__(self) -> PeakRss:
        self._task = asyncio.get_running_loop().create_task(self._sample())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


def learner_kernel_modules(data_dir: Path, work: Path) -> list[str]:
    """The modules a learner kernel holds once its page is shown (the app notebook run by nbclient
    in a kernel, on the data directory ``serve`` prepared)."""
    import nbclient
    import nbformat

    nb = nbformat.read(APP_NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import json, sys\nprint(json.dumps(sorted(sys.modules)))"))
    saved = dict(os.environ)
    os.environ[KERNEL_CONFIG_ENV] = str(data_dir / "app" / "kernel-config.json")
    try:
        nbclient.NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(work)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    modules: list[str] = json.loads(nb.cells[-1].outputs[0]["text"])
    return modules


def print_modules(modules: list[str]) -> None:
    """Modules by top-level package (most first), then the app's own modules."""
    tops = Counter(m.split(".")[0] for m in modules if not m.startswith("_"))
    print(f"A learner kernel imports {len(modules)} modules; by top-level package:")
    line = ", ".join(f"{name} {n}" for name, n in tops.most_common())
    print(textwrap.fill(line, 110, initial_indent="  ", subsequent_indent="  "))
    own = sorted(m for m in modules if m.split(".")[0] in APP_PACKAGES)
    print(f"  the app's own ({len(own)}):")
    print(textwrap.fill(", ".join(own), 110, initial_indent="    ", subsequent_indent="    "))


async def new_page(browser: Browser) -> Page:
    ctx = await browser.new_context()
    page = await ctx.new_page()

    async def block(route):
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
        title = (await page.locator(".ftic-quiz h1").inner_text()).strip()
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
    if not (work / "var" / "livre" / "_build" / "html" / "index.html").exists():  # the app links to it
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORMATION_TIC_")}
        env["FORMATION_TIC_DATA_DIR"] = str(work / "var")
        subprocess.run([str(BIN / "formation-tic"), "build"], cwd=work, env=env, check=True)
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
            await wait_kernels(app_proc, 0)
            await wait_kernels(bare_proc, 0)
            idle_app, idle_bare = rss_mb(app_proc, ralph_tree), rss_mb(bare_proc, ralph_tree)
            idle_pss_app, idle_pss_bare = pss_mb(app_proc), pss_mb(bare_proc)
            pages = await open_pages(browser, app_url, app_ready, args.learners)
            await wait_kernels(app_proc, args.learners)
            busy_app, kernels_app = rss_mb(app_proc, ralph_tree), kernel_rss_mb(app_proc)
            busy_pss_app = pss_mb(app_proc)
            for p in pages:
                await p.context.close()
            pages = await open_pages(browser, bare_url, bare_ready, args.learners)
            await wait_kernels(bare_proc, args.learners)
            busy_bare, kernels_bare = rss_mb(bare_proc, ralph_tree), kernel_rss_mb(bare_proc)
            busy_pss_bare = pss_mb(bare_proc)
            for p in pages:
                await p.context.close()
            await wait_kernels(app_proc, 0)

            start = time.perf_counter()
            with PeakRss(app_proc) as peak:
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

    modules = learner_kernel_modules(work / "var", work)
    med_app, med_bare = statistics.median(tti_app), statistics.median(tti_bare)
    per_app = (busy_app - idle_app) / args.learners
    per_bare = (busy_bare - idle_bare) / args.learners
    per_peak = (peak.peak - idle_app) / args.learners
    pss_app = (busy_pss_app - idle_pss_app) / args.learners
    pss_bare = (busy_pss_bare - idle_pss_bare) / args.learners
    print(
        f"Time to interactive (median of {args.rounds}): app {med_app:.2f} s, bare {med_bare:.2f} s,"
        f" ratio {med_app / med_bare:.2f}× (target ≤ 1.5×)"
    )
    print(
        f"Memory per active learner ({args.learners} pages): app {per_app:.1f} MB, bare {per_bare:.1f} MB,"
        f" ratio {per_app / per_bare:.2f}× (target < 70 MB and ≤ 1.25×)"
    )
    print(
        f"  one kernel process (mean RSS): app {statistics.mean(kernels_app):.1f} MB,"
        f" bare {statistics.mean(kernels_bare):.1f} MB"
    )
    print(
        f"  proportional (PSS, shared pages divided among the processes): app {pss_app:.1f} MB,"
        f" bare {pss_bare:.1f} MB, ratio {pss_app / pss_bare:.2f}×"
    )
    print(
        f"  server idle/busy RSS: app {idle_app:.0f}/{busy_app:.0f} MB,"
        f" bare {idle_bare:.0f}/{busy_bare:.0f} MB"
    )
    print(
        f"  peak while {args.learners} learners answer and see their result: {per_peak:.1f} MB per learner,"
        f" ratio {per_peak / per_bare:.2f}× the bare notebook's page"
    )
    print(
        f"{args.learners} simultaneous learners completing the quiz: wall {wall:.1f} s,"
        f" median {statistics.median(durations):.1f} s, slowest {max(durations):.1f} s"
    )
    print(f"Outbox after the run: {counts['sent']} sent, {counts['pending']} pending")
    print_modules(modules)
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

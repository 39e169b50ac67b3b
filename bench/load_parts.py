"""The parts of bench/load.py, each run in a child process of its own, so that the process tree
measured (agents.usage: CPU of the tree, browsers included; PSS) is that part's alone; the
demo site runs in bench/load.py's process. Each prints one JSON line of figures."""

import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from bench.common import ROOT, drop_database, fresh_database, setup_django


class TreeSampler:
    """Samples the PSS of this process's tree every ``every`` seconds while running
    (``peak_pss``), and its CPU over the whole window (``cpu_percent``, of the machine)."""

    def __init__(self, every: float = 1.0) -> None:
        self.every = every
        self.pss: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.pss.append(_pss())

    def __enter__(self) -> "TreeSampler":
        from agents.usage import Meter

        self._window = Meter(os.getpid())
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_percent = self._window.sample().cpu_percent

    @property
    def peak_pss(self) -> int:
        return max(self.pss) if self.pss else _pss()


def _spec(url: str) -> dict[str, Any]:
    """What a virtual user measures, as the server makes it for a load test (no screenshot,
    no filmstrip)."""
    from agents.scenario_file import spec_from_target

    return spec_from_target(url, screenshot=False, filmstrip=False)


def part_crowd(url: str, users: int, iterations: int) -> dict[str, Any]:
    """The product's design: ``users`` greenlets on one Playwright thread, one browser."""
    from agents.pool import BrowserPool
    from agents.virtual_users import Users

    pool = BrowserPool(os.environ.get("PERFITE_BROWSER_PATH", ""))
    crowd = Users(pool, _spec(url), users=users, iterations=iterations)
    pool.call(crowd.warm)
    idle = _pss()
    started = time.monotonic()
    with TreeSampler() as sampler:
        pool.call(crowd.run)
    wall = time.monotonic() - started
    done = crowd.drain()
    pool.close()
    return _figures("crowd", sampler, wall, done, users, idle)


def part_threads(url: str, users: int, iterations: int) -> dict[str, Any]:
    """The alternative: a thread per user, each with its own Playwright (a driver process
    each) connected over CDP to one Chromium launched with a debugging port."""
    from playwright.sync_api import sync_playwright

    from agents.browser import measure
    from agents.engines.chromium import CHROMIUM_ARGS, find_chromium
    from bench.loop import free_port
    from core.load.iteration import iteration

    port = free_port()
    host = sync_playwright().start()
    chromium = host.chromium.launch(
        executable_path=find_chromium(os.environ.get("PERFITE_BROWSER_PATH", "")),
        args=[*CHROMIUM_ARGS, f"--remote-debugging-port={port}"],
    )
    spec = _spec(url)
    done: list[dict[str, Any]] = []
    ready = threading.Barrier(users + 1)
    idle = _pss()  # the browser alone: every thread's driver counts as its users' memory

    class Shim:
        """What measure asks of a pool, on this thread: its own CDP connection."""

        def __init__(self) -> None:
            self.playwright = sync_playwright().start()
            self._browser = self.playwright.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")

        def call(self, func: Any, *args: Any) -> Any:
            return func(*args)

        def browser(self, dns: Any = None, name: str = "chromium") -> Any:
            return self._browser

        def proxy(self, dns: Any = None, name: str = "chromium") -> None:
            return None

    def user(number: int) -> None:
        shim = Shim()
        ready.wait()
        for _ in range(iterations):
            began = time.monotonic()
            result = measure(spec, shim).result  # type: ignore[arg-type]
            elapsed = (time.monotonic() - began) * 1000
            done.append(iteration(result, user=number, started_at="", duration_ms=elapsed))
        shim._browser.close()
        shim.playwright.stop()

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    ready.wait()  # every thread connected: their drivers count from here on
    started = time.monotonic()
    with TreeSampler() as sampler:
        for thread in threads:
            thread.join()
    wall = time.monotonic() - started
    chromium.close()
    host.stop()
    return _figures("threads", sampler, wall, done, users, idle)


def part_bare(url: str, users: int, iterations: int, quiet_ms: int) -> dict[str, Any]:
    """Bare Playwright (the async API, one driver, one browser): ``users`` tasks, each a
    fresh context per load, goto until load, then the same network quiet; no HAR, no
    collector, no DevTools session. Also the PSS of ``users`` bare contexts left open on
    the page, above the browser alone: a bare context's memory."""
    from playwright.async_api import async_playwright

    from agents.engines.chromium import CHROMIUM_ARGS, find_chromium

    async def load(browser: Any) -> float:
        context = await browser.new_context()
        page = await context.new_page()
        state = {"inflight": 0, "last": time.monotonic()}

        def began(_: Any) -> None:
            state["inflight"] += 1
            state["last"] = time.monotonic()

        def ended(_: Any) -> None:
            state["inflight"] -= 1
            state["last"] = time.monotonic()

        page.on("request", began)
        page.on("requestfinished", ended)
        page.on("requestfailed", ended)
        start = time.monotonic()
        await page.goto(url, wait_until="load")
        while state["inflight"] > 0 or (time.monotonic() - state["last"]) * 1000 < quiet_ms:
            await page.wait_for_timeout(50)
        await context.close()
        return (time.monotonic() - start) * 1000

    async def main() -> dict[str, Any]:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=find_chromium(os.environ.get("PERFITE_BROWSER_PATH", "")),
                args=CHROMIUM_ARGS,
            )
            await load(browser)  # warm
            idle_browser = _pss()
            started = time.monotonic()
            with TreeSampler() as sampler:

                async def user() -> list[float]:
                    return [await load(browser) for _ in range(iterations)]

                times = [
                    t for ts in await asyncio.gather(*(user() for _ in range(users))) for t in ts
                ]
            wall = time.monotonic() - started
            await asyncio.sleep(2)
            idle = _pss()
            contexts = [await browser.new_context() for _ in range(users)]
            pages = [await c.new_page() for c in contexts]
            await asyncio.gather(*(p.goto(url, wait_until="load") for p in pages))
            await asyncio.sleep(quiet_ms / 1000)
            open_pss = _pss()
            await browser.close()
        return {
            "design": "bare",
            "users": users,
            "iterations": len(times),
            "succeeded": len(times),
            "wall_s": round(wall, 1),
            "journey_ms": round(statistics.median(times)),
            "cpu_percent": sampler.cpu_percent,
            "peak_pss_mb": round(sampler.peak_pss / 1e6, 1),
            "per_min": round(len(times) / wall * 60, 1),
            "user_pss_mb": round((sampler.peak_pss - idle_browser) / users / 1e6, 1),
            "context_pss_mb": round((open_pss - idle) / users / 1e6, 1),
        }

    return asyncio.run(main())


def _pss() -> int:
    """The PSS of this process's tree now."""
    from agents.usage import pss_bytes, tree

    return sum(pss_bytes(pid) for pid in tree(os.getpid()))


def _figures(
    design: str,
    sampler: TreeSampler,
    wall: float,
    done: list[dict[str, Any]],
    users: int,
    idle: int,
) -> dict[str, Any]:
    ok = [i for i in done if i["status"] == "succeeded"]
    return {
        "design": design,
        "users": users,
        "iterations": len(done),
        "succeeded": len(ok),
        "har_requests": statistics.median(i["values"].get("requests", 0) for i in ok) if ok else 0,
        "wall_s": round(wall, 1),
        "journey_ms": round(statistics.median(i["duration_ms"] for i in ok)) if ok else None,
        "cpu_percent": sampler.cpu_percent,
        "peak_pss_mb": round(sampler.peak_pss / 1e6, 1),
        "per_min": round(len(done) / wall * 60, 1),
        "user_pss_mb": round((sampler.peak_pss - idle) / users / 1e6, 1),
    }


def part_agent(url: str, stages: list[int], seconds: int) -> dict[str, Any]:
    """The target: a load test through the real loop, ``manage.py agent`` (prefork worker,
    Redis broker, its own warm browser) running the stages' users continuously for
    ``seconds`` each; its report's agent CPU and PSS per user are the product's own."""
    from django.db import connection

    original = connection.settings_dict["NAME"]
    fresh_database()
    try:
        return _agent_load_test(url, stages, seconds, connection.settings_dict["NAME"])
    finally:
        drop_database(original)


def _agent_load_test(url: str, stages: list[int], seconds: int, db: str) -> dict[str, Any]:
    from core.load.plan import CONTINUOUS, Plan
    from scenarios.load import stages as stage_flow
    from scenarios.load.start import create_load_test
    from scenarios.models import Agent, LoadTest, Location, Scenario

    location = Location.objects.create(name="bench", load_hosts=["www.example.localhost"])
    scenario = Scenario.objects.create(name="Chat", slug="chat", url=url, paused=True)
    scenario.locations.set([location])
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "PERFITE_AGENT_LOAD_USERS": str(max(stages)),
        "PERFITE_HEARTBEAT_EVERY": "1",
    }
    agent = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "agent",
            "--location",
            "bench",
            "--name",
            "bench-agent",
            "--concurrency",
            "1",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        while not Agent.objects.filter(name="bench-agent", load_users__gt=0).exists():
            if time.monotonic() > deadline or agent.poll() is not None:
                raise SystemExit("load bench: the agent did not start")
            time.sleep(0.2)
        time.sleep(5)  # its warm browser is up: part of the agent, idle
        test = create_load_test(scenario, Plan(CONTINUOUS, tuple(stages), seconds=seconds))
        deadline = time.monotonic() + len(stages) * (seconds + 240)
        while not LoadTest.objects.get(pk=test.pk).is_settled:
            if time.monotonic() > deadline:
                stage_flow.cancel(test.pk, "the bench timed out")
                raise SystemExit("load bench: the load test did not finish")
            time.sleep(1)
    finally:
        agent.terminate()
        try:
            agent.wait(30)
        except subprocess.TimeoutExpired:
            agent.kill()
    test = LoadTest.objects.get(pk=test.pk)
    assert test.report is not None
    return {"status": test.status, "error": test.error, "stages": test.report["stages"]}


def child(part: str, rest: list[str]) -> dict[str, Any]:
    setup_django()
    if part == "agent":
        return part_agent(rest[0], [int(n) for n in rest[1].split(",")], int(rest[2]))
    url, users, iterations = rest[0], int(rest[1]), int(rest[2])
    if part == "crowd":
        return part_crowd(url, users, iterations)
    if part == "threads":
        return part_threads(url, users, iterations)
    if part == "bare":
        return part_bare(url, users, iterations, int(rest[3]))
    raise SystemExit(f"unknown part {part}")

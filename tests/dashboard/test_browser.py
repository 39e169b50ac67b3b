"""The dashboard in a real browser against the live server and the demo site.

Playwright's sync API runs an event loop in the thread that starts it, and Django refuses ORM
calls from such a thread. So the browser is driven from a helper thread (``in_thread``) that
only returns plain data, and the test thread does the ORM work before and after. "Try it now"
queues a run for an agent: here an in-process one (the CI tests' ``InProcessAgent``) runs the
real ``run_scenario`` task with the session's warm ``browser_pool``; tests/loop/test_try_now.py
does the same through a real broker and agent process.
"""

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, sync_playwright

from agents.identity import agent_name
from perfite.celery import app
from scenarios.models import Agent, Location, Run, Scenario
from tests.ci.conftest import InProcessAgent

from .conftest import role

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run"]
T = TypeVar("T")


def in_thread(func: Callable[[Page], T]) -> T:
    """Run ``func(page)`` with a fresh Chromium page on a helper thread; return its result."""

    def drive() -> T:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.set_default_timeout(30_000)
                return func(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(drive).result()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


@pytest.fixture
def trial_setup(
    transactional_db: None, settings: Any, monkeypatch: pytest.MonkeyPatch, browser_pool: Any
) -> Iterator[User]:
    """An editor, a location with a live agent measuring on the warm pool, a short
    network-quiet wait."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PERFITE_QUIET_MS = 500
    # Alert evaluation is not under test; keep it off the shared Celery broker.
    monkeypatch.setattr("scenarios.runs.store._queue_after_run", lambda run_id: None)
    location = Location.objects.create(name="local", label="Local")
    Agent.objects.create(name="local-agent", location=location, last_seen=timezone.now())
    agent = InProcessAgent()
    monkeypatch.setattr(app, "send_task", agent.send_task)
    agent.thread.start()
    user = User.objects.create_user("eddie", password="browser-pass")
    user.groups.add(role("editor"))
    yield user
    agent.stop()
    assert agent.errors == []


def test_an_editor_creates_tries_and_reads_a_scenario(
    live_server: Any, site: Any, trial_setup: User
) -> None:
    base = live_server.url
    target = site.url("/")

    def journey(page: Page) -> dict[str, Any]:
        page.goto(base + "/")
        # Keyboard only: the username field has focus, Tab reaches the password, Enter submits.
        page.wait_for_function(
            "document.activeElement && document.activeElement.name === 'username'"
        )
        page.keyboard.type("eddie")
        page.keyboard.press("Tab")
        page.keyboard.type("browser-pass")
        page.keyboard.press("Enter")
        page.wait_for_url(base + "/")
        page.goto(base + "/scenarios/new/")
        page.locator("#id_name").fill("Demo home")  # "Secret names" also says "Name"
        page.get_by_label("Slug").fill("demo-home")
        page.get_by_label("URL").fill(target)
        page.get_by_label("Every (minutes)").fill("15")
        page.get_by_label("Local").check()
        shot(page, "scenario-form")
        page.get_by_role("button", name="Create scenario").click()
        page.wait_for_url(base + "/scenarios/demo-home/edit/")
        page.get_by_role("button", name="Try it now").click()
        page.wait_for_url(base + "/runs/*/")
        page.wait_for_selector(".status.succeeded", timeout=60_000)
        rows = page.locator("tr.wf-row")
        seen = [
            (row.get_attribute("data-host"), row.locator(".path").inner_text())
            for row in rows.all()
        ]
        final = page.locator("figure.screenshot img")
        final.scroll_into_view_if_needed()  # lazy-loaded below the waterfall
        page.wait_for_function(
            "document.querySelector('figure.screenshot img').naturalWidth > 0", timeout=10_000
        )
        screenshot_size = final.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        shot(page, "run")
        page.get_by_label("Party").select_option("third")
        third_visible = page.locator("tr.wf-row:visible").count()
        count_text = page.locator(".wf-count").inner_text()
        run_url = page.url
        run_id = run_url.rstrip("/").rsplit("/", 1)[1]
        page.goto(f"{base}/compare/?base={run_id}&branch={run_id}")
        compare_waterfalls = page.locator("table.wf").count()
        shot(page, "compare")
        page.goto(base + "/scenarios/demo-home/")
        page.wait_for_selector("#charts .uplot")
        charts_before = page.locator("#charts .uplot").count()
        with page.expect_response(lambda r: "series.json?range=24h" in r.url) as response:
            page.get_by_role("link", name="24h").click()
        status = response.value.status
        page.wait_for_selector('.ranges a[data-range="24h"][aria-current="true"]')
        page.wait_for_function("document.getElementById('charts').dataset.range === '24h'")
        page.wait_for_selector("#tables h2:has-text('Hosts (24h)')")
        hosts_table = page.locator("#tables table").first.inner_text()
        shot(page, "scenario")
        charts_after = page.locator("#charts .uplot").count()
        page_url = page.url
        # A click on the LCP chart opens the run behind the nearest point (the only one).
        page.locator('figure[data-metric="lcp"] .u-over').click()
        page.wait_for_url(base + "/runs/*/")
        clicked_url = page.url
        page.goto(base + "/")
        shot(page, "scenario-list")
        list_text = page.locator("table.list tbody").inner_text()
        return {
            "seen": seen,
            "third_visible": third_visible,
            "count_text": count_text,
            "run_url": run_url,
            "charts": (charts_before, charts_after),
            "status": status,
            "page_url": page_url,
            "list_text": list_text,
            "hosts_table": hosts_table,
            "compare_waterfalls": compare_waterfalls,
            "clicked_url": clicked_url,
            "screenshot_size": screenshot_size,
        }

    out = in_thread(journey)

    scenario = Scenario.objects.get(slug="demo-home")
    assert scenario.url == target
    run = Run.objects.get(scenario=scenario)
    assert run.location is not None and run.result is not None
    assert (run.kind, run.status, run.location.name, run.agent_name) == (
        "manual",
        "succeeded",
        "local",
        agent_name(),
    )
    assert out["run_url"] == f"{base}/runs/{run.pk}/"
    paths = [(host, urlsplit(url).path) for host, url in out["seen"]]
    expected = [("www.example.localhost", "/")] + [(h, p) for h, p, _ in site.expected("/")]
    assert [p for p in expected if p not in paths] == []
    assert len(paths) == len(run.result["requests"])
    third = [r for r in run.result["requests"] if r["party"] == "third"]
    assert out["third_visible"] == len(third) > 0
    assert out["count_text"] == f"{len(third)} of {len(paths)} requests"
    # One chart per charted metric of the registry (nine, Speed Index included), two stacked
    # party charts.
    assert out["charts"] == (11, 11)
    assert out["compare_waterfalls"] == 2
    assert out["screenshot_size"] == [1280, 720]  # the trial's final viewport, served inline
    assert out["clicked_url"] == out["run_url"]
    assert out["status"] == 200
    assert out["page_url"].endswith("/scenarios/demo-home/?range=24h")
    assert "Demo home" in out["list_text"] and "active" in out["list_text"]
    for host in ("www.example.localhost", "static.example.localhost", "ads.other.localhost"):
        assert host in out["hosts_table"]

"""A run with actors: one fresh context per actor in the same warm browser, their steps in
the order written, one result document (core.result.actors) and one HAR for all.

Each actor's context is opened and set up as a one-page run's would be (agents.browser:
its cookies, viewport, device, headers, blocking, collector, counters and HAR), from its
part of the spec (core.spec.actor_spec); the first pages then load one after the other, so
each actor's page metrics are its page's alone. The steps run in order, each on its actor's
page and within its own time limit (so a wait is that actor's); measured steps go through
agents.measures, which times a step that ends on another page by the pages' own clocks. At
the end every page is left to go quiet, then each context closes, writing its HAR.

Only the first actor keeps a final screenshot and a filmstrip (a run stores one of each);
the others' visual metrics are absent, with that reason. The HAR is every actor's, each
repaired with the timings its document was computed with, its pages and entries tagged with
their ``_actor`` (core.har.actors). No ORM here.
"""

import os
import shutil
import tempfile
from datetime import UTC, datetime
from typing import Any

from agents.browser import (
    BrowserPool,
    Measurement,
    OpenPage,
    Outcome,
    begin_run,
    close_page,
    finish_page,
    first_navigation,
    open_page,
    page_errors,
    read_har,
    remaining_ms,
    run_step,
)
from agents.engines import InfrastructureError
from agents.filmstrip import archive, develop_capture
from agents.journey import wait_quiet
from agents.measures import Measures
from agents.proxy_errors import explain_run
from agents.proxy_lookup import restore_lookup_time
from core.har.actors import merge_hars
from core.har.analyse import repair_har
from core.metrics import VISUAL
from core.result.absent import unavailable
from core.result.actors import ActorPart, combine
from core.result.build import build_result, first_document
from core.spec import actor_spec

MEASURES = frozenset({"measure_start", "measure_stop"})
NO_FILMSTRIP = "the filmstrip is the first actor's only"


def measure_actors(spec: dict[str, Any], pool: BrowserPool) -> Measurement:
    """Measure a spec with ``actors`` (core.spec) in one context per actor of a warm browser.

    As agents.browser.measure: a page error (any actor's) gives a result with status
    ``failed`` or ``timed_out``, the error naming the actor and the step; a browser, renderer
    or proxy failure raises InfrastructureError. Safe to call from a thread that uses the
    ORM: the browser work runs on the pool's thread.
    """
    return pool.call(_measure_actors, spec, pool)


def _measure_actors(spec: dict[str, Any], pool: BrowserPool) -> Measurement:
    step_timeout, quiet_ms, deadline, name, kind, browser, proxy = begin_run(spec, pool)
    lead = spec["actors"][0]["name"]
    specs = {}
    for actor in spec["actors"]:
        own = actor_spec(spec, actor)
        # One screenshot and one filmstrip per run: the first actor's.
        if actor["name"] != lead:
            own = {**own, "screenshot": False, "filmstrip": False}
        specs[actor["name"]] = own
    workdir = tempfile.mkdtemp(prefix="perfite-")
    started_at = datetime.now(UTC).isoformat()
    opened: dict[str, OpenPage] = {}
    try:
        for actor, own in specs.items():
            har_path = os.path.join(workdir, f"{actor}.har")
            opened[actor] = open_page(browser, own, pool, har_path, deadline)
    except BaseException:
        for page in opened.values():
            close_page(page)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    refused = next((o.refused for o in opened.values() if o.refused), None)
    outcome = Outcome("failed", refused) if refused else Outcome()
    measures = Measures(opened, list(spec.get("steps") or []))
    finished = {}

    def crashed() -> bool:
        return any(page.recording.crashed for page in opened.values())

    try:
        with page_errors(outcome, browser, crashed):
            for actor, own in specs.items():
                if outcome.status != "succeeded":
                    break
                timeout = remaining_ms(step_timeout, deadline)
                if problem := first_navigation(opened[actor], own["url"], timeout, actor):
                    outcome.status, outcome.error = "failed", problem
            for index, step in enumerate(measures.steps if outcome.status == "succeeded" else []):
                act = measures.runner(index) if step["action"] in MEASURES else None
                run_step(opened[step["actor"]], step, remaining_ms(step_timeout, deadline), act)
            if outcome.status == "succeeded":
                for page in opened.values():  # all went quiet together: the last waits alone
                    wait_quiet(page.page, page.recording, quiet_ms, deadline)
        for actor, own in specs.items():
            finished[actor] = finish_page(opened[actor], own)
    finally:
        for page in opened.values():
            close_page(page)
    finished_at = datetime.now(UTC).isoformat()
    hars = {actor: read_har(os.path.join(workdir, f"{actor}.har")) for actor in specs}
    shutil.rmtree(workdir, ignore_errors=True)
    for actor, page in opened.items():
        if page.recording.crashed:
            raise InfrastructureError(
                f"{actor}: the page's renderer crashed: {outcome.error or 'during the run'}"
            )
    report = proxy.take_report() if proxy is not None else None
    if proxy is not None and not proxy.alive():
        raise InfrastructureError("the address-policy proxy stopped during the run")
    status, error = outcome.status, outcome.error
    if report is not None:
        error = explain_run(report.failures, None, (), error)
    marks = [m for m in measures.marks if m["end"] is not None]
    parts, films, repaired = [], [], []
    for actor, own in specs.items():
        page, har = opened[actor], hars[actor]
        recording = page.recording
        if report is not None:
            explain_run(report.failures, har, recording.wire.values(), None)
            first = recording.snapshots[min(recording.snapshots)] if recording.snapshots else None
            restore_lookup_time(first, report.lookup_ms)
        page.emulation.delay_documents(recording.snapshots)
        snapshots = sorted(recording.snapshots.values(), key=lambda s: s["timeOrigin"])
        capture = finished[actor][0] if actor in finished else None
        film = develop_capture(capture, snapshots, status) if capture is not None else None
        films.append(film)
        document = build_result(
            spec=own,
            status=status,
            error=error,
            started_at=started_at,
            finished_at=finished_at,
            browser_version=browser.version,
            browser=name,
            unavailable=unavailable(kind.LABEL, kind.CAPABILITIES),
            har=har,
            snapshots=snapshots,
            wire=list(recording.wire.values()),
            ws_events=recording.ws_events,
            marks=marks,
            actions=recording.actions,
            counters=page.counters.report(),
            values=page.journey.values,
            filmstrip=film,
        )
        if actor != lead and spec.get("filmstrip", True):
            errors = document.setdefault("metric_errors", {})
            errors.update({m.name: NO_FILMSTRIP for m in VISUAL if m.name not in errors})
        first_doc = first_document(snapshots)
        origin = float(first_doc["timeOrigin"]) if first_doc else None
        parts.append(ActorPart(actor, own["url"], document, origin))
        if har is not None:
            repaired.append((actor, repair_har(har, document.get("requests") or [])))
    result = combine(parts, marks, status=status, error=error)
    _, screenshot, screenshot_error = finished.get(lead, (None, None, None))
    if screenshot_error:
        result["screenshot_error"] = screenshot_error
    return Measurement(
        result=result,
        har=merge_hars(repaired) if repaired else None,
        screenshot=screenshot,
        filmstrip=archive(films[0]),
    )

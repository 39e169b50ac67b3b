"""Result documents for tests, made by the real result builder from a small HAR.

A test describes a run the way a browser would see it: the requests it made (:func:`req`),
the page's timings, long tasks (:class:`Task`) and measured steps. :func:`measured` turns that
into what the agent collects (a HAR with ``startedDateTime``, timings, status, content,
``_transferSize`` and ``_resourceType``; the collector's snapshot with Navigation Timing, FCP,
LCP, CLS, long tasks, Long Animation Frame scripts and Resource Timing entries carrying
``renderBlockingStatus``) and hands it to :func:`core.result.build.build_result`. So every
document a test uses has the keys, totals and repairs an agent's has; a hand-written document
would drift from them.

Times are milliseconds from the first navigation's start (its ``timeOrigin``), at
:data:`T0` unless said otherwise.
"""

from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from core.har.analyse import TIMING_KEYS
from core.metrics import clean_name
from core.result.build import build_result

Json = dict[str, Any]

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
BROWSER_VERSION = "156.0.8078.73"

# What Chromium reports as a response's type, by the HAR's _resourceType.
MIME = {
    "document": "text/html",
    "script": "text/javascript",
    "stylesheet": "text/css",
    "image": "image/png",
    "font": "font/woff2",
    "xhr": "application/json",
    "fetch": "application/json",
    "media": "video/mp4",
}


@dataclass(frozen=True)
class Req:
    """One request of a run; see :func:`req`."""

    url: str
    start_ms: float
    duration_ms: float
    kind: str
    bytes: int
    body: int
    blocking: bool
    status: int
    error: str | None
    mime: str
    timings: Mapping[str, float] | None  # None: all "wait", or split at the page's ttfb
    method: str = "GET"

    def phases(self) -> dict[str, float]:
        return dict(self.timings) if self.timings is not None else {"wait": self.duration_ms}


def req(
    host: str,
    path: str,
    start_ms: float,
    duration_ms: float,
    *,
    kind: str = "script",
    bytes: int = 1000,  # noqa: A002 - the word the callers read best
    body: int | None = None,
    blocking: bool = False,
    status: int = 200,
    error: str | None = None,
    scheme: str = "http",
    timings: Mapping[str, float] | None = None,
    mime: str | None = None,
    method: str = "GET",
) -> Req:
    """A request to ``scheme://host path`` started ``start_ms`` after the navigation.

    ``kind`` is the HAR's ``_resourceType`` (document, script, stylesheet, image, font, xhr
    …), ``bytes`` the transfer size and ``body`` the content size (default: ``bytes``);
    ``blocking`` makes Resource Timing report it render-blocking. ``status`` -1 or 0 (no
    response) or an ``error`` (the HAR's ``_failureText``) make it a failed request.
    ``timings`` are its HAR phases (blocked, dns, connect, ssl, send, wait, receive) and must
    add up to ``duration_ms``; by default it is all ``wait`` (the page's document: waiting
    until the page's ``ttfb``, receiving after it). ``method`` is the HTTP method.
    """
    if not path.startswith("/"):
        raise ValueError(f"path {path!r} must start with /")
    if timings is not None:
        unknown = set(timings) - set(TIMING_KEYS)
        if unknown:
            raise ValueError(f"unknown HAR timings {sorted(unknown)}")
        if round(sum(timings.values()), 1) != round(duration_ms, 1):
            raise ValueError(f"timings {dict(timings)} do not add up to {duration_ms} ms")
    return Req(
        url=f"{scheme}://{host}{path}",
        start_ms=start_ms,
        duration_ms=duration_ms,
        kind=kind,
        bytes=bytes,
        body=bytes if body is None else body,
        blocking=blocking,
        status=status,
        error=error,
        mime=mime if mime is not None else MIME.get(kind, "application/octet-stream"),
        timings=timings,
        method=method,
    )


@dataclass(frozen=True)
class Task:
    """A long task on the main thread, run by ``script`` (a request's URL) when given: the
    URL its Long Animation Frame script entry names. What lasts beyond 50 ms after FCP is
    blocking time (the builder's TBT and per-host ``blocking_ms``)."""

    start_ms: float
    duration_ms: float
    script: str | None = None


@dataclass(frozen=True)
class Navigation:
    """A later document of the run (a step that navigated), loaded ``started_ms`` after the
    first; its timings count from its own start, None is "not measured"."""

    url: str
    started_ms: float
    ttfb: float | None = None
    fcp: float | None = None
    lcp: float | None = None
    cls: float | None = 0.0
    dcl: float | None = None
    load: float | None = None
    long_tasks: Sequence[Task] = field(default_factory=tuple)


class Measured(NamedTuple):
    """A run as the agent delivers it: the result document and the HAR it was built from."""

    result: Json
    har: Json


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _entry(request: Req, origin: datetime) -> Json:
    response: Json = {
        "status": request.status,
        "statusText": "",
        "httpVersion": "HTTP/1.1",
        "headers": [],
        "content": {"size": request.body, "mimeType": request.mime},
        "redirectURL": "",
        "headersSize": -1,
        "bodySize": request.body,
        "_transferSize": request.bytes,
    }
    if request.error:
        response["_failureText"] = request.error
    return {
        "startedDateTime": _iso(origin + timedelta(milliseconds=request.start_ms)),
        "time": round(sum(request.phases().values()), 1),
        "_resourceType": request.kind,
        "request": {
            "method": request.method,
            "url": request.url,
            "httpVersion": "HTTP/1.1",
            "headers": [],
            "queryString": [],
            "headersSize": -1,
            "bodySize": 0,
        },
        "response": response,
        "cache": {},
        "timings": dict.fromkeys(TIMING_KEYS, -1) | request.phases(),
    }


def _document_nav(document: Req | None, ttfb: float | None) -> Json:
    """Navigation Timing whose phases are the document request's, so the builder (which takes
    the first document's dns, connect, ssl, wait and receive from it) gets them back."""
    if document is None:
        return {} if ttfb is None else {"responseStart": ttfb}
    t = document.phases()
    fetch = document.start_ms + t.get("blocked", 0.0)
    dns_end = fetch + t.get("dns", 0.0)
    connect_end = dns_end + t.get("connect", 0.0)
    secure = t.get("ssl", 0.0) if document.url.startswith("https:") else 0.0
    request_start = connect_end + t.get("send", 0.0)
    response_start = request_start + t.get("wait", 0.0)
    if ttfb is not None and round(response_start, 1) != round(ttfb, 1):
        raise ValueError(f"the document's first byte is at {response_start} ms, not {ttfb}")
    return {
        "startTime": 0.0,
        "fetchStart": fetch,
        "domainLookupStart": fetch,
        "domainLookupEnd": dns_end,
        "connectStart": dns_end,
        "secureConnectionStart": connect_end - secure if secure else 0.0,
        "connectEnd": connect_end,
        "requestStart": request_start,
        "responseStart": response_start,
        "responseEnd": response_start + t.get("receive", 0.0),
    }


def _snapshot(
    url: str,
    origin_ms: float,
    nav: Json,
    *,
    fcp: float | None,
    lcp: float | None,
    lcp_element: str | None,
    cls: float | None,
    dcl: float | None,
    load: float | None,
    long_tasks: Sequence[Task],
    resources: Sequence[Json] = (),
) -> Json:
    nav = dict(nav)
    if dcl is not None:
        nav["domContentLoadedEventStart"] = nav["domContentLoadedEventEnd"] = dcl
    # Chromium reports 0 for a load event that has not happened yet.
    nav["loadEventStart"] = nav["loadEventEnd"] = load or 0.0
    return {
        "url": url,
        "timeOrigin": origin_ms,
        "nav": {"name": url, "entryType": "navigation", **nav},
        "fcp": fcp,
        "lcp": None if lcp is None else {"t": lcp, "element": lcp_element, "url": None},
        "cls": cls,
        "longTasks": [{"start": t.start_ms, "duration": t.duration_ms} for t in long_tasks],
        "scripts": [
            {"start": t.start_ms, "duration": t.duration_ms, "url": t.script}
            for t in long_tasks
            if t.script
        ],
        "resources": list(resources),
    }


def _resource(request: Req) -> Json:
    return {
        "name": request.url,
        "startTime": request.start_ms,
        "duration": request.duration_ms,
        "transferSize": request.bytes,
        "encodedBodySize": request.body,
        "decodedBodySize": request.body,
        "renderBlockingStatus": "blocking" if request.blocking else "non-blocking",
        "initiatorType": {"stylesheet": "link", "image": "img"}.get(request.kind, request.kind),
    }


def measured(
    *,
    url: str = "http://www.example.localhost/",
    requests: Sequence[Req] | None = None,
    ttfb: float | None = None,
    fcp: float | None = None,
    lcp: float | None = None,
    lcp_element: str | None = None,
    cls: float | None = 0.0,
    dcl: float | None = None,
    load: float | None = None,
    long_tasks: Sequence[Task] = (),
    steps: Sequence[tuple[str, float, float]] = (),
    navigations: Sequence[Navigation] = (),
    status: str = "succeeded",
    error: str | None = None,
    scenario: str | None = "demo",
    location: str = "local",
    first_party: Sequence[str] = (),
    started_at: datetime = T0,
    finished_at: datetime | None = None,
) -> Measured:
    """The result document the real builder makes of this run, and its HAR.

    ``requests`` default to one document request for ``url`` ending at ``ttfb`` + 2 ms. The
    first request of kind ``document`` is the page: its timings become Navigation Timing, and
    ``ttfb`` (when given) must be its first byte. ``dcl`` and ``load`` are the page's
    DOMContentLoaded and load events, ``lcp_element`` what LCP painted; ``steps`` are
    ``(name, start_ms, duration_ms)`` of measured steps; ``navigations`` later documents.
    None is "not measured". ``finished_at`` defaults to two seconds after ``started_at``.
    """
    if requests is None:
        parts = urlsplit(url)
        end = (ttfb or 0.0) + 2.0
        requests = [req(parts.netloc, parts.path or "/", 0.0, end, kind="document", bytes=1200)]
    origin_ms = started_at.timestamp() * 1000.0
    requests = sorted(requests, key=lambda r: r.start_ms)
    document = next((r for r in requests if r.kind == "document"), None)
    if document is not None and document.timings is None and ttfb is not None:
        wait = ttfb - document.start_ms
        if not 0 <= wait <= document.duration_ms:
            raise ValueError(f"ttfb {ttfb} ms is outside the document request")
        split = replace(
            document, timings={"wait": wait, "receive": round(document.duration_ms - wait, 1)}
        )
        requests = [split if r is document else r for r in requests]
        document = split
    first = _snapshot(
        url,
        origin_ms,
        _document_nav(document, ttfb),
        fcp=fcp,
        lcp=lcp,
        lcp_element=lcp_element,
        cls=cls,
        dcl=dcl,
        load=load,
        long_tasks=long_tasks,
        resources=[_resource(r) for r in requests if r is not document],
    )
    later = [
        _snapshot(
            n.url,
            origin_ms + n.started_ms,
            {} if n.ttfb is None else {"responseStart": n.ttfb},
            fcp=n.fcp,
            lcp=n.lcp,
            lcp_element=None,
            cls=n.cls,
            dcl=n.dcl,
            load=n.load,
            long_tasks=n.long_tasks,
        )
        for n in navigations
    ]
    har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "Playwright", "version": "1.55.0"},
            "pages": [],
            "entries": [_entry(r, started_at) for r in requests],
        }
    }
    spec: Json = {"url": url, "scenario": scenario, "location": location}
    if first_party:
        spec["first_party"] = list(first_party)
    result = build_result(
        spec=spec,
        status=status,
        error=error,
        started_at=started_at.isoformat(),
        finished_at=(finished_at or started_at + timedelta(seconds=2)).isoformat(),
        browser_version=BROWSER_VERSION,
        har=har,
        snapshots=[first, *later],
        marks=[
            {"name": name, "start": origin_ms + start, "end": origin_ms + start + duration}
            for name, start, duration in steps
        ],
    )
    return Measured(result, har)


def page(**run: Any) -> Json:
    """The result document of :func:`measured` (same parameters)."""
    return measured(**run).result


# The home page of the CI tests: its document, a render-blocking stylesheet, the
# render-blocking third-party ad script (the usual culprit) and an image.
WWW = "www.example.localhost"
STATIC = "static.example.localhost"
ADS = "ads.other.localhost"


def home_run(
    fcp: float,
    *,
    ad_ms: float = 20.0,
    ttfb: float = 10.0,
    load: float | None = None,
    extra: Sequence[Req] = (),
    blocking: float = 0.0,
    ad_path: str = "/ad.js?v=1",
    status: str = "succeeded",
    error: str | None = None,
) -> Measured:
    """A home-page run of scenario ``demo``: the document (first byte at ``ttfb``, 2 ms
    later complete), a render-blocking CSS, the render-blocking ad script taking ``ad_ms``
    (8,200 bytes), a 2,000-byte image, then ``extra`` requests.

    LCP is FCP, DOMContentLoaded 5 ms before FCP and load (default) 10 ms after it;
    ``blocking`` ms of main-thread blocking after FCP are the ad script's.
    """
    requests = [
        req(WWW, "/", 0.0, ttfb + 2, kind="document"),
        req(STATIC, "/app.css?v=1", 15.0, 8.0, kind="stylesheet", blocking=True),
        req(ADS, ad_path, 16.0, ad_ms, blocking=True, bytes=8200),
        req(STATIC, "/hero.png?v=1", 17.0, 6.0, kind="image", bytes=2000),
        *extra,
    ]
    tasks = [Task(fcp, 50.0 + blocking, f"http://{ADS}{ad_path}")] if blocking else []
    return measured(
        url=f"http://{WWW}/",
        requests=requests,
        ttfb=ttfb,
        fcp=fcp,
        lcp=fcp,
        dcl=fcp - 5,
        load=load if load is not None else fcp + 10,
        long_tasks=tasks,
        status=status,
        error=error,
    )


def home_result(fcp: float, **shape: Any) -> Json:
    """The result document of :func:`home_run` (same parameters)."""
    return home_run(fcp, **shape).result


def result_doc(
    lcp: float | None = 100.0, requests: Sequence[Req] | None = None, **run: Any
) -> Json:
    """A run of the dashboard's scenario ``home`` at ``local``: by default the document of
    www.example.com and a script of ads.other.com (1,200 bytes each, 1,100 of body, 40 ms);
    TTFB 10, FCP 60, DCL 70, load 120 ms, CLS 0.01. ``run`` overrides any :func:`measured`
    parameter (``status``, ``error`` …)."""
    if requests is None:
        requests = [
            req("www.example.com", "/", 0.0, 40.0, kind="document", bytes=1200, body=1100),
            req("ads.other.com", "/asset", 50.0, 40.0, bytes=1200, body=1100),
        ]
    shape: Json = {
        "url": "http://www.example.com/",
        "scenario": "home",
        "requests": requests,
        "ttfb": 10.0,
        "fcp": 60.0,
        "lcp": lcp,
        "cls": 0.01,
        "dcl": 70.0,
        "load": 120.0,
    }
    return page(**(shape | run))


def with_named(
    doc: Json,
    metrics: Mapping[str, float] | None = None,
    *,
    steps: Mapping[str, Mapping[str, float]] | None = None,
    errors: Mapping[str, str] | None = None,
    user_timings: Sequence[Json] = (),
    backend: Mapping[str, Json] | None = None,
) -> Json:
    """A copy of ``doc`` (a document the builder made) carrying named metrics as
    docs/result-document.md ("Named metrics") lays them out: ``metrics`` added to its
    ``metrics``, ``steps`` ({step name: its metrics}) as the ``metrics`` of those measured
    steps (each must be in ``doc``), ``errors`` as ``metric_errors``, ``user_timings``
    (:func:`user_timing`) and ``backend`` ({name: {target, from, until, points, error}})."""
    out = deepcopy(doc)
    out["metrics"].update(metrics or {})
    by_name = {step["name"]: step for step in out["steps"]}
    for name, own in (steps or {}).items():
        by_name[name]["metrics"] = dict(own)
    if errors:
        out["metric_errors"] = dict(errors)
    if user_timings:
        out["user_timings"] = list(user_timings)
    if backend:
        out["backend"] = {name: dict(series) for name, series in backend.items()}
    return out


def user_timing(
    name: str, started_ms: float, duration_ms: float = 0.0, *, page: int = 0, metric: bool = True
) -> Json:
    """A ``user_timings`` entry as the agent records it: a mark (``duration_ms`` 0) or a
    measure, made in document ``page``; ``metric`` names the ``user.<name>`` metric it
    became (core.metrics.clean_name of the page's name), False when it became none."""
    cleaned = clean_name(name) if metric else None
    return {
        "name": name,
        "metric": f"user.{cleaned}" if cleaned else None,
        "type": "measure" if duration_ms else "mark",
        "page": page,
        "started_ms": started_ms,
        "duration_ms": duration_ms,
    }

"""Synthetic result documents for the CI tests that do not need a browser."""

from typing import Any

WWW = "www.example.localhost"
STATIC = "static.example.localhost"
ADS = "ads.other.localhost"


def request(
    host: str,
    path: str,
    started: float,
    duration: float,
    *,
    kind: str = "script",
    blocking: bool = False,
    transfer: int = 1000,
    party: str = "first",
) -> dict[str, Any]:
    entity = ".".join(host.split(".")[-2:])
    return {
        "url": f"http://{host}{path}?v=1",
        "host": host,
        "party": party,
        "entity": entity,
        "resource_type": kind,
        "content_class": "js" if kind == "script" else kind,
        "started_ms": started,
        "duration_ms": duration,
        "transfer_bytes": transfer,
        "body_bytes": transfer,
        "render_blocking": blocking,
        "failed": False,
    }


def result(
    fcp: float,
    *,
    ad_ms: float = 20.0,
    ttfb: float = 10.0,
    load: float | None = None,
    extra: list[dict[str, Any]] | None = None,
    blocking: float = 0.0,
) -> dict[str, Any]:
    """A home-page run: document, a render-blocking CSS, the render-blocking ad script."""
    requests = [
        request(WWW, "/", 0.0, ttfb + 2, kind="document"),
        request(STATIC, "/app.css", 15.0, 8.0, kind="stylesheet", blocking=True),
        request(ADS, "/ad.js", 16.0, ad_ms, blocking=True, transfer=8200, party="third"),
        request(STATIC, "/hero.png", 17.0, 6.0, kind="image", transfer=2000),
        *(extra or []),
    ]
    hosts: dict[str, dict[str, Any]] = {}
    parties = {
        p: {
            "requests": 0,
            "failed": 0,
            "body_bytes": 0,
            "transfer_bytes": 0,
            "time_ms": 0.0,
            "blocking_ms": 0.0,
        }
        for p in ("first", "third")
    }
    for r in requests:
        h = hosts.setdefault(
            r["host"],
            {
                "requests": 0,
                "failed": 0,
                "body_bytes": 0,
                "transfer_bytes": 0,
                "time_ms": 0.0,
                "blocking_ms": 0.0,
                "party": r["party"],
                "entity": r["entity"],
            },
        )
        for group in (h, parties[r["party"]]):
            group["requests"] += 1
            group["transfer_bytes"] += r["transfer_bytes"]
            group["body_bytes"] += r["body_bytes"]
            group["time_ms"] += r["duration_ms"]
    hosts[ADS]["blocking_ms"] = blocking
    parties["third"]["blocking_ms"] = blocking
    entities = {}
    for host, totals in hosts.items():
        entities[totals["entity"]] = {
            **{k: v for k, v in totals.items() if k != "entity"},
            "hosts": [host],
        }
    total_bytes = sum(r["transfer_bytes"] for r in requests)
    return {
        "schema": 1,
        "scenario": "demo",
        "status": "succeeded",
        "error": None,
        "metrics": {
            "ttfb": ttfb,
            "fcp": fcp,
            "lcp": fcp,
            "cls": 0.0,
            "tbt": blocking,
            "load": load if load is not None else fcp + 10,
            "requests": len(requests),
            "transfer_bytes": total_bytes,
            "third_party_blocking_ms": blocking,
        },
        "requests": requests,
        "parties": parties,
        "hosts": hosts,
        "entities": entities,
        "content_classes": {},
        "steps": [],
    }

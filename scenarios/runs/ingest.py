"""The agents' side door: claim a run, deliver its result + HAR (+ screenshot, filmstrip),
report a heartbeat.

Remote agents need only the broker and HTTPS: every call carries the agent's token
(``Authorization: Bearer pfa_…``). Bad input is a 4xx with a reason and stores nothing. A
token delivers only the runs its agent claimed (and holds: not lost, not taken over by
another agent), and a repeated delivery of a stored run changes nothing.
"""

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.har.files import HarError
from core.result.validate import ResultError
from scenarios.models import Agent, Run
from scenarios.models.run import claim_run
from scenarios.runs.har_spool import SpooledHar, spool_upload
from scenarios.runs.memory import gc_paused
from scenarios.runs.store import store_result

# The zip's own headers around the frames (core.visual.archive checks the exact bound).
ARCHIVE_ALLOWANCE = 64 * 1024


def _agent(request: HttpRequest) -> tuple[Agent | None, JsonResponse | None]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in {"bearer", "token"} or not token.strip():
        return None, JsonResponse({"error": "missing agent token"}, status=401)
    agent = Agent.for_token(token.strip())
    if agent is None:
        return None, JsonResponse({"error": "invalid or revoked agent token"}, status=403)
    return agent, None


def _bad(reason: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": reason}, status=status)


@csrf_exempt
@require_POST
def heartbeat(request: HttpRequest) -> JsonResponse:
    agent, denied = _agent(request)
    if denied:
        return denied
    assert agent is not None
    try:
        body = json.loads(request.body or b"{}")
    except json.JSONDecodeError:
        return _bad("heartbeat body must be JSON")
    if not isinstance(body, dict):
        return _bad("heartbeat body must be a JSON object")
    try:
        agent.record_heartbeat(body)
    except ValueError as exc:
        return _bad(str(exc))
    return JsonResponse({"ok": True, "agent": agent.name, "location": agent.location.name})


@csrf_exempt
@require_POST
def claim(request: HttpRequest, run_id: int) -> JsonResponse:
    agent, denied = _agent(request)
    if denied:
        return denied
    assert agent is not None
    if not Run.objects.filter(pk=run_id, location=agent.location).exists():
        return _bad("no such run for this agent's location", 404)
    spec = claim_run(run_id, agent.name, holder_repeats=True)
    if spec is None:
        return JsonResponse({"error": "run already finished or lost"}, status=409)
    return JsonResponse(spec)


def _read_upload(
    request: HttpRequest,
) -> tuple[dict[str, Any], SpooledHar | None, bytes | None, bytes | None]:
    """(result, har, screenshot, filmstrip) from a multipart upload: field/file 'result'
    (JSON), file 'har' (gzip, read as a stream into a spool the caller closes), file
    'screenshot' (JPEG or PNG), file 'filmstrip' (zip of JPEGs: core.visual.archive)."""
    raw = request.POST.get("result")
    if raw is None and "result" in request.FILES:
        raw = request.FILES.getlist("result")[0].read().decode("utf-8", "replace")
    if raw is None:
        raise ResultError("missing 'result' (the result document as JSON)")
    try:
        result = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ResultError(f"result is not valid JSON: {exc}") from exc
    har = None
    if "har" in request.FILES:
        har = spool_upload(request.FILES.getlist("har")[0], gzipped=True)
    screenshot = None
    if "screenshot" in request.FILES:
        screenshot = request.FILES.getlist("screenshot")[0].read()
    filmstrip = None
    if "filmstrip" in request.FILES:
        upload = request.FILES.getlist("filmstrip")[0]
        if (upload.size or 0) > settings.PERFITE_FILMSTRIP_MAX_BYTES + ARCHIVE_ALLOWANCE:
            raise ResultError(
                f"the filmstrip is larger than {settings.PERFITE_FILMSTRIP_MAX_BYTES} bytes"
            )
        filmstrip = upload.read()
    return result, har, screenshot, filmstrip


@csrf_exempt
@require_POST
def ingest_run(request: HttpRequest, run_id: int) -> JsonResponse:
    agent, denied = _agent(request)
    if denied:
        return denied
    assert agent is not None
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return _bad("upload too large", 413)
    run = Run.objects.filter(pk=run_id, location=agent.location).first()
    if run is None:
        return _bad("no such run for this agent's location", 404)
    if run.agent_name != agent.name:
        return _bad("this agent has not claimed this run", 409)
    if run.status != Run.RUNNING and run.result is None:
        return _bad(f"the run is {run.status}: it takes no result any more", 409)
    har = None
    try:
        with gc_paused():
            result, har, screenshot, filmstrip = _read_upload(request)
            stored = store_result(
                run_id,
                result,
                har,
                agent_name=agent.name,
                screenshot=screenshot,
                filmstrip=filmstrip,
            )
    except (ResultError, HarError) as exc:
        return _bad(str(exc))
    finally:
        if har is not None:
            har.close()
    agent.record_heartbeat({})
    return JsonResponse({"stored": stored, "run": run_id}, status=201 if stored else 200)

"""The agents' side door for load tests: claim a share, report it (scenarios.load.shares),
over HTTPS with the agent's token, as runs are (scenarios.runs.ingest)."""

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from scenarios.load.shares import ReportRefused, ShareElsewhere, claim_share, record_report
from scenarios.models import LoadShare
from scenarios.runs.ingest import _agent, _bad


def _in_location(share_id: int, location_id: int) -> bool:
    return LoadShare.objects.filter(pk=share_id, load_test__location_id=location_id).exists()


@csrf_exempt
@require_POST
def claim(request: HttpRequest, share_id: int) -> JsonResponse:
    """200 with the share's work; 409 when it is another agent's; 410 when there is nothing
    to run (claimed already, or its test is over); 404 when no such share is in the agent's
    location."""
    agent, denied = _agent(request)
    if denied:
        return denied
    assert agent is not None
    if not _in_location(share_id, agent.location_id):
        return _bad("no such load share for this agent's location", 404)
    try:
        work = claim_share(share_id, agent.name)
    except ShareElsewhere as exc:
        return _bad(str(exc), 409)
    if work is None:
        return _bad("nothing to run: the share was taken or its load test is over", 410)
    return JsonResponse(work)


@csrf_exempt
@require_POST
def report(request: HttpRequest, share_id: int) -> JsonResponse:
    """200 with the answer (go, stop, reason); 400 for a report that is not one, or not this
    agent's to send; 404 when no such share is in the agent's location."""
    agent, denied = _agent(request)
    if denied:
        return denied
    assert agent is not None
    if not _in_location(share_id, agent.location_id):
        return _bad("no such load share for this agent's location", 404)
    try:
        body = json.loads(request.body or b"null")
        answer = record_report(share_id, agent.name, body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _bad("a report is a JSON object")
    except ReportRefused as exc:
        return _bad(str(exc))
    return JsonResponse(answer)

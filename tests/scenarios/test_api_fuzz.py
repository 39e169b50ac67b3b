"""Property-based fuzzing of the REST API from its own OpenAPI schema (schemathesis).

Every operation gets a bounded number of generated requests, with a fixed seed, sent to the
Django app in-process (WSGI): once as an editor (a token), once with no credentials. Every
answer must be no server error, have a status, a content type and a body the schema
declares. Nothing leaves the test database: runs a comparison would dispatch are kept by a
stand-in broker (no agent measures them), uploads go to a temporary folder.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, seed, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from perfite.celery import app as celery_app
from perfite.wsgi import application
from scenarios.api import views as api_views
from scenarios.models import Location, Release, Run, Scenario
from scenarios.runs.store import store_result
from tests.roles import role

pytestmark = [pytest.mark.system, pytest.mark.django_db]

# Requests per operation: about a minute for the whole API on two busy cores. Without
# credentials every answer is a 401 (but the schema's own), so a few show it.
EDITOR_EXAMPLES = 50
ANONYMOUS_EXAMPLES = 5
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _schema() -> Any:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(document)))


schema = _schema()


@pytest.fixture
def world(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A scenario with a location and a stored run, an editor's token; tasks kept, not sent."""
    settings.MEDIA_ROOT = tmp_path
    settings.GRAPHITE_HOST = ""
    sent: list[Any] = []
    monkeypatch.setattr(celery_app, "send_task", lambda *a, **k: sent.append((a, k)))
    location = Location.objects.create(name="local")
    scenario = Scenario.objects.create(
        name="Home", slug="home", url="http://www.example.test/", paused=True
    )
    scenario.locations.add(location)
    run = Run.objects.create(scenario=scenario, location=location)
    result = {
        "schema": 1,
        "status": "succeeded",
        "metrics": {"ttfb": 10.0, "lcp": 100.0, "requests": 1},
        "hosts": {"www.example.test": {"requests": 1, "transfer_bytes": 10, "party": "first"}},
    }
    store_result(run.pk, result, None)
    Release.objects.create(name="v1", time=timezone.now())
    # ?wait= holds a comparison's answer up to 30 s: the fuzzer would spend its time waiting.
    monkeypatch.setattr(api_views, "MAX_WAIT_S", 0.2)
    user = User.objects.create_user("fuzz")
    user.groups.add(role("editor"))
    # Requests go through the real WSGI handler, whose signals close the database connection
    # after each one: the test's transaction must outlive them (as django.test.Client does).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield Token.objects.create(user=user).key
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


FUZZ = settings(
    deadline=None,
    database=None,
    derandomize=True,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@seed(20261130)
@settings(FUZZ, max_examples=EDITOR_EXAMPLES)
def test_an_editor_gets_answers_as_the_schema_says(case: Any, world: str) -> None:
    case.call_and_validate(
        app=application, headers={"Authorization": f"Token {world}"}, checks=CHECKS
    )


@schema.parametrize()
@seed(20261130)
@settings(FUZZ, max_examples=ANONYMOUS_EXAMPLES)
def test_no_credentials_get_answers_as_the_schema_says(case: Any, world: str) -> None:
    case.call_and_validate(app=application, checks=CHECKS)

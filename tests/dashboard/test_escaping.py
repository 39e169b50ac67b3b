"""HAR content is untrusted: hostile hosts, URLs and errors are shown escaped on every page."""

import json
import re
from collections.abc import Callable

import pytest
from django.test import Client

from scenarios.models import Location, Release, Run
from tests.factories import req, result_doc

from .conftest import HOSTILE

EVIL_HOST = f"{HOSTILE}.evil.com"
EVIL_PATH = f'/"><img src=x onerror=alert(1)>?q={HOSTILE}'
EVIL_ERROR = "<b>net::ERR</b>"
# No URL can carry a host or entity made of markup, so the run is measured from a stand-in
# host and its name put in afterwards: an imported or forged document could carry it.
STAND_IN_HOST, STAND_IN_ENTITY = "cdn.hostile.test", "hostile.test"


@pytest.fixture
def hostile_run(make_run: Callable[..., Run]) -> Run:
    requests = [
        req("www.example.com", "/", 0.0, 40.0, kind="document", bytes=1200),
        req(STAND_IN_HOST, EVIL_PATH, 20.0, 40.0, status=-1, error=EVIL_ERROR),
    ]
    text = json.dumps(result_doc(requests=requests, lcp_element=HOSTILE))
    text = text.replace(STAND_IN_HOST, EVIL_HOST).replace(STAND_IN_ENTITY, f"{HOSTILE}.com")
    return make_run(json.loads(text))


def assert_no_raw_markup(html: str) -> None:
    assert HOSTILE not in html
    assert "<img src=x" not in html
    assert EVIL_ERROR not in html


def test_the_run_page_escapes_hosts_urls_and_errors(
    viewer_client: Client, hostile_run: Run
) -> None:
    html = viewer_client.get(f"/runs/{hostile_run.pk}/").content.decode()

    assert_no_raw_markup(html)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;.evil.com" in html
    assert "&lt;b&gt;net::ERR&lt;/b&gt;" in html
    # The filter's data attribute and option carry the escaped host too.
    assert html.count('data-host="&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;.evil.com"') == 1
    assert re.search(r'<option value="&lt;script&gt;[^"]*\.evil\.com">', html)


def test_the_scenario_page_escapes_host_and_entity_tables(
    viewer_client: Client, hostile_run: Run
) -> None:
    html = viewer_client.get("/scenarios/home/?range=24h").content.decode()

    assert_no_raw_markup(html)
    # Once in the cell, once in the sparkline's aria-label; each table.
    assert html.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;.evil.com") == 2
    assert html.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;.com") == 2


def test_the_compare_page_escapes_both_waterfalls(viewer_client: Client, hostile_run: Run) -> None:
    html = viewer_client.get(
        f"/compare/?base={hostile_run.pk}&branch={hostile_run.pk}"
    ).content.decode()

    assert_no_raw_markup(html)
    assert html.count('data-host="&lt;script&gt;') == 2


def test_chart_data_is_embedded_as_inert_json(viewer_client: Client, hostile_run: Run) -> None:
    Run.objects.filter(pk=hostile_run.pk).update(error=HOSTILE)
    Release.objects.create(name=f"v1 {HOSTILE}", time=hostile_run.created_at)
    Location.objects.filter(name="local").update(label=HOSTILE)
    html = viewer_client.get("/scenarios/home/?range=24h").content.decode()

    script = re.search(
        r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert script is not None
    assert "<script>" not in script.group(1)
    assert json.loads(script.group(1))["releases"][0]["name"] == f"v1 {HOSTILE}"
    assert_no_raw_markup(html)


def test_the_scenario_list_escapes_names_and_urls(viewer_client: Client, hostile_run: Run) -> None:
    hostile_run.scenario.name = HOSTILE
    hostile_run.scenario.save()

    html = viewer_client.get("/").content.decode()

    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</a>" in html

"""The ops admin: locations with their live agents, scenarios, and runs with metrics, per-host
table, HAR and screenshot, filters and search."""

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from scenarios.models import Agent, Location, Run, Scenario
from scenarios.runs.store import store_result

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
HAR = {
    "log": {
        "entries": [
            {
                "startedDateTime": "2026-11-23T10:00:00.000Z",
                "request": {"url": "http://www.shop.localhost/", "headers": []},
                "response": {"status": 200, "headers": []},
            }
        ]
    }
}
HOST = {
    "requests": 3,
    "failed": 1,
    "body_bytes": 900,
    "transfer_bytes": 1000,
    "time_ms": 40.0,
    "blocking_ms": 12.5,
}
RESULT: dict[str, Any] = {
    "status": "succeeded",
    "error": None,
    "metrics": {"ttfb": 21.0, "lcp": 345.0},
    "requests": [],
    "hosts": {
        "www.shop.localhost": {**HOST, "party": "first", "entity": "shop.localhost"},
        "ads.<b>evil</b>.localhost": {**HOST, "party": "third", "entity": "evil.localhost"},
    },
}


@pytest.fixture
def stored(db: None, settings: Any, tmp_path: Path) -> Run:
    settings.MEDIA_ROOT = tmp_path
    eu = Location.objects.create(name="eu-west", label="Frankfurt")
    Location.objects.create(name="us-east")
    Agent.objects.create(name="eu-1", location=eu, last_seen=timezone.now())
    Agent.objects.create(
        name="eu-2", location=eu, last_seen=timezone.now(), browsers={"firefox": "153.8.0"}
    )
    shop = Scenario.objects.create(name="Shop home", slug="shop", url="http://www.shop.localhost/")
    Scenario.objects.create(name="Blog", slug="blog", url="http://blog.localhost/", paused=True)
    run = Run.objects.create(scenario=shop, location=eu, branch="feature-x")
    store_result(run.pk, RESULT, HAR, screenshot=JPEG)
    Run.objects.create(scenario=shop, location=eu, status=Run.FAILED, error="HTTP 500")
    return run


def test_locations_show_their_live_agents(stored: Run, admin_client: Client) -> None:
    page = admin_client.get("/admin/scenarios/location/").content.decode()
    assert '<td class="field-live_agents">2</td>' in page
    assert '<td class="field-live_agents">0</td>' in page
    # eu-1 never announced browsers (Chromium only); eu-2 announced Firefox.
    assert '<td class="field-live_browsers">chromium, firefox</td>' in page
    assert '<td class="field-live_browsers">—</td>' in page
    assert "us-east" in admin_client.get("/admin/scenarios/location/?q=us").content.decode()
    assert "Frankfurt" not in admin_client.get("/admin/scenarios/location/?q=us").content.decode()


def test_scenarios_are_searched_and_filtered(stored: Run, admin_client: Client) -> None:
    found = admin_client.get("/admin/scenarios/scenario/?q=shop").content.decode()
    assert "Shop home" in found and "Blog" not in found
    paused = admin_client.get("/admin/scenarios/scenario/?paused__exact=1").content.decode()
    assert "Blog" in paused and "Shop home" not in paused


def test_runs_are_filtered_by_status_and_searched(stored: Run, admin_client: Client) -> None:
    failed = admin_client.get("/admin/scenarios/run/?status__exact=failed").content.decode()
    assert "1 run" in failed and f">{stored.pk}<" not in failed
    branch = admin_client.get("/admin/scenarios/run/?q=feature-x").content.decode()
    assert f">{stored.pk}</a>" in branch and "1 run" in branch


def test_a_run_shows_metrics_hosts_har_and_screenshot_escaped(
    stored: Run, admin_client: Client
) -> None:
    page = admin_client.get(f"/admin/scenarios/run/{stored.pk}/change/").content.decode()
    assert "<tr><th>lcp</th><td>345.0</td></tr>" in page
    assert "ads.&lt;b&gt;evil&lt;/b&gt;.localhost" in page and "<b>evil</b>" not in page
    stored.refresh_from_db()
    assert f'<a href="/runs/{stored.pk}/har/">download HAR ({stored.har_size} bytes' in page
    assert f'<a href="/runs/{stored.pk}/screenshot/">view the final screenshot</a>' in page
    har = admin_client.get(f"/runs/{stored.pk}/har/")
    assert (har.status_code, har["Content-Type"]) == (200, "application/gzip")


def test_a_scenario_added_in_the_admin_without_location_gets_the_servers(
    admin_client: Client, settings: Any
) -> None:
    settings.PERFITE_LOCATION = "here"
    response = admin_client.post(
        "/admin/scenarios/scenario/add/",
        {
            "name": "No place",
            "slug": "no-place",
            "url": "http://www.example.com/",
            "script_format": "url",
            "script": "",
            "first_party": "[]",
            "dns_overrides": "{}",
            "block": "[]",
            "budgets": "{}",
            "frequency_minutes": "15",
            "cron": "",
            "jitter_seconds": "0",
            "profile": "native",
            "browser": "firefox",
        },
        follow=True,
    )
    assert response.status_code == 200
    scenario = Scenario.objects.get(slug="no-place")
    assert list(scenario.locations.values_list("name", flat=True)) == ["here"]
    assert scenario.browser == "firefox"
    assert (
        "runs from &#x27;here&#x27;, this server&#x27;s own location" in response.content.decode()
    )


def test_an_admin_lists_the_hosts_load_tests_may_target_per_location(
    stored: Run, admin_client: Client
) -> None:
    eu = Location.objects.get(name="eu-west")
    page = admin_client.get(f"/admin/scenarios/location/{eu.pk}/change/").content.decode()
    assert 'name="load_hosts"' in page
    form = {
        "name": "eu-west",
        "label": "Frankfurt",
        "load_hosts": "Shop.Example.com\n*.staging.example.com, ",
        "agents-TOTAL_FORMS": "0",
        "agents-INITIAL_FORMS": "0",
    }
    saved = admin_client.post(f"/admin/scenarios/location/{eu.pk}/change/", form)
    assert saved.status_code == 302
    eu.refresh_from_db()
    assert eu.load_hosts == ["shop.example.com", "*.staging.example.com"]
    refused = admin_client.post(
        f"/admin/scenarios/location/{eu.pk}/change/", {**form, "load_hosts": "http://x y"}
    )
    assert "not a host name or glob: http://x y" in refused.content.decode()
    assert Location.objects.get(pk=eu.pk).load_hosts == [
        "shop.example.com",
        "*.staging.example.com",
    ]

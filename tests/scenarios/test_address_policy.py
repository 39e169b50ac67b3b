"""Saving a scenario checks where it would send the browser: its URL, navigate steps, its
actors' first pages, DNS overrides and dns steps, in the model (so the dashboard, the admin
and seeded scenarios alike), with the reason naming the setting that would allow it."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from scenarios import destinations
from scenarios.management.commands.start import allow_demo_site
from scenarios.models import Scenario

pytestmark = pytest.mark.django_db

LOOPBACK_5432 = (
    "http://127.0.0.1:5432/ resolves to 127.0.0.1, a loopback address; "
    "allow it with PERFITE_ALLOWED_NETWORKS=127.0.0.0/8"
)
METADATA_OVERRIDE = (
    "metadata.example.com resolves to 169.254.169.254, a cloud metadata address, which no "
    "range or host name allows; allow its exact address with "
    "PERFITE_ALLOWED_NETWORKS=169.254.169.254/32"
)


@pytest.fixture
def public_only(settings: Any) -> None:
    """The default policy (the test session allows loopback for the demo site)."""
    settings.PERFITE_ALLOWED_NETWORKS = []
    settings.PERFITE_ALLOWED_HOSTS = []


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """What names resolve to, for the checks (none resolves unless listed)."""
    table: dict[str, list[str]] = {}
    monkeypatch.setattr(destinations, "resolve", lambda host: table.get(host))
    return table


def refusals(**fields: Any) -> dict[str, list[str]]:
    scenario = Scenario(name="S", slug="s", frequency_minutes=5, **fields)
    with pytest.raises(ValidationError) as refused:
        scenario.full_clean()
    return refused.value.message_dict


def test_an_internal_url_is_refused_with_the_setting_to_allow_it(public_only: None) -> None:
    assert refusals(url="http://127.0.0.1:5432/") == {"url": [LOOPBACK_5432]}


def test_a_name_resolving_to_a_private_address_is_refused(
    public_only: None, dns: dict[str, list[str]]
) -> None:
    dns["intranet.example.com"] = ["93.184.216.34", "10.0.0.7"]
    assert refusals(url="https://intranet.example.com/") == {
        "url": [
            "https://intranet.example.com/ resolves to 10.0.0.7, a private address; allow it "
            "with PERFITE_ALLOWED_NETWORKS=10.0.0.0/8 or "
            "PERFITE_ALLOWED_HOSTS=intranet.example.com"
        ]
    }


def test_a_public_or_not_yet_resolving_name_is_saved(
    public_only: None, dns: dict[str, list[str]]
) -> None:
    dns["www.example.com"] = ["93.184.216.34"]
    for url in ("https://www.example.com/", "https://not-live-yet.example.com/"):
        Scenario(name="S", slug="s", url=url, frequency_minutes=5).full_clean()


def test_navigate_steps_and_dns_steps_are_checked_with_their_line(public_only: None) -> None:
    navigate = "- navigate: /\n- navigate: http://10.0.0.5/admin\n"
    assert refusals(url="https://8.8.8.8/", script_format="yaml", script=navigate) == {
        "script": [
            "line 2: http://10.0.0.5/admin resolves to 10.0.0.5, a private address; "
            "allow it with PERFITE_ALLOWED_NETWORKS=10.0.0.0/8"
        ]
    }
    dns_step = 'Given "metadata.example.com" resolves to "169.254.169.254"\n'
    assert refusals(url="https://8.8.8.8/", script_format="gherkin", script=dns_step) == {
        "script": [f"line 1: {METADATA_OVERRIDE}"]
    }


def test_an_actors_first_page_is_checked_with_its_line(public_only: None) -> None:
    script = (
        "actors:\n  operator: /console\n  visitor: http://10.0.0.5/widget\n"
        "steps:\n  - visitor: click '#a'\n"
    )
    assert refusals(url="https://8.8.8.8/", script_format="yaml", script=script) == {
        "script": [
            "line 3: http://10.0.0.5/widget resolves to 10.0.0.5, a private address; "
            "allow it with PERFITE_ALLOWED_NETWORKS=10.0.0.0/8"
        ]
    }


def test_dns_overrides_are_checked_and_resolve_the_url(
    public_only: None, dns: dict[str, list[str]]
) -> None:
    assert refusals(
        url="https://8.8.8.8/", dns_overrides={"metadata.example.com": "169.254.169.254"}
    ) == {"dns_overrides": [METADATA_OVERRIDE]}
    assert refusals(url="https://8.8.8.8/", dns_overrides={"a.example": "nope"}) == {
        "dns_overrides": ["'nope' (for a.example) is not an IP address"]
    }
    # the URL's host resolves through the scenario's own map, as the agent will resolve it
    dns["shop.example.com"] = ["10.0.0.9"]
    Scenario(
        name="S",
        slug="s",
        url="https://shop.example.com/",
        dns_overrides={"shop.example.com": "93.184.216.34"},
        frequency_minutes=5,
    ).full_clean()


def test_the_allowed_networks_and_hosts_let_internal_destinations_through(settings: Any) -> None:
    settings.PERFITE_ALLOWED_NETWORKS = ["10.0.0.0/8"]
    settings.PERFITE_ALLOWED_HOSTS = ["*.example.localhost:8123"]
    Scenario(name="S", slug="s", url="http://10.1.2.3/", frequency_minutes=5).full_clean()
    Scenario(
        name="S", slug="s", url="http://www.example.localhost:8123/", frequency_minutes=5
    ).full_clean()
    assert refusals(url="http://www.example.localhost:5432/") == {
        "url": [
            "http://www.example.localhost:5432/ resolves to 127.0.0.1, a loopback address; "
            "allow it with PERFITE_ALLOWED_NETWORKS=127.0.0.0/8 or "
            "PERFITE_ALLOWED_HOSTS=www.example.localhost"
        ]
    }


ADMIN_FORM = {
    "name": "Probe",
    "slug": "probe",
    "script_format": "url",
    "script": "",
    "first_party": "[]",
    "block": "[]",
    "budgets": "{}",
    "secret_names": "[]",
    "frequency_minutes": "15",
    "cron": "",
    "jitter_seconds": "0",
    "profile": "native",
    "browser": "chromium",
}


def test_the_admin_refuses_internal_destinations_on_their_fields(
    public_only: None, admin_client: Client
) -> None:
    response = admin_client.post(
        "/admin/scenarios/scenario/add/",
        {
            **ADMIN_FORM,
            "url": "http://127.0.0.1:5432/",
            "dns_overrides": '{"metadata.example.com": "169.254.169.254"}',
        },
    )

    assert response.status_code == 200  # the form again, with its errors
    assert not Scenario.objects.exists()
    errors = response.context["adminform"].form.errors
    assert errors == {"url": [LOOPBACK_5432], "dns_overrides": [METADATA_OVERRIDE]}
    assert f"<li>{LOOPBACK_5432}</li>" in response.content.decode()


def test_start_allows_the_demo_sites_host_names_on_its_port_and_no_more(settings: Any) -> None:
    settings.PERFITE_ALLOWED_NETWORKS = []
    settings.PERFITE_ALLOWED_HOSTS = ["*.lab.example"]
    env: dict[str, str] = {}
    allow_demo_site(env, 8123)

    assert env == {
        "PERFITE_ALLOWED_HOSTS": "*.lab.example,www.example.localhost:8123,"
        "static.example.localhost:8123,ads.other.localhost:8123,beacon.tracker.localhost:8123"
    }
    Scenario(
        name="S", slug="s", url="http://www.example.localhost:8123/", frequency_minutes=5
    ).full_clean()
    assert list(refusals(url="http://localhost:8000/admin/")) == ["url"]

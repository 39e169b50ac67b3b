"""A comparison's branch and base URLs are checked against the address policy when posted."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from scenarios.models import Comparison, Location, Scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(settings: Any) -> Scenario:
    settings.PERFITE_ALLOWED_NETWORKS = []  # the default (the session allows loopback)
    s = Scenario.objects.create(name="Demo", slug="demo", url="https://8.8.8.8/", paused=True)
    s.locations.add(Location.objects.create(name="local"))
    return s


def test_internal_urls_are_refused_with_400_naming_each_field(
    scenario: Scenario, editor_client: APIClient
) -> None:
    answer = editor_client.post(
        "/api/comparisons/",
        {
            "scenario": "demo",
            "url": "http://127.0.0.1:5432/",
            "base_url": "http://[::ffff:169.254.169.254]/latest/",
            "runs": 1,
        },
        format="json",
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "url": [
            "http://127.0.0.1:5432/ resolves to 127.0.0.1, a loopback address; "
            "allow it with PERFITE_ALLOWED_NETWORKS=127.0.0.0/8"
        ],
        "base_url": [
            "http://[::ffff:169.254.169.254]/latest/ resolves to 169.254.169.254, a cloud "
            "metadata address, which no range or host name allows; allow its exact address "
            "with PERFITE_ALLOWED_NETWORKS=169.254.169.254/32"
        ],
    }
    assert not Comparison.objects.exists()


def test_a_branch_host_resolves_through_the_scenarios_dns_overrides(
    scenario: Scenario, editor_client: APIClient
) -> None:
    scenario.dns_overrides = {"preview.example.com": "10.0.0.5"}
    scenario.save()

    answer = editor_client.post(
        "/api/comparisons/",
        {"scenario": "demo", "url": "https://preview.example.com/", "base_branch": "main"},
        format="json",
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "url": [
            "https://preview.example.com/ resolves to 10.0.0.5, a private address; allow it "
            "with PERFITE_ALLOWED_NETWORKS=10.0.0.0/8 or PERFITE_ALLOWED_HOSTS=preview.example.com"
        ]
    }

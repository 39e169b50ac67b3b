"""The scenario form refuses internal destinations on the field that names them, with the
setting that would allow them; a saved override the policy now refuses is an error, not a 500."""

import re
from typing import Any

import pytest
from django.test import Client

from scenarios.models import Scenario
from tests.dashboard.test_scenario_form import form_data


@pytest.fixture(autouse=True)
def public_only(settings: Any) -> None:
    """The default policy (the test session allows loopback for the demo site)."""
    settings.PERFITE_ALLOWED_NETWORKS = []


def field_errors(html: str, field: str) -> list[str]:
    return re.findall(
        rf'<p class="field-error" id="id_{field}_error" role="alert">([^<]*)</p>', html
    )


def test_an_internal_url_is_refused_on_the_url_field(editor_client: Client) -> None:
    response = editor_client.post(
        "/scenarios/new/", form_data(url="http://127.0.0.1:5432/", dns_text="")
    )

    assert response.status_code == 400
    assert not Scenario.objects.exists()
    assert field_errors(response.content.decode(), "url") == [
        "http://127.0.0.1:5432/ resolves to 127.0.0.1, a loopback address; "
        "allow it with PERFITE_ALLOWED_NETWORKS=127.0.0.0/8"
    ]


def test_a_dns_override_to_a_metadata_address_is_refused_at_its_line(
    editor_client: Client,
) -> None:
    response = editor_client.post(
        "/scenarios/new/",
        form_data(dns_text="www.example.com 93.184.216.34\nmetadata.example.com 169.254.169.254"),
    )

    assert response.status_code == 400
    assert field_errors(response.content.decode(), "dns_text") == [
        "line 2: metadata.example.com resolves to 169.254.169.254, a cloud metadata address, "
        "which no range or host name allows; allow its exact address with "
        "PERFITE_ALLOWED_NETWORKS=169.254.169.254/32"
    ]


def test_a_saved_override_the_policy_now_refuses_is_shown_on_its_field(
    editor_client: Client, scenario: Scenario
) -> None:
    Scenario.objects.filter(pk=scenario.pk).update(dns_overrides={"www.example.com": "10.0.0.1"})

    response = editor_client.post(
        "/scenarios/home/edit/", form_data(slug="home", dns_text="www.example.com nope")
    )

    # the form's own refusal of the new text, then the model's of the saved overrides
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "dns_text") == [
        "line 1: &#x27;nope&#x27; is not an IP address www.example.com resolves to 10.0.0.1, a "
        "private address; allow it with PERFITE_ALLOWED_NETWORKS=10.0.0.0/8 or "
        "PERFITE_ALLOWED_HOSTS=www.example.com"
    ]

"""Every dashboard page checks the user's role: anonymous → login, viewer → read only."""

from urllib.parse import urlencode

import pytest
from django.test import Client

from scenarios.models import Run, Scenario

from .conftest import client_for

READ_PAGES = [
    "/",
    "/scenarios/home/",
    "/scenarios/home/series.json?range=24h",
    "/runs/{run}/",
    "/runs/{run}/status.json",
    "/compare/?base={run}&branch={run}",
    "/scenarios/home/load/",
]
EDIT_PAGES = ["/scenarios/new/", "/scenarios/home/edit/"]
EDIT_ACTIONS = ["/scenarios/home/try/", "/scenarios/home/run-now/", "/scenarios/home/pause/"]


@pytest.fixture
def run(make_run) -> Run:  # type: ignore[no-untyped-def]
    return make_run()


@pytest.mark.parametrize("url", READ_PAGES + EDIT_PAGES + ["/account/tokens/"])
def test_anonymous_users_are_sent_to_login(url: str, run: Run) -> None:
    path = url.format(run=run.pk)
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?" + urlencode({"next": path}, safe="/")


@pytest.mark.parametrize("url", READ_PAGES)
def test_viewers_read_every_page(url: str, run: Run, viewer_client: Client) -> None:
    assert viewer_client.get(url.format(run=run.pk)).status_code == 200


@pytest.mark.parametrize("url", EDIT_PAGES)
def test_viewers_cannot_open_edit_forms(
    url: str, viewer_client: Client, scenario: Scenario
) -> None:
    assert viewer_client.get(url).status_code == 403


@pytest.mark.parametrize("url", EDIT_ACTIONS)
def test_viewers_cannot_run_try_or_pause_scenarios(
    url: str, viewer_client: Client, scenario: Scenario
) -> None:
    assert viewer_client.post(url).status_code == 403
    assert Run.objects.count() == 0
    assert Scenario.objects.get(pk=scenario.pk).paused is False


def test_viewers_cannot_change_a_scenario_by_posting(
    viewer_client: Client, scenario: Scenario
) -> None:
    response = viewer_client.post(
        "/scenarios/home/edit/", {"name": "Hacked", "slug": "home", "url": "http://x.com/"}
    )

    assert response.status_code == 403
    assert Scenario.objects.get(slug="home").name == "Home"


@pytest.mark.parametrize("url", EDIT_PAGES)
def test_editors_open_edit_forms(url: str, editor_client: Client, scenario: Scenario) -> None:
    assert editor_client.get(url).status_code == 200


@pytest.mark.parametrize("url", READ_PAGES)
def test_users_without_a_role_are_refused(url: str, run: Run, no_role) -> None:  # type: ignore[no-untyped-def]
    assert client_for(no_role).get(url.format(run=run.pk)).status_code == 403


def test_admins_edit_without_a_group(admin_user, scenario: Scenario) -> None:  # type: ignore[no-untyped-def]
    assert client_for(admin_user).get("/scenarios/home/edit/").status_code == 200


def test_the_list_offers_new_scenario_to_editors_only(
    viewer_client: Client, editor_client: Client, scenario: Scenario
) -> None:
    assert b'href="/scenarios/new/"' not in viewer_client.get("/").content
    assert b'href="/scenarios/new/"' in editor_client.get("/").content


def test_run_now_queues_one_run_per_location_for_editors(
    editor_client: Client, scenario: Scenario
) -> None:
    response = editor_client.post("/scenarios/home/run-now/")

    assert response.status_code == 302
    assert response["Location"] == "/scenarios/home/"
    assert list(Run.objects.values_list("kind", "status", "location__name")) == [
        ("manual", "queued", "local")
    ]


def test_the_har_download_needs_a_role(run: Run, no_role, viewer_client: Client) -> None:  # type: ignore[no-untyped-def]
    assert client_for(no_role).get(f"/runs/{run.pk}/har/").status_code == 403
    assert viewer_client.get(f"/runs/{run.pk}/har/").status_code == 404  # no HAR stored


def test_the_screenshot_needs_a_role(run: Run, no_role, viewer_client: Client) -> None:  # type: ignore[no-untyped-def]
    path = f"/runs/{run.pk}/screenshot/"
    assert Client().get(path).status_code == 302
    assert client_for(no_role).get(path).status_code == 403
    assert viewer_client.get(path).status_code == 404  # no screenshot stored


def test_editors_pause_and_resume_a_scenario(editor_client: Client, scenario: Scenario) -> None:
    editor_client.post("/scenarios/home/pause/", {"action": "pause"})
    assert Scenario.objects.get(pk=scenario.pk).paused is True

    response = editor_client.post("/scenarios/home/pause/", {"action": "resume"})

    resumed = Scenario.objects.get(pk=scenario.pk)
    assert (resumed.paused, resumed.next_due_at is not None) == (False, True)
    assert response["Location"] == "/scenarios/home/"

"""scenarios.roles: one definition of roles, the same answer from the dashboard and the API."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scenarios.models import Comparison, Location, Release, Run, Scenario
from scenarios.roles import EDIT_PERMS, VIEW_PERMS, can_edit, can_view, is_admin
from scenarios.runs.store import store_result
from tests.factories import home_run
from tests.roles import role

MakeUser = Callable[..., User]


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db: None) -> MakeUser:
    """A user in role group ``group``, or holding ``perms`` directly, or with ``flags``."""

    def make(
        name: str, group: str | None = None, perms: tuple[str, ...] = (), **flags: Any
    ) -> User:
        user = User.objects.create_user(name, password="pw-" + name, **flags)
        if group:
            user.groups.add(role(group))
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return User.objects.get(pk=user.pk)  # fresh: permissions are cached on the instance

    return make


@pytest.fixture
def run(db: None) -> Run:
    scenario = Scenario.objects.create(
        name="Demo", slug="demo", url="http://www.example.localhost/", paused=True
    )
    location = Location.objects.create(name="local")
    scenario.locations.add(location)
    run = Run.objects.create(scenario=scenario, location=location, kind=Run.KIND_CI)
    store_result(run.pk, *home_run(100.0))
    return run


def api(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ({}, (False, False, False)),
        ({"group": "viewer"}, (True, False, False)),
        ({"group": "editor"}, (True, True, False)),
        ({"perms": VIEW_PERMS}, (True, False, False)),
        ({"perms": EDIT_PERMS}, (True, True, False)),
        ({"perms": EDIT_PERMS[:2]}, (False, False, False)),
        ({"is_staff": True}, (True, True, True)),
        ({"is_superuser": True}, (True, True, True)),
        ({"is_staff": True, "is_active": False}, (False, False, False)),
    ],
)
def test_a_role_is_the_permissions_a_user_holds(
    who: dict[str, Any], expected: tuple[bool, bool, bool], make_user: MakeUser
) -> None:
    user = make_user("someone", **who)

    assert (can_view(user), can_edit(user), is_admin(user)) == expected


def test_anonymous_users_have_no_role() -> None:
    anonymous = AnonymousUser()

    assert (can_view(anonymous), can_edit(anonymous)) == (False, False)


@pytest.mark.parametrize(
    "path",
    [
        "/api/scenarios/",
        "/api/runs/",
        "/api/runs/{run}/",
        "/api/runs/{run}/har/",
        "/api/runs/csv/",
        "/api/comparisons/",
        "/api/releases/",
        "/api/incidents/",
        "/api/thresholds/",
        "/api/scenarios/demo/correlation/",
    ],
)
def test_the_api_refuses_users_without_a_role_and_serves_viewers(
    path: str, run: Run, make_user: MakeUser
) -> None:
    url = path.format(run=run.pk)

    refused = api(make_user("nobody")).get(url)
    served = api(make_user("vera", group="viewer")).get(url)

    assert (refused.status_code, served.status_code) == (403, 200)


def test_a_viewer_downloads_the_har_a_user_without_a_role_cannot(
    run: Run, make_user: MakeUser
) -> None:
    refused = api(make_user("nobody")).get(f"/api/runs/{run.pk}/har/")
    served = api(make_user("vera", group="viewer")).get(f"/api/runs/{run.pk}/har/")

    assert refused.status_code == 403
    assert (served.status_code, served["Content-Type"]) == (200, "application/gzip")


def test_editor_permissions_held_directly_start_a_comparison(run: Run, make_user: MakeUser) -> None:
    client = api(make_user("eddie", perms=EDIT_PERMS))

    created = client.post(
        "/api/comparisons/",
        {"scenario": "demo", "base_url": "http://www.example.localhost/?base=1"},
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert list(Comparison.objects.values_list("created_by__username", flat=True)) == ["eddie"]


def test_editors_write_and_viewers_are_refused_through_the_api(
    run: Run, make_user: MakeUser
) -> None:
    refused = api(make_user("vera", group="viewer")).post(
        "/api/releases/", {"name": "v1"}, format="json"
    )
    created = api(make_user("eddie", group="editor")).post(
        "/api/releases/", {"name": "v2"}, format="json"
    )

    assert (refused.status_code, created.status_code) == (403, 201)
    assert list(Release.objects.values_list("name", flat=True)) == ["v2"]


def test_editor_permissions_held_directly_open_the_dashboard_form(make_user: MakeUser) -> None:
    client = Client()
    client.force_login(make_user("eddie", perms=EDIT_PERMS))

    assert client.get("/scenarios/new/").status_code == 200


def test_a_user_without_a_role_cannot_create_an_api_token(make_user: MakeUser) -> None:
    client = Client()
    client.force_login(make_user("nobody"))

    created = client.post("/account/tokens/", {"action": "create"})

    assert (created.status_code, client.get("/account/tokens/").status_code) == (403, 403)
    assert Token.objects.count() == 0


def test_new_scenario_is_offered_only_to_users_who_may_create_one(
    run: Run, make_user: MakeUser
) -> None:
    half_editor = Client()
    half_editor.force_login(make_user("hal", group="viewer", perms=("scenarios.add_scenario",)))
    editor = Client()
    editor.force_login(make_user("eddie", perms=EDIT_PERMS))

    assert b'href="/scenarios/new/"' not in half_editor.get("/").content
    assert b'href="/scenarios/new/"' in editor.get("/").content


def test_viewers_read_a_script_without_its_credentials_and_editors_as_written(
    make_user: MakeUser,
) -> None:
    script = (
        '- set_header: {name: X-Custom-Token, value: "CUSTOMSECRET"}\n'
        "- set_header: {name: X-Tenant, value: TENANTSECRET}\n"
        "- navigate: /\n"
    )
    scenario = Scenario(
        name="Private",
        slug="private",
        url="http://www.example.localhost/",
        script_format=Scenario.FORMAT_YAML,
        script=script,
        secret_names=["x-tenant"],
        paused=True,
    )
    scenario.full_clean()
    scenario.save()
    seen = api(make_user("v", group="viewer")).get("/api/scenarios/private/").json()["script"]
    assert "CUSTOMSECRET" not in seen and "TENANTSECRET" not in seen
    assert "X-Custom-Token" in seen
    assert (
        api(make_user("e", group="editor")).get("/api/scenarios/private/").json()["script"]
        == script
    )

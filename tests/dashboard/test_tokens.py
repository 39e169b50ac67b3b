"""The API token page: create (shown once), replace, revoke; each user sees only theirs."""

from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token


def test_creating_a_token_shows_its_key_once(viewer_client: Client, viewer: User) -> None:
    response = viewer_client.post("/account/tokens/", {"action": "create"}, follow=True)

    key = Token.objects.get(user=viewer).key
    assert f'value="{key}"' in response.content.decode()
    assert f'value="{key}"' not in viewer_client.get("/account/tokens/").content.decode()
    assert f"<code>{key[:6]}…</code>" in viewer_client.get("/account/tokens/").content.decode()


def test_replacing_a_token_invalidates_the_old_key(viewer_client: Client, viewer: User) -> None:
    viewer_client.post("/account/tokens/", {"action": "create"})
    old = Token.objects.get(user=viewer).key

    viewer_client.post("/account/tokens/", {"action": "create"})

    assert Token.objects.filter(user=viewer).count() == 1
    assert Token.objects.get(user=viewer).key != old


def test_revoking_deletes_only_my_token(viewer_client: Client, viewer: User, editor: User) -> None:
    Token.objects.create(user=viewer)
    theirs = Token.objects.create(user=editor)

    response = viewer_client.post("/account/tokens/", {"action": "revoke"}, follow=True)

    assert list(Token.objects.all()) == [theirs]
    assert "You have no API token." in response.content.decode()


def test_the_token_authenticates_api_requests(viewer_client: Client, viewer: User) -> None:
    viewer_client.post("/account/tokens/", {"action": "create"})
    key = Token.objects.get(user=viewer).key

    anonymous = Client().get("/api/scenarios/")
    with_token = Client().get("/api/scenarios/", HTTP_AUTHORIZATION=f"Token {key}")

    assert anonymous.status_code == 401
    assert with_token.status_code == 200

"""The user's API token: create (or replace) and revoke.

Uses DRF's ``authtoken`` (one token per user, sent as ``Authorization: Token <key>``).
The key is shown once, right after it is created; afterwards only its first characters.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from rest_framework.authtoken.models import Token

from scenarios.roles import viewer_required

SHOWN_KEY = "dashboard_new_token"


@viewer_required
def tokens(request: HttpRequest) -> HttpResponse:
    """GET: the token's state. POST ``action=create``: a new key (replacing any old one);
    POST ``action=revoke``: delete the key. Each user manages only their own, and only with a
    role (a token would give a user without one nothing but 403s from the API)."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            Token.objects.filter(user=request.user).delete()
            token = Token.objects.create(user=request.user)
            request.session[SHOWN_KEY] = token.key
            messages.success(request, "New API token created. Copy it now: it is shown once.")
        elif action == "revoke":
            deleted, _ = Token.objects.filter(user=request.user).delete()
            if deleted:
                messages.success(request, "API token revoked.")
        return redirect("dashboard:tokens")
    token = Token.objects.filter(user=request.user).first()
    return render(
        request,
        "dashboard/tokens.html",
        {
            "token": token,
            "new_key": request.session.pop(SHOWN_KEY, None),
        },
    )

"""Where measurements run: locations and the agents serving them."""

import hashlib
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TypeGuard

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.browsers import BROWSERS
from core.browsers import DEFAULT as DEFAULT_BROWSER
from core.queues import run_queue

BROWSER_VERSION_LENGTH = 100


def _stale_before() -> datetime:
    return timezone.now() - timedelta(seconds=settings.PERFITE_AGENT_STALE_AFTER_S)


def served(browsers: Mapping[str, str] | None) -> set[str]:
    """The browsers an agent that announced ``browsers`` serves. None (it never announced
    any: an agent from before browsers were chosen, which consumes Chromium's queue only)
    serves Chromium."""
    return {DEFAULT_BROWSER} if browsers is None else set(browsers)


def live_browsers() -> dict[int, set[str]]:
    """Per location id, the browsers its live agents serve; a location with no live agent
    is missing. One query, for a dispatch tick."""
    live: dict[int, set[str]] = {}
    rows = Agent.objects.filter(last_seen__gte=_stale_before()).values_list(
        "location_id", "browsers"
    )
    for location_id, browsers in rows:
        live.setdefault(location_id, set()).update(served(browsers))
    return live


class Location(models.Model):
    """A named place agents measure from; its agents consume the queues of ``core.queues``
    (``agents.<name>`` for Chromium, ``agents.<name>.<browser>`` for the others)."""

    name = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100, blank=True)
    load_hosts = models.JSONField(
        default=list,
        blank=True,
        help_text="Host names or globs (*.example.com) this location's agents may load-test, "
        "besides PERFITE_LOAD_ALLOWED_HOSTS (README, Load tests). A load test can hurt a site: "
        "list only hosts whose owners agreed.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name

    @property
    def queue(self) -> str:
        """The queue of this location's Chromium runs."""
        return run_queue(self.name)

    def live_agents(self, browser: str | None = None) -> models.QuerySet["Agent"]:
        """Its agents seen within PERFITE_AGENT_STALE_AFTER_S, only those serving ``browser``
        when given."""
        agents = self.agents.filter(last_seen__gte=_stale_before())
        if browser is None:
            return agents
        serving = models.Q(browsers__has_key=browser)
        if browser == DEFAULT_BROWSER:
            serving |= models.Q(browsers__isnull=True)  # see served()
        return agents.filter(serving)

    def load_capacity(self, browser: str) -> dict[str, int]:
        """The virtual users each live agent serving ``browser`` here holds in a load test
        (agent name → its announced ``load_users``; agents that hold none are left out)."""
        rows = self.live_agents(browser).filter(load_users__gt=0).values_list("name", "load_users")
        return dict(rows)

    @property
    def has_live_agent(self) -> bool:
        return self.live_agents().exists()

    def unstaffed(self, browser: str, live: Mapping[int, set[str]] | None = None) -> str:
        """Why runs in ``browser`` would only wait here, "" when a live agent serves it: the
        flag of such a run (``no live agent in location <name>``, or ``no live agent in <name>
        has <browser>`` when its live agents all lack that browser). ``live`` is a dispatch
        tick's :func:`live_browsers`; without it the database is asked."""
        if live is not None:
            browsers = live.get(self.pk)
            if browsers is None:
                return f"no live agent in location {self.name}"
            return "" if browser in browsers else f"no live agent in {self.name} has {browser}"
        if self.live_agents(browser).exists():
            return ""
        if self.has_live_agent:
            return f"no live agent in {self.name} has {browser}"
        return f"no live agent in location {self.name}"


MAX_CONCURRENCY = 1000  # runs at once on one agent; far beyond what one machine measures well
MAX_LOAD_USERS = 1000  # virtual users at once on one agent; likewise


def _whole(value: object, least: int, most: int) -> TypeGuard[int]:
    """Whether ``value`` is a whole number (not a bool) from ``least`` to ``most``."""
    return isinstance(value, int) and not isinstance(value, bool) and least <= value <= most


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Agent(models.Model):
    """A measuring worker. Remote agents authenticate deliveries with their token."""

    name = models.CharField(max_length=200, unique=True)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="agents")
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    version = models.CharField(max_length=50, blank=True)
    browser_version = models.CharField(
        max_length=BROWSER_VERSION_LENGTH, blank=True, help_text="Chromium's version"
    )
    browsers = models.JSONField(
        null=True,
        blank=True,
        help_text="The browsers it serves, name → version, as its heartbeat announced them; "
        "empty when it never did (an agent from before browsers were chosen: Chromium only)",
    )
    concurrency = models.PositiveIntegerField(default=1)
    load_users = models.PositiveIntegerField(
        default=0,
        help_text="The virtual users it holds at once in a load test, as its heartbeat "
        "announced (PERFITE_AGENT_LOAD_USERS); 0 takes no part in load tests",
    )
    revoked = models.BooleanField(default=False)

    class Meta:
        ordering = ["location__name", "name"]

    def __str__(self) -> str:
        return self.name

    def issue_token(self) -> str:
        """Set a new token, save, and return it; only its hash is stored."""
        token = "pfa_" + secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        self.save(update_fields=["token_hash"])
        return token

    @classmethod
    def for_token(cls, token: str) -> "Agent | None":
        if not token:
            return None
        return cls.objects.filter(token_hash=hash_token(token), revoked=False).first()

    def record_heartbeat(self, info: dict[str, object]) -> None:
        """Mark the agent seen now, keeping the version details and browsers it reported.

        Versions are cut to their columns' length (NUL characters dropped: no database
        stores them). ``browsers`` (name → version) replaces the stored ones when given;
        names Perfite does not know (a newer agent's) are left out. Raises ValueError, saving
        nothing, when ``concurrency`` is given but is not a whole number from 1 to
        MAX_CONCURRENCY, ``load_users`` is given but is not one from 0 to MAX_LOAD_USERS, or
        ``browsers`` is given but is not an object of text → text.
        """
        concurrency = info.get("concurrency")
        if concurrency is not None and not _whole(concurrency, 1, MAX_CONCURRENCY):
            raise ValueError(f"concurrency must be a whole number from 1 to {MAX_CONCURRENCY}")
        load_users = info.get("load_users")
        if load_users is not None and not _whole(load_users, 0, MAX_LOAD_USERS):
            raise ValueError(f"load_users must be a whole number from 0 to {MAX_LOAD_USERS}")
        browsers = info.get("browsers")
        if browsers is not None and (
            not isinstance(browsers, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in browsers.items())
        ):
            raise ValueError("browsers must be an object of browser name → version")
        self.last_seen = timezone.now()
        fields = ["last_seen"]
        if browsers is not None:
            self.browsers = {
                name: version.replace("\x00", "")[:BROWSER_VERSION_LENGTH]
                for name, version in browsers.items()
                if name in BROWSERS
            }
            fields.append("browsers")
        for key in ("version", "browser_version"):
            value = info.get(key)
            if isinstance(value, str):
                length = getattr(self._meta.get_field(key), "max_length", None)
                setattr(self, key, value.replace("\x00", "")[:length])
                fields.append(key)
        if concurrency is not None:
            self.concurrency = concurrency
            fields.append("concurrency")
        if load_users is not None:
            self.load_users = load_users
            fields.append("load_users")
        self.save(update_fields=fields)

    @property
    def served_browsers(self) -> set[str]:
        """The browsers whose runs come to this agent (see served())."""
        return served(self.browsers)

    def serves(self, browser: str) -> bool:
        """Whether runs in ``browser`` come to this agent."""
        return browser in self.served_browsers

    @property
    def is_live(self) -> bool:
        if self.last_seen is None:
            return False
        age = (timezone.now() - self.last_seen).total_seconds()
        return age <= settings.PERFITE_AGENT_STALE_AFTER_S

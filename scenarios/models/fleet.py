"""Where measurements run: locations and the agents serving them."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class Location(models.Model):
    """A named place agents measure from; its agents consume queue ``agents.<name>``."""

    name = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name

    @property
    def queue(self) -> str:
        return f"agents.{self.name}"

    def live_agents(self) -> models.QuerySet["Agent"]:
        cutoff = timezone.now() - timedelta(seconds=settings.PERFITE_AGENT_STALE_AFTER_S)
        return self.agents.filter(last_seen__gte=cutoff)

    @property
    def has_live_agent(self) -> bool:
        return self.live_agents().exists()


MAX_CONCURRENCY = 1000  # runs at once on one agent; far beyond what one machine measures well


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Agent(models.Model):
    """A measuring worker. Remote agents authenticate deliveries with their token."""

    name = models.CharField(max_length=200, unique=True)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="agents")
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    version = models.CharField(max_length=50, blank=True)
    browser_version = models.CharField(max_length=100, blank=True)
    concurrency = models.PositiveIntegerField(default=1)
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
        """Mark the agent seen now, keeping the version details it reported.

        Versions are cut to their columns' length (NUL characters dropped: no database
        stores them). Raises ValueError, saving nothing, when ``concurrency`` is given but is
        not a whole number from 1 to MAX_CONCURRENCY.
        """
        concurrency = info.get("concurrency")
        if concurrency is not None and (
            isinstance(concurrency, bool)
            or not isinstance(concurrency, int)
            or not 1 <= concurrency <= MAX_CONCURRENCY
        ):
            raise ValueError(f"concurrency must be a whole number from 1 to {MAX_CONCURRENCY}")
        self.last_seen = timezone.now()
        fields = ["last_seen"]
        for key in ("version", "browser_version"):
            value = info.get(key)
            if isinstance(value, str):
                length = getattr(self._meta.get_field(key), "max_length", None)
                setattr(self, key, value.replace("\x00", "")[:length])
                fields.append(key)
        if concurrency is not None:
            self.concurrency = concurrency
            fields.append("concurrency")
        self.save(update_fields=fields)

    @property
    def is_live(self) -> bool:
        if self.last_seen is None:
            return False
        age = (timezone.now() - self.last_seen).total_seconds()
        return age <= settings.PERFITE_AGENT_STALE_AFTER_S

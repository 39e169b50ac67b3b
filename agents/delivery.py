"""How an agent talks to the server: directly (same machine) or over HTTPS with its token.

Both sides offer the same calls: claim a run (get its spec), deliver its result, HAR, final
screenshot and filmstrip, report a heartbeat; and for load tests, claim a share of a stage
and report its iterations (each answer says whether to start or stop). Delivery is
idempotent on the server, so a retry is always safe.
"""

import gzip
import json
from typing import Any, Protocol

import requests
from django.conf import settings


class DeliveryError(RuntimeError):
    """The server could not be reached or failed (5xx, bad credentials); worth a retry."""


class DeliveryRefused(DeliveryError):
    """The server refused the delivery for good (4xx): sending it again cannot help."""


class NotYourShare(DeliveryError):
    """The share of a load test belongs to another agent of the location: send its task back
    to the queue, for that agent."""


class Delivery(Protocol):
    def claim(self, run_id: int, agent_name: str) -> dict[str, Any] | None: ...
    def deliver(
        self,
        run_id: int,
        result: dict[str, Any],
        har: dict[str, Any] | None,
        agent_name: str,
        screenshot: bytes | None = None,
        filmstrip: bytes | None = None,
    ) -> None: ...
    def heartbeat(self, agent_name: str, location: str, info: dict[str, Any]) -> None: ...
    def claim_share(self, share_id: int, agent_name: str) -> dict[str, Any] | None: ...
    def report_share(
        self, share_id: int, agent_name: str, report: dict[str, Any]
    ) -> dict[str, Any]: ...


class LocalDelivery:
    """For workers on the server machine: call the ingest services in-process."""

    def claim(self, run_id: int, agent_name: str) -> dict[str, Any] | None:
        from scenarios.models.run import claim_run

        return claim_run(run_id, agent_name)

    def deliver(
        self,
        run_id: int,
        result: dict[str, Any],
        har: dict[str, Any] | None,
        agent_name: str,
        screenshot: bytes | None = None,
        filmstrip: bytes | None = None,
    ) -> None:
        from django.db import DatabaseError

        from core.har.files import HarError
        from core.result.validate import ResultError
        from scenarios.runs.store import store_result

        try:
            store_result(
                run_id,
                result,
                har,
                agent_name=agent_name,
                screenshot=screenshot,
                filmstrip=filmstrip,
            )
        except (ResultError, HarError) as exc:
            raise DeliveryRefused(f"delivery refused: {exc}") from exc
        except DatabaseError as exc:
            raise DeliveryError(f"database unavailable: {exc}") from exc

    def heartbeat(self, agent_name: str, location: str, info: dict[str, Any]) -> None:
        from scenarios.models import Agent, Location

        loc, _ = Location.objects.get_or_create(name=location)
        agent, _ = Agent.objects.get_or_create(name=agent_name, defaults={"location": loc})
        if agent.location_id != loc.pk:
            agent.location = loc
            agent.save(update_fields=["location"])
        agent.record_heartbeat(info)

    def claim_share(self, share_id: int, agent_name: str) -> dict[str, Any] | None:
        """The share's work (scenarios.load.shares.claim_share); None when there is none.
        Raises NotYourShare."""
        from scenarios.load.shares import ShareElsewhere, claim_share

        try:
            return claim_share(share_id, agent_name)
        except ShareElsewhere as exc:
            raise NotYourShare(str(exc)) from exc

    def report_share(
        self, share_id: int, agent_name: str, report: dict[str, Any]
    ) -> dict[str, Any]:
        """Record ``report`` (scenarios.load.shares.record_report); the server's answer."""
        from django.db import DatabaseError

        from scenarios.load.shares import ReportRefused, record_report

        try:
            return record_report(share_id, agent_name, report)
        except ReportRefused as exc:
            raise DeliveryRefused(f"report refused: {exc}") from exc
        except DatabaseError as exc:
            raise DeliveryError(f"database unavailable: {exc}") from exc


class HttpDelivery:
    """For remote agents: HTTPS to the server's ingest endpoints with the agent token."""

    def __init__(self, server_url: str, token: str, timeout: float = 30.0) -> None:
        self.base = server_url.rstrip("/") + "/api/ingest"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout

    def _post(self, path: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.post(self.base + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise DeliveryError(f"server unreachable: {exc}") from exc
        if response.status_code >= 500 or response.status_code in (401, 403):
            raise DeliveryError(f"server answered {response.status_code}: {response.text[:200]}")
        return response

    def claim(self, run_id: int, agent_name: str) -> dict[str, Any] | None:
        response = self._post(f"/runs/{run_id}/claim/")
        if response.status_code in (404, 409):
            return None
        return dict(response.json())

    def deliver(
        self,
        run_id: int,
        result: dict[str, Any],
        har: dict[str, Any] | None,
        agent_name: str,
        screenshot: bytes | None = None,
        filmstrip: bytes | None = None,
    ) -> None:
        files = {}
        if har is not None:
            files["har"] = (
                "run.har.gz",
                gzip.compress(json.dumps(har).encode()),
                "application/gzip",
            )
        if screenshot is not None:
            files["screenshot"] = ("screenshot.jpg", screenshot, "image/jpeg")
        if filmstrip is not None:
            files["filmstrip"] = ("filmstrip.zip", filmstrip, "application/zip")
        response = self._post(f"/runs/{run_id}/", data={"result": json.dumps(result)}, files=files)
        if response.status_code >= 400:
            raise DeliveryRefused(
                f"delivery refused ({response.status_code}): {response.text[:200]}"
            )

    def heartbeat(self, agent_name: str, location: str, info: dict[str, Any]) -> None:
        self._post("/heartbeat/", json=info)

    def claim_share(self, share_id: int, agent_name: str) -> dict[str, Any] | None:
        response = self._post(f"/load/shares/{share_id}/claim/")
        if response.status_code == 409:
            raise NotYourShare(response.text[:200])
        if response.status_code in (404, 410):
            return None
        if response.status_code >= 400:
            raise DeliveryRefused(f"claim refused ({response.status_code}): {response.text[:200]}")
        return dict(response.json())

    def report_share(
        self, share_id: int, agent_name: str, report: dict[str, Any]
    ) -> dict[str, Any]:
        response = self._post(f"/load/shares/{share_id}/report/", json=report)
        if response.status_code >= 400:
            raise DeliveryRefused(f"report refused ({response.status_code}): {response.text[:200]}")
        return dict(response.json())


def default_delivery() -> Delivery:
    if settings.PERFITE_SERVER_URL:
        return HttpDelivery(settings.PERFITE_SERVER_URL, settings.PERFITE_AGENT_TOKEN)
    return LocalDelivery()

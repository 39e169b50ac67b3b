"""The server's check of where a measurement may go, when a scenario or a comparison is saved.

The rules are core.netpolicy's, with this server's ``PERFITE_ALLOWED_NETWORKS`` and
``PERFITE_ALLOWED_HOSTS``; this module adds the one thing a pure module cannot do: resolve a
name, with a short timeout. A name that does not resolve in time is allowed here: the agent
resolves it again, and checks every connection, when it measures.
"""

import socket
import threading
from collections.abc import Mapping

from django.conf import settings

from core.netpolicy import AddressPolicy, check_override, check_url

RESOLVE_TIMEOUT_S = 2.0


def resolve(host: str, timeout: float = RESOLVE_TIMEOUT_S) -> list[str] | None:
    """The addresses ``host`` has now, in the system resolver's order; None when it does not
    resolve within ``timeout`` seconds. The lookup runs in a daemon thread, since getaddrinfo
    cannot be interrupted: a stuck one is left to finish on its own."""
    found: list[list[str] | None] = [None]

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return
        found[0] = list(dict.fromkeys(str(info[4][0]) for info in infos))

    thread = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    return found[0]


def policy() -> AddressPolicy:
    """This server's address policy (read from the settings on every call: it is cheap)."""
    return AddressPolicy.from_settings(settings)


def url_refusal(url: str, dns: Mapping[str, str] | None = None) -> str | None:
    """None when ``url`` may be measured; else why not (core.netpolicy.check_url). A host
    in ``dns`` (the scenario's DNS map: host → address) resolves to its address there, as the
    agent will resolve it; any other name by the system resolver."""
    overrides = {host.lower(): address for host, address in (dns or {}).items()}

    def lookup(host: str) -> list[str] | None:
        return [overrides[host]] if host in overrides else resolve(host)

    return check_url(policy(), url, lookup)


def override_refusal(host: str, address: str) -> str | None:
    """None when a DNS override may send ``host`` to ``address``; else why not."""
    return check_override(policy(), host, address)

"""Which destinations measurements may reach: the address policy against internal probing.

By default a measurement may reach public addresses only. ``PERFITE_ALLOWED_NETWORKS``
(CIDRs) adds address ranges and ``PERFITE_ALLOWED_HOSTS`` (host names or globs, optionally
``:port``) adds names allowed whatever they resolve to. Link-local and cloud-metadata
addresses (``METADATA_ADDRESSES``) are the exception: only an entry of
``PERFITE_ALLOWED_NETWORKS`` naming that exact address allows one, never a range nor a host
name. ``PERFITE_ALLOWED_NETWORKS=*`` turns the policy off (everything, metadata included).

IPv4-mapped IPv6 addresses (``::ffff:a.b.c.d``) and NAT64 ones (``64:ff9b::a.b.c.d``) are
checked as the IPv4 address they carry.

The same policy is checked twice: when a scenario, a comparison or a DNS override is saved
(:func:`check_url`, :func:`check_override`; a name that does not resolve then is allowed, and
checked again at run time) and by the agent for every connection, after resolution
(:func:`check_connect`). Every check returns None when allowed, else the reason, which names
the setting that would allow it.

Pure: no Django, no I/O. Name resolution is the caller's (``resolve`` in :func:`check_url`);
``localhost`` and ``*.localhost`` names resolve to loopback here, as Chromium resolves them.
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Protocol
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_ALL = "*"
NETWORKS_SETTING = "PERFITE_ALLOWED_NETWORKS"
HOSTS_SETTING = "PERFITE_ALLOWED_HOSTS"
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

# Instance-metadata and platform services of the main clouds: they hand out credentials to
# whoever asks from the machine. Some are link-local, some are not (AWS's IPv6 one is a
# unique-local address, Alibaba's is in the shared range, Azure's wire server is public).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(address)
    for address in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle ...
        "169.254.170.2",  # AWS ECS task metadata and credentials
        "169.254.169.253",  # AWS VPC DNS
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::253",  # AWS VPC DNS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server
        "192.0.0.192",  # Oracle Cloud (classic)
    )
)

_RFC1918 = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOCALHOST = (ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._*?")


class PolicyError(ValueError):
    """A setting of the policy is malformed; the message names the setting and the entry."""


@dataclass(frozen=True)
class Kind:
    """Why an address is not public: ``label`` for messages ("a loopback address"), the
    network to suggest allowing, and whether only its exact address may allow it."""

    label: str
    hint: Network
    exact_only: bool = False


def _exact(address: Address) -> Network:
    return ipaddress.ip_network(address)


def unwrap(address: Address) -> Address:
    """The IPv4 address an IPv4-mapped or NAT64 IPv6 address carries; else ``address``."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def classify(address: Address) -> Kind | None:
    """None for a public address; else what kind of non-public address it is."""
    address = unwrap(address)
    if address in METADATA_ADDRESSES:
        return Kind("a cloud metadata address", _exact(address), exact_only=True)
    if address.is_unspecified:
        return Kind("an unspecified address", _exact(address))
    if address.is_loopback:
        return Kind("a loopback address", _LOOPBACK_V4 if address.version == 4 else _exact(address))
    if address.is_link_local:
        return Kind("a link-local address", _exact(address), exact_only=True)
    if address.is_multicast:
        return Kind("a multicast address", _exact(address))
    if isinstance(address, ipaddress.IPv4Address):
        if address in _SHARED:
            return Kind("a shared (carrier-grade NAT) address", _SHARED)
        for network in _RFC1918:
            if address in network:
                return Kind("a private address", network)
    elif address in _UNIQUE_LOCAL:
        return Kind("a private (unique local) address", _UNIQUE_LOCAL)
    elif address in _SITE_LOCAL:
        return Kind("a site-local address", _SITE_LOCAL)
    if address.is_reserved:
        return Kind("a reserved address", _exact(address))
    if not address.is_global:
        return Kind("a non-public address", _exact(address))
    return None


@dataclass(frozen=True)
class HostPattern:
    """A name or glob (``*.intranet.example``), for any port or only ``port``."""

    glob: str
    port: int | None = None

    @classmethod
    def parse(cls, entry: str) -> "HostPattern":
        """``entry`` is ``name``, ``glob`` or either with ``:port``. Raises PolicyError."""
        text = entry.strip().lower().rstrip(".")
        name, colon, port = text.rpartition(":")
        if not colon:
            name, port = text, ""
        if not name or not set(name) <= _HOST_CHARS or (colon and not port.isdigit()):
            raise PolicyError(
                f"{HOSTS_SETTING}: {entry!r} is not a host name or glob, optionally with :port"
            )
        if port and not 0 < int(port) < 65536:
            raise PolicyError(f"{HOSTS_SETTING}: {entry!r} has a port out of range")
        return cls(name, int(port) if port else None)

    def matches(self, host: str, port: int | None) -> bool:
        """Whether ``host`` (canonical, see :func:`canonical_host`) on ``port`` matches;
        ``port`` None (not known yet, e.g. a DNS override) matches any port."""
        if self.port is not None and port is not None and port != self.port:
            return False
        return fnmatchcase(host, self.glob)


class _Settings(Protocol):
    """What :meth:`AddressPolicy.from_settings` reads (``django.conf.settings`` has it)."""

    PERFITE_ALLOWED_NETWORKS: Sequence[str]
    PERFITE_ALLOWED_HOSTS: Sequence[str]


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, plus ``networks`` and ``hosts``; everything when ``allows_everything``."""

    networks: tuple[Network, ...] = ()
    hosts: tuple[HostPattern, ...] = ()
    allows_everything: bool = False

    @classmethod
    def parse(cls, networks: Iterable[str], hosts: Iterable[str] = ()) -> "AddressPolicy":
        """The policy of the two settings' entries. Raises PolicyError naming a bad entry."""
        parsed: list[Network] = []
        everything = False
        for entry in (e.strip() for e in networks):
            if entry == ALLOW_ALL:
                everything = True
                continue
            try:
                parsed.append(ipaddress.ip_network(entry))
            except ValueError as exc:
                raise PolicyError(
                    f"{NETWORKS_SETTING}: {entry!r} is not a network ({exc})"
                ) from None
        patterns = tuple(HostPattern.parse(entry) for entry in hosts if entry.strip())
        return cls(tuple(parsed), patterns, everything)

    @classmethod
    def from_settings(cls, settings: _Settings) -> "AddressPolicy":
        """The policy set by ``PERFITE_ALLOWED_NETWORKS`` and ``PERFITE_ALLOWED_HOSTS``."""
        return cls.parse(settings.PERFITE_ALLOWED_NETWORKS, settings.PERFITE_ALLOWED_HOSTS)

    def entries(self) -> tuple[list[str], list[str]]:
        """The two settings' entries that :meth:`parse` reads back into this policy."""
        networks = [str(n) for n in self.networks] + ([ALLOW_ALL] if self.allows_everything else [])
        hosts = [p.glob if p.port is None else f"{p.glob}:{p.port}" for p in self.hosts]
        return networks, hosts

    def refusal(self, subject: str, host: str, address: Address, port: int | None) -> str | None:
        """None when ``host`` (canonical: a name, or an address as written) may reach
        ``address`` on ``port`` (None: not known yet); else why not, ``subject`` naming what
        was asked. The reason suggests the setting entry that would allow it."""
        if self.allows_everything:
            return None
        address = unwrap(address)
        kind = classify(address)
        if kind is None:
            return None
        if kind.exact_only:
            if any(n.num_addresses == 1 and n.network_address == address for n in self.networks):
                return None
            return (
                f"{subject} resolves to {address}, {kind.label}, which no range or host name "
                f"allows; allow its exact address with {NETWORKS_SETTING}={kind.hint}"
            )
        if any(address in n for n in self.networks if n.version == address.version):
            return None
        if any(p.matches(host, port) for p in self.hosts):
            return None
        hint = f"{NETWORKS_SETTING}={kind.hint}"
        if literal_address(host) is None:
            hint += f" or {HOSTS_SETTING}={host}"
        return f"{subject} resolves to {address}, {kind.label}; allow it with {hint}"


def canonical_host(host: str) -> str:
    """``host`` as a browser reaches it: lower case, no trailing dot nor IPv6 brackets, an
    international name in its ASCII (punycode) form, and an IPv4 address written in another
    form (``0x7f.1``, ``2130706433``) as a dotted quad."""
    host = host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return host  # no browser could reach it either
    label = host.rsplit(".", 1)[-1]
    if label.isdigit() or (
        label.startswith("0x") and all(c in "0123456789abcdef" for c in label[2:])
    ):
        try:  # the WHATWG URL standard reads a host ending in a number as an IPv4 address
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return host
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def literal_address(host: str) -> Address | None:
    """The address ``host`` (canonical) is written as, None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def localhost_addresses(host: str) -> list[Address] | None:
    """Loopback for ``localhost`` and ``*.localhost`` (RFC 6761, as Chromium resolves them
    without asking DNS); None for any other name."""
    if host == "localhost" or host.endswith(".localhost"):
        return list(_LOCALHOST)
    return None


def _port(scheme: str, port: int | None) -> int | None:
    return port if port is not None else DEFAULT_PORTS.get(scheme.lower())


def check_url(
    policy: AddressPolicy, url: str, resolve: Callable[[str], Sequence[str] | None]
) -> str | None:
    """None when ``url`` may be measured; else why not (the first refused address).

    An address literal is checked as such; a name is resolved by ``resolve`` (host → the
    addresses it has now, None when it does not resolve) and every address is checked. A name
    that does not resolve is allowed: the agent checks it again when it connects. A
    ``localhost`` name is allowed when 127.0.0.1 or ::1 is (the agent connects to the allowed
    one). A URL with no host or a bad port is left to URL validation (None).
    """
    if policy.allows_everything:
        return None
    try:
        parts = urlsplit(url.strip())
        raw_host, port = parts.hostname, _port(parts.scheme, parts.port)
    except ValueError:
        return None
    if not raw_host:
        return None
    host = canonical_host(raw_host)
    literal = literal_address(host)
    local = localhost_addresses(host)
    if local is not None:
        # One machine's loopback under two addresses: the agent connects to an allowed one.
        reasons = [policy.refusal(url.strip(), host, address, port) for address in local]
        return reasons[0] if all(reasons) else None
    addresses = [literal] if literal is not None else resolve(host) or []
    for address in addresses:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            continue  # not an address a browser could connect to
        reason = policy.refusal(url.strip(), host, parsed, port)
        if reason:
            return reason
    return None


def check_override(policy: AddressPolicy, host: str, address: str) -> str | None:
    """None when a DNS override may send ``host`` to ``address``; else why not. The port is
    not known yet: a host pattern with a port allows the override, the agent checks the port."""
    host = canonical_host(host)
    return policy.refusal(host, host, ipaddress.ip_address(address), None)


def check_connect(policy: AddressPolicy, host: str, address: Address, port: int) -> str | None:
    """None when a connection asked for ``host`` (a name, or the address itself) may go to
    ``address`` (what ``host`` resolved to) on ``port``; else why not."""
    host = canonical_host(host)
    shown = f"[{host}]" if ":" in host else host
    return policy.refusal(f"{shown}:{port}", host, address, port)

"""The address policy: which destinations measurements may reach, and the reasons it gives."""

import ipaddress
from collections.abc import Sequence

import pytest

from core.netpolicy import (
    AddressPolicy,
    PolicyError,
    canonical_host,
    check_connect,
    check_override,
    check_url,
    classify,
)

DEFAULT = AddressPolicy()


def no_dns(host: str) -> Sequence[str] | None:
    raise AssertionError(f"{host} should not have been looked up")


class Answers:
    """A resolver answering ``addresses`` for every name (none: the name does not resolve),
    remembering the names it was asked."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)
        self.asked: list[str] = []

    def __call__(self, host: str) -> Sequence[str] | None:
        self.asked.append(host)
        return self.addresses or None


@pytest.mark.parametrize(
    ("address", "label", "hint"),
    [
        ("8.8.8.8", None, None),
        ("2606:4700:4700::1111", None, None),
        ("127.0.0.1", "a loopback address", "127.0.0.0/8"),
        ("127.8.9.10", "a loopback address", "127.0.0.0/8"),
        ("::1", "a loopback address", "::1/128"),
        ("10.20.30.40", "a private address", "10.0.0.0/8"),
        ("172.16.5.4", "a private address", "172.16.0.0/12"),
        ("192.168.1.1", "a private address", "192.168.0.0/16"),
        ("fd12:3456::1", "a private (unique local) address", "fc00::/7"),
        ("fec0::1", "a site-local address", "fec0::/10"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address", "100.64.0.0/10"),
        ("169.254.1.2", "a link-local address", "169.254.1.2/32"),
        ("fe80::1", "a link-local address", "fe80::1/128"),
        ("169.254.169.254", "a cloud metadata address", "169.254.169.254/32"),
        ("fd00:ec2::254", "a cloud metadata address", "fd00:ec2::254/128"),
        ("100.100.100.200", "a cloud metadata address", "100.100.100.200/32"),
        ("168.63.129.16", "a cloud metadata address", "168.63.129.16/32"),
        ("0.0.0.0", "an unspecified address", "0.0.0.0/32"),
        ("::", "an unspecified address", "::/128"),
        ("224.0.0.1", "a multicast address", "224.0.0.1/32"),
        ("ff02::1", "a multicast address", "ff02::1/128"),
        ("240.0.0.1", "a reserved address", "240.0.0.1/32"),
        ("192.0.2.7", "a non-public address", "192.0.2.7/32"),
        ("::ffff:10.0.0.1", "a private address", "10.0.0.0/8"),
        ("::ffff:169.254.169.254", "a cloud metadata address", "169.254.169.254/32"),
        ("64:ff9b::7f00:1", "a loopback address", "127.0.0.0/8"),
    ],
)
def test_every_kind_of_address_is_classified(
    address: str, label: str | None, hint: str | None
) -> None:
    kind = classify(ipaddress.ip_address(address))
    assert (kind.label if kind else None, str(kind.hint) if kind else None) == (label, hint)


def test_by_default_only_public_addresses_may_be_reached() -> None:
    assert check_url(DEFAULT, "https://8.8.8.8/", no_dns) is None
    assert check_url(DEFAULT, "http://[2606:4700:4700::1111]/", no_dns) is None
    assert check_url(DEFAULT, "http://127.0.0.1:5432/", no_dns) == (
        "http://127.0.0.1:5432/ resolves to 127.0.0.1, a loopback address; "
        "allow it with PERFITE_ALLOWED_NETWORKS=127.0.0.0/8"
    )
    assert check_url(DEFAULT, "http://10.1.2.3/admin", no_dns) == (
        "http://10.1.2.3/admin resolves to 10.1.2.3, a private address; "
        "allow it with PERFITE_ALLOWED_NETWORKS=10.0.0.0/8"
    )


def test_a_metadata_address_names_the_only_entry_that_allows_it() -> None:
    assert check_url(DEFAULT, "http://169.254.169.254/latest/meta-data/", no_dns) == (
        "http://169.254.169.254/latest/meta-data/ resolves to 169.254.169.254, a cloud "
        "metadata address, which no range or host name allows; allow its exact address with "
        "PERFITE_ALLOWED_NETWORKS=169.254.169.254/32"
    )


@pytest.mark.parametrize(
    ("networks", "address"),
    [
        (["169.254.0.0/16"], "169.254.169.254"),
        (["0.0.0.0/0", "::/0"], "169.254.169.254"),
        (["0.0.0.0/0", "::/0"], "169.254.7.7"),
        (["fc00::/7"], "fd00:ec2::254"),
        (["100.64.0.0/10"], "100.100.100.200"),
        (["::/0"], "fe80::1"),
    ],
)
def test_no_range_allows_a_metadata_or_link_local_address(
    networks: list[str], address: str
) -> None:
    policy = AddressPolicy.parse(networks)
    assert check_connect(policy, address, ipaddress.ip_address(address), 80) is not None


def test_only_the_exact_address_allows_a_metadata_address() -> None:
    exact = AddressPolicy.parse(["169.254.169.254/32"])
    bare = AddressPolicy.parse(["169.254.169.254"])
    metadata = ipaddress.ip_address("169.254.169.254")
    assert check_connect(exact, "169.254.169.254", metadata, 80) is None
    assert check_connect(bare, "169.254.169.254", metadata, 80) is None
    assert check_connect(exact, "169.254.169.253", ipaddress.ip_address("169.254.169.253"), 80)


def test_a_host_name_allowance_never_reaches_a_metadata_address() -> None:
    policy = AddressPolicy.parse([], ["*.internal.example"])
    assert check_connect(policy, "db.internal.example", ipaddress.ip_address("10.0.0.5"), 5432) is (
        None
    )
    assert check_connect(
        policy, "meta.internal.example", ipaddress.ip_address("169.254.169.254"), 80
    ) == (
        "meta.internal.example:80 resolves to 169.254.169.254, a cloud metadata address, "
        "which no range or host name allows; allow its exact address with "
        "PERFITE_ALLOWED_NETWORKS=169.254.169.254/32"
    )


def test_allowed_networks_add_their_ranges_and_nothing_else() -> None:
    policy = AddressPolicy.parse(["10.0.0.0/8", "127.0.0.0/8"])
    assert check_url(policy, "http://10.200.0.1/", no_dns) is None
    assert check_url(policy, "http://127.0.0.2:8000/", no_dns) is None
    assert check_url(policy, "http://192.168.0.1/", no_dns) == (
        "http://192.168.0.1/ resolves to 192.168.0.1, a private address; "
        "allow it with PERFITE_ALLOWED_NETWORKS=192.168.0.0/16"
    )
    assert check_url(policy, "http://[::1]/", no_dns) == (
        "http://[::1]/ resolves to ::1, a loopback address; "
        "allow it with PERFITE_ALLOWED_NETWORKS=::1/128"
    )


def test_allowed_hosts_match_globs_and_their_port_only() -> None:
    policy = AddressPolicy.parse([], ["*.intranet.example", "db.lab.example:8443"])
    private = ipaddress.ip_address("10.9.8.7")
    assert check_connect(policy, "app.intranet.example", private, 443) is None
    assert check_connect(policy, "a.b.intranet.example", private, 80) is None
    assert check_connect(policy, "db.lab.example", private, 8443) is None
    assert check_connect(policy, "db.lab.example", private, 5432) == (
        "db.lab.example:5432 resolves to 10.9.8.7, a private address; allow it with "
        "PERFITE_ALLOWED_NETWORKS=10.0.0.0/8 or PERFITE_ALLOWED_HOSTS=db.lab.example"
    )
    assert check_connect(policy, "intranet.example", private, 80) is not None
    assert check_connect(policy, "evil-intranet.example", private, 80) is not None


def test_a_star_turns_the_policy_off() -> None:
    policy = AddressPolicy.parse(["*"])
    assert policy.allows_everything
    assert check_url(policy, "http://169.254.169.254/", no_dns) is None
    assert not AddressPolicy.parse(["0.0.0.0/0", "::/0"]).allows_everything


def test_every_address_of_a_name_is_checked() -> None:
    resolve = Answers("93.184.216.34", "10.0.0.8")
    assert check_url(DEFAULT, "https://Shop.Example.COM./cart", resolve) == (
        "https://Shop.Example.COM./cart resolves to 10.0.0.8, a private address; allow it with "
        "PERFITE_ALLOWED_NETWORKS=10.0.0.0/8 or PERFITE_ALLOWED_HOSTS=shop.example.com"
    )
    assert resolve.asked == ["shop.example.com"]
    assert check_url(DEFAULT, "https://shop.example.com/", Answers("93.184.216.34")) is None


def test_a_name_that_does_not_resolve_is_left_to_the_agent() -> None:
    assert check_url(DEFAULT, "http://not-yet.example/", Answers()) is None


def test_localhost_names_are_loopback_without_asking_dns() -> None:
    assert check_url(DEFAULT, "http://www.example.localhost:8123/", no_dns) == (
        "http://www.example.localhost:8123/ resolves to 127.0.0.1, a loopback address; allow it "
        "with PERFITE_ALLOWED_NETWORKS=127.0.0.0/8 or PERFITE_ALLOWED_HOSTS=www.example.localhost"
    )
    # either loopback address allows them: the agent connects to the allowed one
    for networks in (["127.0.0.0/8"], ["::1/128"]):
        allowed = AddressPolicy.parse(networks)
        assert check_url(allowed, "http://www.example.localhost:8123/", no_dns) is None
    demo = AddressPolicy.parse([], ["www.example.localhost:8123"])
    assert check_url(demo, "http://www.example.localhost:8123/", no_dns) is None
    assert check_url(demo, "http://www.example.localhost:5432/", no_dns) is not None
    assert check_url(demo, "http://localhost:8123/", no_dns) is not None


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::FFFF:7F00:1]", "::ffff:7f00:1"),
        ("WWW.Example.com.", "www.example.com"),
        ("1.2.3.example", "1.2.3.example"),
        ("Bücher.Example", "xn--bcher-kva.example"),
    ],
)
def test_hosts_are_read_as_a_browser_reads_them(written: str, canonical: str) -> None:
    assert canonical_host(written) == canonical


def test_an_address_written_another_way_is_still_refused() -> None:
    assert check_url(DEFAULT, "http://0x7f.1:6379/", no_dns) == (
        "http://0x7f.1:6379/ resolves to 127.0.0.1, a loopback address; "
        "allow it with PERFITE_ALLOWED_NETWORKS=127.0.0.0/8"
    )


def test_a_dns_override_target_is_checked_for_its_host() -> None:
    assert check_override(DEFAULT, "metadata.example.com", "169.254.169.254") == (
        "metadata.example.com resolves to 169.254.169.254, a cloud metadata address, which no "
        "range or host name allows; allow its exact address with "
        "PERFITE_ALLOWED_NETWORKS=169.254.169.254/32"
    )
    assert check_override(DEFAULT, "www.example.com", "93.184.216.34") is None
    # the port is not known yet: a host allowed on one port may be overridden
    lab = AddressPolicy.parse([], ["db.lab.example:8443"])
    assert check_override(lab, "DB.lab.example", "10.0.0.1") is None


def test_a_connection_names_host_and_port() -> None:
    assert check_connect(DEFAULT, "::1", ipaddress.ip_address("::1"), 8080) == (
        "[::1]:8080 resolves to ::1, a loopback address; "
        "allow it with PERFITE_ALLOWED_NETWORKS=::1/128"
    )


@pytest.mark.parametrize(
    ("networks", "hosts", "message"),
    [
        (
            ["10.1.2.3/8"],
            [],
            "PERFITE_ALLOWED_NETWORKS: '10.1.2.3/8' is not a network "
            "(10.1.2.3/8 has host bits set)",
        ),
        (
            ["intranet"],
            [],
            "PERFITE_ALLOWED_NETWORKS: 'intranet' is not a network "
            "('intranet' does not appear to be an IPv4 or IPv6 network)",
        ),
        (
            [],
            ["http://intranet.example"],
            "PERFITE_ALLOWED_HOSTS: 'http://intranet.example' is not a host name or glob, "
            "optionally with :port",
        ),
        (
            [],
            ["db.example:70000"],
            "PERFITE_ALLOWED_HOSTS: 'db.example:70000' has a port out of range",
        ),
    ],
)
def test_a_malformed_setting_is_refused_naming_the_entry(
    networks: list[str], hosts: list[str], message: str
) -> None:
    with pytest.raises(PolicyError) as refused:
        AddressPolicy.parse(networks, hosts)
    assert str(refused.value) == message


def test_a_policy_reads_back_from_its_entries() -> None:
    policy = AddressPolicy.parse(["10.0.0.0/8", "::1", "*"], ["*.lab.example", "db.example:5432"])
    assert policy.entries() == (
        ["10.0.0.0/8", "::1/128", "*"],
        ["*.lab.example", "db.example:5432"],
    )
    assert AddressPolicy.parse(*policy.entries()) == policy

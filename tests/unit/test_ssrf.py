"""The SSRF guard's rules, on literal addresses and names; no internet needed."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from producers.ssrf import AddressPolicy, BlockedAddressError, GuardedResolver, address_block_reason, check_url

GUARDED = AddressPolicy()
OPEN = AddressPolicy(allow_private=True)


@pytest.mark.parametrize(
    ("address", "label"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata endpoint
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),  # unique-local fc00::/7
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not globally routable"),  # carrier-grade NAT
        ("192.0.2.10", "private"),  # documentation range
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 around 10.0.0.1
        ("::127.0.0.1", "loopback"),  # deprecated IPv4-compatible
    ],
)
def test_refused_addresses(address: str, label: str) -> None:
    reason = address_block_reason(ipaddress.ip_address(address))
    assert reason is not None and label in reason


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"])
def test_public_addresses_pass(address: str) -> None:
    assert address_block_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("file:///etc/passwd", "scheme"),
        ("gopher://example.com/", "scheme"),
        ("ftp://example.com/feed.xml", "scheme"),
        ("feed.xml", "scheme"),
        ("http:///feed.xml", "no host"),
        ("http://127.0.0.1:8080/feed", "loopback"),
        ("http://[::1]/feed", "loopback"),
        ("http://[::ffff:127.0.0.1]/feed", "loopback"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fe80::1%25eth0]/", "link-local"),
    ],
)
def test_check_url_refuses(url: str, fragment: str) -> None:
    reason = check_url(url, GUARDED)
    assert reason is not None and fragment in reason


def test_check_url_passes_public_and_names() -> None:
    assert check_url("https://93.184.215.14/feed", GUARDED) is None
    assert check_url("HTTPS://news.example.com/rss", GUARDED) is None  # names are judged by the resolver


def test_allow_private_lifts_address_rules_but_not_the_scheme_rule() -> None:
    assert check_url("http://127.0.0.1:8642/feed", OPEN) is None
    assert check_url("file:///etc/passwd", OPEN) is not None


def test_allowed_networks() -> None:
    policy = AddressPolicy(allowed_networks=["10.20.0.0/16"])
    assert policy.reason(ipaddress.ip_address("10.20.3.4")) is None
    assert policy.reason(ipaddress.ip_address("10.21.3.4")) is not None
    assert policy.reason(ipaddress.ip_address("::1")) is not None


class FixedResolver(AbstractResolver):
    """Returns preset addresses, as a DNS server under an attacker's control could."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            {
                "hostname": host,
                "host": a,
                "port": port,
                "family": socket.AF_INET6 if ":" in a else socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
            for a in self.addresses
        ]

    async def close(self) -> None:
        pass


def resolve(policy: AddressPolicy, host: str, inner: AbstractResolver | None = None) -> list[ResolveResult]:
    async def go() -> list[ResolveResult]:
        resolver = GuardedResolver(policy, inner)
        try:
            return await resolver.resolve(host, 80)
        finally:
            await resolver.close()

    return asyncio.run(go())


def test_resolver_refuses_localhost() -> None:
    with pytest.raises(BlockedAddressError, match="localhost resolves to .*loopback"):
        resolve(GUARDED, "localhost")
    assert resolve(OPEN, "localhost")


def test_resolver_refuses_a_name_when_any_address_is_private() -> None:
    with pytest.raises(BlockedAddressError, match="10.0.0.5 is a private"):
        resolve(GUARDED, "mixed.example", FixedResolver("93.184.215.14", "10.0.0.5"))
    assert [r["host"] for r in resolve(GUARDED, "public.example", FixedResolver("93.184.215.14"))] == ["93.184.215.14"]


def test_resolver_refuses_ipv4_mapped_answers() -> None:
    with pytest.raises(BlockedAddressError, match="loopback"):
        resolve(GUARDED, "sneaky.example", FixedResolver("::ffff:127.0.0.1"))

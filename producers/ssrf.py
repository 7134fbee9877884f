"""SSRF guard: feed URLs (and every redirect hop) may only reach public http(s) addresses.

Two checks cover every connection the fetcher opens:

* :func:`check_url` runs before each hop: the scheme must be http or https, and a host written as
  an IP literal is judged here (aiohttp connects to literals without asking a resolver).
* :class:`GuardedResolver` is the connector's resolver: a host name is resolved once, *every*
  address is judged, and only the judged addresses are handed to the connector. The addresses that
  were checked are the ones connected to, so DNS rebinding between check and connect cannot happen.

Refused: private, loopback, link-local, unique-local IPv6 (fc00::/7), multicast, unspecified,
reserved and otherwise non-global addresses, including IPv4 addresses embedded in IPv6 (mapped,
compatible, 6to4, Teredo, NAT64). ``allow_private=True`` (NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES=1)
lifts the address rules but never the scheme rule nor the cloud metadata / link-local ranges
(:data:`METADATA_NETWORKS`); ``allowed_networks`` lets an operator permit named networks (those
ranges included) while the guard stays on.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = frozenset({"http", "https"})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
#: Cloud metadata endpoints and the link-local ranges they live in: refused even with
#: NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES=1, unless a network listed in NEWSSTREAM_ALLOWED_NETWORKS
#: contains the address (a feed redirecting to 169.254.169.254 would read instance credentials).
METADATA_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",  # IPv4 link-local: AWS, GCP, Azure, Oracle 169.254.169.254, ECS 169.254.170.2
        "fe80::/10",  # IPv6 link-local
        "fd00:ec2::254/128",  # AWS IMDS over IPv6
        "fd20:ce::254/128",  # GCP metadata over IPv6
        "100.100.100.200/32",  # Alibaba Cloud metadata
    )
)


class BlockedAddressError(OSError):
    """A connection was refused by the SSRF guard; ``reason`` says why (an OSError so aiohttp passes it on)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, if it carries one."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client address; the server half is public by definition
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    packed = ip.packed
    if packed[:12] == bytes(12) and int(ip) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(packed[12:])
    return None


def address_block_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be contacted, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return f"{ip} is a scoped (link-local) IPv6 address"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = address_block_reason(inner)
            return f"{ip} embeds {reason}" if reason else None
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("not globally routable", not ip.is_global),
    )
    for label, hit in checks:
        if hit:
            return f"{ip} is a {label} address"
    return None


class AddressPolicy:
    """Decides whether an address may be contacted."""

    def __init__(self, allow_private: bool = False, allowed_networks: Iterable[str] = ()) -> None:
        self.allow_private = allow_private
        self.allowed_networks: tuple[IPNetwork, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in allowed_networks
        )

    def reason(self, ip: IPAddress) -> str | None:
        """Why ``ip`` is refused under this policy, or None."""
        if any(ip in net for net in self.allowed_networks if net.version == ip.version):
            return None
        metadata = metadata_reason(ip)
        if metadata is not None:
            return metadata
        if self.allow_private:
            return None
        reason = address_block_reason(ip)
        if reason is None:
            return None
        # Name the way out: most people meet the guard with a feed on their own machine or network.
        single = f"{ip}/{ip.max_prefixlen}"
        return (
            f"{reason}; to fetch it set NEWSSTREAM_ALLOWED_NETWORKS={single} (that address only) "
            "or NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES=1 (every private address)"
        )


def metadata_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is a cloud metadata or link-local address (also when embedded in IPv6), or None."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return f"{ip} is a scoped (link-local) IPv6 address"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = metadata_reason(inner)
            return f"{ip} embeds {reason}" if reason else None
    for net in METADATA_NETWORKS:
        if net.version == ip.version and ip in net:
            return (
                f"{ip} is in {net}, a cloud metadata or link-local range "
                "(allowed only if listed in NEWSSTREAM_ALLOWED_NETWORKS)"
            )
    return None


def check_url(url: str, policy: AddressPolicy) -> str | None:
    """Why ``url`` must not be fetched (scheme, missing host, IP-literal host), or None.

    Host names are judged later, by :class:`GuardedResolver`, on the addresses actually used.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError as exc:
        return f"malformed URL: {exc}"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return f"scheme {parts.scheme or '(none)'!r} is not http or https"
    if not host:
        return "URL has no host"
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    return policy.reason(ip)


class GuardedResolver(AbstractResolver):
    """A resolver that refuses a host when any of its addresses is refused by the policy.

    Refusing the whole host (not just the bad addresses) keeps the behaviour predictable: a name
    that mixes public and private addresses is a misconfiguration or an attack.
    """

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self._inner = inner if inner is not None else ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            try:
                ip = ipaddress.ip_address(result["host"].split("%", 1)[0])
            except ValueError:
                raise BlockedAddressError(f"{host} resolved to an unparsable address {result['host']!r}") from None
            reason = self.policy.reason(ip)
            if reason is not None:
                raise BlockedAddressError(f"{host} resolves to {reason}")
        return results

    async def close(self) -> None:
        await self._inner.close()

"""Issue 14, failure 9: cloud metadata ranges stay blocked with private addresses allowed.

The demo runs with NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES=1 (its feeds are on loopback); a feed it
polls may still not redirect the producer to 169.254.169.254 (instance credentials) or its IPv6
and embedded spellings, unless the operator lists that network in NEWSSTREAM_ALLOWED_NETWORKS.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_fetch import Site, send
from tests.security.test_ssrf_fetch import FEED, AttackerDNS, dns, fetch, internal, public  # noqa: F401

#: What the demo runs with: every private address allowed.
DEMO: dict[str, Any] = {"allow_private_addresses": True}

METADATA_TARGETS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.170.2/v2/credentials/",
    "http://metadata.attacker.example/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/latest/meta-data/",
    "http://[fe80::1]/",
    "http://100.100.100.200/latest/meta-data/",
]


@pytest.mark.parametrize("target", METADATA_TARGETS)
def test_a_redirect_to_a_metadata_address_is_blocked_with_private_addresses_allowed(
    public: Site,  # noqa: F811
    dns: AttackerDNS,  # noqa: F811
    target: str,
) -> None:
    public.routes["/ok"] = lambda r: send(r, 200, FEED)
    public.routes["/feed"] = lambda r: send(r, 302, Location=target)
    assert fetch(public.url("/ok"), **DEMO).outcome == "ok", "loopback is allowed in this mode"
    result = fetch(public.url("/feed"), **DEMO)
    assert result.outcome == "blocked", (result.outcome, result.error)
    assert "metadata or link-local" in (result.error or "")


def test_a_listed_metadata_network_is_allowed(public: Site, dns: AttackerDNS) -> None:  # noqa: F811
    """Control: the operator names the network, and the guard lets the redirect through (the
    connection then fails here, as no metadata service exists on this machine)."""
    public.routes["/feed"] = lambda r: send(r, 302, Location="http://169.254.169.254/latest/meta-data/")
    listed = {**DEMO, "allowed_networks": ("169.254.169.254/32",), "connect_timeout": 1, "total_timeout": 3}
    result = fetch(public.url("/feed"), **listed)
    assert result.outcome != "blocked", result.error

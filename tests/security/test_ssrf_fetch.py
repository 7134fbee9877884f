"""The SSRF guard through the real ``Fetcher`` against real servers on loopback.

tests/unit/test_ssrf.py judges addresses and URLs; tests/integration/test_fetch.py proves on real
connections that a loopback literal, the name ``localhost``, a redirect to a loopback literal and a
redirect to ``file:`` are refused. This file adds what those leave out:

* other spellings of loopback that really reach a local server when the guard is off (the control
  half of each test), and are refused with no request when it is on: ``0.0.0.0``, IPv4-mapped
  IPv6 in two spellings, a hex IPv4 host, credentials that dress up the host;
* addresses no test server can stand in for (metadata 169.254.169.254, fd00:ec2::254, RFC 1918,
  CGNAT, unique-local fc00::/7, link-local, NAT64 around metadata), refused before any connection;
* host names that resolve there: a DNS answer under an attacker's control (a resolver that answers
  what the test says, in place of the system resolver *inside* the real GuardedResolver);
* redirects from an allowed server to each of those, over several hops;
* DNS rebinding: the same name answering an allowed address first and loopback next.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

import producers.fetch
from producers.fetch import Fetcher, FetchResult, FetchSettings
from producers.ssrf import GuardedResolver
from tests.integration.test_fetch import Site, send

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
#: 127.0.0.2 stands in for a public server: the operator allow-lists it, the rest of loopback stays refused.
PUBLIC: dict[str, Any] = {"allow_private_addresses": False, "allowed_networks": ("127.0.0.2/32",)}


class AttackerDNS(AbstractResolver):
    """Answers chosen names with chosen addresses (each name's list is used in turn, the last one
    repeating); every other name goes to the system resolver."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        turns = self.answers.get(host)
        if turns is None:
            system = ThreadedResolver()  # built here: it binds to the running event loop
            try:
                return await system.resolve(host, port, family)
            finally:
                await system.close()
        addresses = turns.pop(0) if len(turns) > 1 else turns[0]
        return [
            {"hostname": host, "host": a, "port": port, "proto": 0, "flags": socket.AI_NUMERICHOST,
             "family": socket.AF_INET6 if ":" in a else socket.AF_INET}
            for a in addresses
        ]  # fmt: skip

    async def close(self) -> None:
        pass


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> AttackerDNS:
    """The fetcher's real GuardedResolver, asking AttackerDNS instead of the system resolver."""
    attacker = AttackerDNS(
        {
            "feeds.attacker.example": [["127.0.0.1"]],
            "mapped.attacker.example": [["::ffff:127.0.0.1"]],
            "metadata.attacker.example": [["169.254.169.254"]],
            "ula.attacker.example": [["fd00::5"]],
            "lan.attacker.example": [["192.168.1.10"]],
            "public.attacker.example": [["127.0.0.2"]],
            "rebind.attacker.example": [["127.0.0.2"], ["127.0.0.1"]],
        }
    )
    monkeypatch.setattr(producers.fetch, "GuardedResolver", lambda policy: GuardedResolver(policy, attacker))
    return attacker


def fetch(url: str, **overrides: Any) -> FetchResult:
    options: dict[str, Any] = {"user_agent": "newsstream-test", "allow_private_addresses": False}
    settings = FetchSettings(**(options | overrides))

    async def go() -> FetchResult:
        async with Fetcher(settings) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(go())


@pytest.fixture
def internal() -> Iterator[Site]:
    """The server an attacker wants to reach (an admin page on loopback)."""
    site = Site(host="127.0.0.1").start()
    site.routes["/admin"] = lambda r: send(r, 200, FEED)
    yield site
    site.stop()


@pytest.fixture
def public() -> Iterator[Site]:
    site = Site(host="127.0.0.2").start()
    yield site
    site.stop()


def _port(site: Site) -> int:
    assert site.server is not None
    return int(site.server.server_address[1])


LOOPBACK_SPELLINGS = [
    "http://0.0.0.0:{port}/admin",
    "http://[::ffff:127.0.0.1]:{port}/admin",
    "http://[::ffff:7f00:1]:{port}/admin",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{port}/admin",
    "http://0x7f000001:{port}/admin",
    "http://0x7f.0.0.1:{port}/admin",
    "http://news.example.org@127.0.0.1:{port}/admin",
    "http://feeds.attacker.example:{port}/admin",
    "http://mapped.attacker.example:{port}/admin",
]


@pytest.mark.parametrize("template", LOOPBACK_SPELLINGS)
def test_loopback_in_disguise_is_refused(internal: Site, dns: AttackerDNS, template: str) -> None:
    url = template.format(port=_port(internal))
    control = fetch(url, allow_private_addresses=True)
    assert control.outcome == "ok" and internal.hits == {"/admin": 1}, "this spelling must really reach loopback"
    result = fetch(url)
    assert result.outcome == "blocked", result.error
    assert "loopback" in (result.error or "") or "unspecified" in (result.error or "")
    assert internal.hits == {"/admin": 1}, "the guarded fetch reached the server"


@pytest.mark.parametrize(
    "template", ["http://2130706433:{port}/admin", "http://0177.0.0.1:{port}/admin", "http://127.1:{port}/admin"]
)
def test_non_canonical_ipv4_spellings_never_connect(internal: Site, template: str) -> None:
    """Decimal, octal and short forms that inet_aton would read as 127.0.0.1 are refused by the URL
    parser, with the guard on and even with it off (hex forms resolve and are judged: see above)."""
    url = template.format(port=_port(internal))
    for allow_private in (False, True):
        result = fetch(url, allow_private_addresses=allow_private)
        assert result.outcome in ("blocked", "network_error") and result.body is None, result
    assert internal.hits == {}


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "link-local"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
        ("http://[::ffff:169.254.169.254]/latest/meta-data/", "link-local"),
        ("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "link-local"),
        ("http://metadata.attacker.example/computeMetadata/v1/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("http://172.16.5.4:8080/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://lan.attacker.example/", "private"),
        ("http://100.64.0.1/", "not globally routable"),
        ("http://[fc00::1]/", "private"),
        ("http://[fdab:cdef::1]:8080/", "private"),
        ("http://ula.attacker.example/", "private"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[::]/", "unspecified"),
    ],
)
def test_internal_addresses_and_names_resolving_there_are_refused(dns: AttackerDNS, url: str, label: str) -> None:
    result = fetch(url)
    assert result.outcome == "blocked" and label in (result.error or ""), result.error
    assert result.status is None and result.bytes_read == 0


REDIRECT_TARGETS = [
    "http://localhost:{port}/admin",
    "http://feeds.attacker.example:{port}/admin",
    "http://[::ffff:127.0.0.1]:{port}/admin",
    "http://0x7f000001:{port}/admin",
    "http://0.0.0.0:{port}/admin",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.attacker.example/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://ula.attacker.example/",
]


@pytest.mark.parametrize("template", REDIRECT_TARGETS)
def test_redirect_from_an_allowed_server_to_an_internal_target(
    public: Site, internal: Site, dns: AttackerDNS, template: str
) -> None:
    target = template.format(port=_port(internal))
    public.routes["/feed"] = lambda r: send(r, 302, Location="/hop")  # a harmless first hop on the same host
    public.routes["/hop"] = lambda r: send(r, 301, Location=target)
    public.routes["/ok"] = lambda r: send(r, 200, FEED)
    assert fetch(public.url("/ok"), **PUBLIC).outcome == "ok", "the allow-listed server must be reachable"
    result = fetch(public.url("/feed"), **PUBLIC)
    assert result.outcome == "blocked" and "redirect to" in (result.error or ""), result.error
    assert result.final_url == target and result.body is None and result.permanent_redirect is None
    assert internal.hits == {}
    assert public.hits == {"/ok": 1, "/feed": 1, "/hop": 1}


def test_a_name_allowed_by_address_is_fetched(public: Site, dns: AttackerDNS) -> None:
    """The guard judges a name by what it resolves to (control for the tests above)."""
    public.routes["/feed"] = lambda r: send(r, 200, FEED)
    result = fetch(f"http://public.attacker.example:{_port(public)}/feed", **PUBLIC)
    assert result.outcome == "ok" and result.body == FEED
    assert "public.attacker.example" in dns.asked


def _serve_on(host: str, port: int) -> tuple[ThreadingHTTPServer, list[str]]:
    """A feed server on a chosen address and port; returns it and the paths it was asked for."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            send(self, 200, FEED)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, hits


def test_dns_rebinding_is_judged_on_every_resolution(internal: Site, dns: AttackerDNS) -> None:
    """The name answers the allowed address first, then loopback (a rebinding attack): the second
    answer is judged like the first, and the addresses judged are the ones connected to."""
    port = _port(internal)
    allowed, allowed_hits = _serve_on("127.0.0.2", port)  # same port, only the address differs
    try:
        url = f"http://rebind.attacker.example:{port}/admin"
        first = fetch(url, **PUBLIC)
        assert first.outcome == "ok" and allowed_hits == ["/admin"]
        second = fetch(url, **PUBLIC)
        assert second.outcome == "blocked" and "127.0.0.1 is a loopback" in (second.error or ""), second.error
        assert internal.hits == {} and allowed_hits == ["/admin"]
        assert dns.asked.count("rebind.attacker.example") == 2
    finally:
        allowed.shutdown()
        allowed.server_close()

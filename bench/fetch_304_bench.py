"""Benchmark: conditional GETs answered 304, through one Fetcher in one process.

One local aiohttp server (its own process, so it does not share the fetcher's CPU) serves 2,000
feed paths, each with its own ETag. A priming round fetches every feed (200) to learn the ETags;
the timed rounds send If-None-Match and get 304s. Printed: feeds/s per round and the best.

The server listens on --hosts loopback addresses (127.0.0.1, 127.0.0.2, ...), the feeds spread
over them as they would be over many publishers, so the default per-host limit (2) and global
limit (100) apply as in production. --hosts 1 puts every feed on one host (then only
--per-host-limit connections are open at once).

    .venv/bin/python bench/fetch_304_bench.py [--feeds 2000] [--hosts 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import time
from multiprocessing.connection import Connection

from aiohttp import web

from producers.fetch import Fetcher, FetchSettings, Validators


def _server(hosts: list[str], feeds: int, ready: Connection) -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>bench</title></channel></rss>'

    async def feed(request: web.Request) -> web.Response:
        tag = f'"v1-{request.match_info["n"]}"'
        if request.headers.get("If-None-Match") == tag:
            return web.Response(status=304, headers={"ETag": tag})
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": tag})

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/feeds/{n}.xml", feed)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        ports = []
        for host in hosts:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, 0))
            ports.append(sock.getsockname()[1])
            await web.SockSite(runner, sock, backlog=1024).start()
        ready.send(ports)
        await asyncio.Event().wait()

    asyncio.run(main())


async def _round(fetcher: Fetcher, urls: list[str], validators: dict[str, Validators]) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    results = await asyncio.gather(*(fetcher.fetch(url, validators.get(url)) for url in urls))
    elapsed = time.perf_counter() - started
    outcomes: dict[str, int] = {}
    for result in results:
        outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
        validators[result.url] = Validators(result.etag, result.last_modified)
    return elapsed, outcomes


async def _client(urls: list[str], rounds: int, per_host: int, global_limit: int) -> None:
    settings = FetchSettings(
        user_agent="newsstream-bench/0.1",
        allow_private_addresses=True,
        per_host_limit=per_host,
        global_limit=global_limit,
    )
    validators: dict[str, Validators] = {}
    async with Fetcher(settings) as fetcher:
        elapsed, outcomes = await _round(fetcher, urls, validators)
        print(f"priming round: {len(urls)} feeds in {elapsed:.2f} s, outcomes {outcomes}")
        best = 0.0
        for n in range(1, rounds + 1):
            elapsed, outcomes = await _round(fetcher, urls, validators)
            rate = len(urls) / elapsed
            best = max(best, rate)
            print(f"round {n}: {len(urls)} feeds in {elapsed:.3f} s = {rate:,.0f} feeds/s, outcomes {outcomes}")
    print(f"best: {best:,.0f} feeds/s (304s, one process, one Fetcher; target >= 2,000/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses the feeds spread over (50)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-host-limit", type=int, default=FetchSettings.per_host_limit)
    parser.add_argument("--global-limit", type=int, default=FetchSettings.global_limit)
    args = parser.parse_args()

    hosts = [f"127.0.0.{i}" for i in range(1, args.hosts + 1)]
    receive, send = multiprocessing.Pipe(duplex=False)
    server = multiprocessing.Process(target=_server, args=(hosts, args.feeds, send), daemon=True)
    server.start()
    ports = receive.recv()
    urls = [f"http://{hosts[i % len(hosts)]}:{ports[i % len(hosts)]}/feeds/{i}.xml" for i in range(args.feeds)]
    print(
        f"{args.feeds} feeds on {len(hosts)} loopback host(s); per-host limit {args.per_host_limit}, "
        f"global limit {args.global_limit}"
    )
    try:
        asyncio.run(_client(urls, args.rounds, args.per_host_limit, args.global_limit))
    finally:
        server.terminate()
        server.join()


if __name__ == "__main__":
    main()

"""End-to-end latency: a feed server publishes, the whole pipeline runs as processes, a reader waits.

    .venv/bin/python bench/e2e_latency.py [--rates 100,200,500,1000] [--seconds 15] [--feeds 8]

A loopback feed server (JSON Feed, one feed per loopback address 127.0.0.1..127.0.0.N, so the
producer's per-host limits do not serialise them) publishes at a set rate: half new articles, half
corrected versions of articles published two seconds earlier (their body gains "CORRECTION: An
earlier version of this article misstated …"). Each feed lists what changed in the last few
seconds. The producer, the normalizer and the correction detector run as separate processes
(``python -m newsstream.cli``) on the local broker, on fresh uuid-named topics; the producer polls
each feed as fast as its schedule allows (configured 1 s; the adaptive schedule goes down to a
quarter of it for a feed this busy). A ``read_committed`` consumer of the corrections topic stamps
the arrival of each corrected version's notice event (``evidence.method`` notice, whatever type
the classifier gives it); latency = arrival − the server's publish time of that corrected
version. Prints p50/p95/p99 per rate, how many events arrived, and the highest rate whose
p99 ≤ 1 s with every event arrived. Numbers from a busy machine are upper bounds.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson  # noqa: E402

from newsstream.config import Config, KafkaSettings, Topics  # noqa: E402
from newsstream.topics import create_topics  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
#: A corrected version follows its first version this much later.
CORRECTION_DELAY_S = 2.0
#: A feed lists the items published or corrected within this window (several polls' worth).
WINDOW_S = 1.5
CORRECTION = "CORRECTION: An earlier version of this article misstated the number of council votes."
PARAGRAPHS = [
    "The harbour council voted on Tuesday evening to extend the ferry timetable through the winter.",
    "Residents of the eastern district had asked for later sailings since the bridge closed for repairs.",
    "The mayor said the cost would be met from the transport budget without raising fares this year.",
]


@dataclass
class Item:
    id: str
    url: str
    title: str
    paragraphs: list[str]
    published: float
    changed: float  # last publish time of this item (first version or correction)

    def json(self) -> dict[str, Any]:
        def iso(t: float) -> str:
            return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"

        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "content_html": "".join(f"<p>{p}</p>" for p in self.paragraphs),
            "date_published": iso(self.published),
            "date_modified": iso(self.changed),
        }


@dataclass
class Feed:
    host: str
    items: dict[str, Item] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    body: bytes = b""
    rendered: float = 0.0

    def render(self, now: float) -> bytes:
        """The feed document, re-rendered at most every 20 ms (the server is not the bottleneck)."""
        with self.lock:
            if now - self.rendered > 0.02:
                live = [i for i in self.items.values() if now - i.changed <= WINDOW_S]
                self.items = {i.id: i for i in live}
                live.sort(key=lambda i: i.changed, reverse=True)
                doc = {"version": "https://jsonfeed.org/version/1.1", "title": f"Bench {self.host}",
                       "home_page_url": f"http://{self.host}/", "items": [i.json() for i in live]}  # fmt: skip
                self.body, self.rendered = orjson.dumps(doc), now
            return self.body


class Publisher:
    """Publishes at ``rate`` per second into the feeds: new articles and, 2 s later, their corrections."""

    def __init__(self, feeds: list[Feed], port: int) -> None:
        self.feeds, self.port = feeds, port
        self.corrected_at: dict[str, float] = {}  # url -> publish time of its corrected version
        self.counter = 0

    def run(self, rate: float, seconds: float, tag: str) -> None:
        pending: list[Item] = []  # first versions waiting for their correction
        interval = 1.0 / rate
        started = time.time()
        next_at = started
        # new articles for ``seconds``; corrections (at the same rate) until every one is corrected
        while time.time() - started < seconds or pending:
            now = time.time()
            while next_at <= now:
                next_at += interval
                due = bool(pending) and now - pending[0].published >= CORRECTION_DELAY_S
                new = time.time() - started < seconds
                if due and (self.counter % 2 == 1 or not new):
                    self._publish_correction(pending.pop(0), now)
                elif new:
                    pending.append(self._publish_new(now, tag))
                self.counter += 1
            time.sleep(max(0.0, min(0.005, next_at - time.time())))

    def _feed(self, n: int) -> Feed:
        return self.feeds[n % len(self.feeds)]

    def _publish_new(self, now: float, tag: str) -> Item:
        n = self.counter
        feed = self._feed(n)
        url = f"http://{feed.host}:{self.port}/a/{tag}-{n}"
        item = Item(f"{tag}-{n}", url, f"Council extends ferry timetable ({tag} {n})", list(PARAGRAPHS), now, now)
        with feed.lock:
            feed.items[item.id] = item
        return item

    def _publish_correction(self, item: Item, now: float) -> None:
        feed = self._feed(int(item.id.rsplit("-", 1)[1]))
        corrected = Item(item.id, item.url, item.title, [*item.paragraphs, CORRECTION], item.published, now)
        with feed.lock:
            feed.items[item.id] = corrected
        self.corrected_at[item.url] = now


def serve(feeds: list[Feed], port: int) -> list[ThreadingHTTPServer]:
    servers = []
    for feed in feeds:

        class Handler(BaseHTTPRequestHandler):
            feed_ref = feed

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                body = self.feed_ref.render(time.time())
                self.send_response(200)
                self.send_header("Content-Type", "application/feed+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((feed.host, port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "newsstream.cli", *args], env=env, stdout=out, stderr=subprocess.STDOUT,
        cwd=REPO, start_new_session=True,
    )  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--rates", default="100,200,500,1000", help="publishes per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=15.0, help="publishing time per rate (15)")
    parser.add_argument("--feeds", type=int, default=8, help="feeds, one per loopback address (8)")
    parser.add_argument("--workers", type=int, default=1, help="normalizer transform workers (1)")
    parser.add_argument("--drain", type=float, default=15.0, help="seconds to wait for late events (15)")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    from newsstream.kafka_clients import make_admin, make_consumer

    suffix = uuid.uuid4().hex[:8]
    topics = Topics(**{k: f"bench-e2e.{suffix}.{v}" for k, v in vars(Topics()).items()})
    config = Config(kafka=KafkaSettings(bootstrap_servers=args.bootstrap), topics=topics)
    create_topics(config)
    port = free_port()
    feeds = [Feed(f"127.0.0.{i + 1}") for i in range(args.feeds)]
    servers = serve(feeds, port)
    publisher = Publisher(feeds, port)
    work = Path(tempfile.mkdtemp(prefix="e2e-latency-"))
    feeds_toml = work / "feeds.toml"
    feeds_toml.write_text(
        '[defaults]\ninterval = "1s"\n\n'
        + "".join(
            f'[[feeds]]\nurl = "http://{f.host}:{port}/feed.json"\nname = "bench {i}"\n'
            f'publisher = "Bench {i}"\ntype = "jsonfeed"\n\n'
            for i, f in enumerate(feeds)
        ),  # fmt: skip
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": args.bootstrap,
        **{f"NEWSSTREAM_TOPIC_{k.upper()}": v for k, v in vars(topics).items()},
        "NEWSSTREAM_STATE_DIR": str(work / "state"),
        "NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES": "1",
        "NEWSSTREAM_POLL_FLOOR_SECONDS": "0.1",
        "NEWSSTREAM_LOG_FORMAT": "console",
        "NEWSSTREAM_LOG_LEVEL": "WARNING",
        "NEWSSTREAM_METRICS_HOST": "127.0.0.1",
    }
    env.pop("NEWSSTREAM_METRICS_PORT", None)
    group = f"e2e-{suffix}"
    stages = [
        start(["normalize", "--group", f"{group}-n", "--instance-id", f"n{suffix}", "--workers", str(args.workers),
               "--metrics-port", "0"], env, work / "normalize.log"),
        start(["detect-corrections", "--group", f"{group}-d", "--instance-id", f"d{suffix}", "--metrics-port", "0"],
              env, work / "detect.log"),
        start(["produce", "--feeds", str(feeds_toml), "--metrics-port", "0"], env, work / "produce.log"),
    ]  # fmt: skip
    arrivals: dict[str, float] = {}
    detected: dict[str, float] = {}  # url -> the event's detected_at (the detector's clock, same host)
    consumer = make_consumer(config.kafka, None, topics.corrections, auto_offset_reset="earliest")
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            for records in consumer.poll(timeout_ms=200).values():
                now = time.time()
                for record in records:
                    event = orjson.loads(record.value)
                    # the notice's event, whatever type the classifier gives it (the measure is latency)
                    if (event.get("evidence") or {}).get("method") == "notice" and event.get("url"):
                        arrivals.setdefault(event["url"], now)
                        stamp = datetime.fromisoformat(event["detected_at"].replace("Z", "+00:00"))
                        detected.setdefault(event["url"], stamp.timestamp())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    results: list[tuple[float, int, int, list[float]]] = []
    print(f"e2e latency: {args.feeds} feeds, {args.seconds:.0f} s per rate, logs in {work}", file=sys.stderr)
    try:
        # warm-up: group joins, first polls, topic metadata (not measured)
        publisher.run(20, 8.0, "warm")
        time.sleep(8)
        for rate in rates:
            tag = f"r{int(rate)}"
            before = set(publisher.corrected_at)
            publisher.run(rate, args.seconds, tag)
            mine = {u: t for u, t in publisher.corrected_at.items() if u not in before}
            deadline = time.time() + args.drain
            while time.time() < deadline and not all(u in arrivals for u in mine):
                time.sleep(0.2)
            latencies = [arrivals[u] - t for u, t in mine.items() if u in arrivals]
            to_detect = [detected[u] - t for u, t in mine.items() if u in detected]
            to_reader = [arrivals[u] - detected[u] for u in mine if u in arrivals and u in detected]
            results.append((rate, len(mine), len(latencies), latencies))
            if latencies:
                print(
                    f"rate {rate:6.0f}/s  corrections {len(mine):6d}  arrived {len(latencies):6d}  "
                    f"p50 {percentile(latencies, 0.5):6.3f} s  p95 {percentile(latencies, 0.95):6.3f} s  "
                    f"p99 {percentile(latencies, 0.99):6.3f} s  mean {statistics.fmean(latencies):6.3f} s",
                    flush=True,
                )
                print(
                    f"{'':14}publish -> detected p50 {percentile(to_detect, 0.5):6.3f} s p99 "
                    f"{percentile(to_detect, 0.99):6.3f} s;  detected -> reader p50 "
                    f"{percentile(to_reader, 0.5):6.3f} s p99 {percentile(to_reader, 0.99):6.3f} s "
                    "(the detector's transaction and the read)",
                    flush=True,
                )
            else:
                print(f"rate {rate:6.0f}/s  corrections {len(mine):6d}  arrived 0", flush=True)
            for stage in stages:
                if stage.poll() is not None:
                    raise SystemExit(f"a pipeline process exited ({stage.args!r}); see {work}")
            time.sleep(3)
    finally:
        stop.set()
        reader.join(timeout=5)
        consumer.close()
        for stage in reversed(stages):
            stage.send_signal(signal.SIGTERM)
        for stage in stages:
            try:
                stage.wait(timeout=20)
            except subprocess.TimeoutExpired:
                stage.kill()
        for server in servers:
            server.shutdown()
        admin = make_admin(config.kafka)
        try:
            admin.delete_topics(list(vars(topics).values()))
        finally:
            admin.close()
    ok = [rate for rate, sent, got, lat in results if got == sent and lat and percentile(lat, 0.99) <= 1.0]
    print(f"highest rate with p99 <= 1 s and every event arrived: {max(ok):.0f}/s" if ok else
          "no rate met p99 <= 1 s with every event arrived")  # fmt: skip


if __name__ == "__main__":
    main()

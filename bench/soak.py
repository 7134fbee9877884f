"""Soak: the whole pipeline for N minutes on feeds that never stop changing; memory and DLQ.

    .venv/bin/python bench/soak.py [--minutes 30] [--feeds 8] [--tick 3]

Starts its own feed server (below; the bundled demo has only four steps): ``--feeds`` RSS feeds of
12 stories each. Every ``--tick`` seconds one story of every feed gets a new version (a live-blog
paragraph appended, a figure changed, a new headline, or a correction notice) and one story of one
feed is replaced by a brand-new article, so the producer, the normalizer and the detector always
have work and the detector's state grows slowly and knowably. The stages run as processes
(``newsstream produce | normalize | detect-corrections``) on the broker at KAFKA_BOOTSTRAP_SERVERS
(default 127.0.0.1:9092), with topics of their own (``soak-<id>.*``, deleted at the end).

Every ``--sample-seconds`` (60) it reads VmRSS from /proc/<pid>/status of each stage and a few of
its metrics. At the end it prints, per process, the least-squares slope of RSS in MB/min (over all
samples, and without the first ``--warmup`` minutes), the messages each stage handled, and every
DLQ record with its reason.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devtools.supervisor import Child, child_env  # noqa: E402
from newsstream.config import Config, KafkaSettings, Topics  # noqa: E402

PLACES = "Orrin Vale,Castlebrook,Hollin Quay,Marrow Fields,Upper Tarn,Saltmere,Greyford,Pellan Cross".split(",")
BODIES = "council,water board,school trust,harbour authority,rail operator,health board,library service".split(",")
TOPICS = "budget,repairs,timetable,opening hours,flood defences,parking charges,new clinic,bus routes".split(",")
VERBS = "approves,delays,rejects,reviews,expands,pauses,funds,questions".split(",")
LINES = (
    "Officials said the decision followed months of consultation with residents and local businesses.",
    "A spokesperson said further details would be published on the authority's website next week.",
    "Opposition members asked for an independent review of the costs before any work begins.",
    "Residents who spoke at the meeting said the change would affect families on the east side most.",
    "The plan will be reviewed again in the spring, when figures for the first quarter are available.",
    "Local traders welcomed the announcement but said they had expected it much earlier.",
)


@dataclass
class Story:
    """One item of a feed; every edit makes a new version."""

    slug: str
    title: str
    paragraphs: list[str]
    version: int = 1
    edits: list[str] = field(default_factory=list)


class SoakFeeds:
    """``feeds`` RSS feeds whose stories change every ``tick`` seconds (deterministic per seed)."""

    def __init__(self, feeds: int, stories: int = 12, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.counter = 0
        self.feeds = [[self._new_story(f) for _ in range(stories)] for f in range(feeds)]
        self.versions = sum(len(f) for f in self.feeds)
        self.new_articles = self.versions

    def _new_story(self, feed: int) -> Story:
        self.counter += 1
        n, r = self.counter, self.rng
        place, body, topic = r.choice(PLACES), r.choice(BODIES), r.choice(TOPICS)
        title = f"{place} {body} {r.choice(VERBS)} {topic} plan ({n})"
        paragraphs = [
            f"{place.upper()} - The {body} on Tuesday said it had {r.randint(2, 90)} proposals on {topic} "
            f"before it, the largest number since story {n} began.",
            *r.sample(LINES, 3),
        ]
        return Story(f"f{feed}-story-{n}", title, paragraphs)

    def tick(self) -> None:
        """One version for one story of every feed, and one feed's oldest story replaced."""
        with self.lock:
            for feed in self.feeds:
                story = self.rng.choice(feed)
                kind = self.rng.choice(("append", "figure", "headline", "notice"))
                if kind == "append":
                    story.paragraphs.append(
                        f"Update {story.version}: {self.rng.choice(LINES)} The meeting resumed at "
                        f"{self.rng.randint(1, 11)}pm."
                    )
                elif kind == "figure":
                    story.paragraphs[0] = story.paragraphs[0].replace(" had ", f" had {self.rng.randint(2, 9)}0 or ", 1)
                elif kind == "headline":  # toggles a suffix, so a story has at most two headlines
                    suffix = ", officials confirm"
                    head, tail = story.title.rsplit(" (", 1)
                    head = head.removesuffix(suffix) if head.endswith(suffix) else head + suffix
                    story.title = f"{head} ({tail}"
                else:
                    story.paragraphs.append(
                        f"Correction: An earlier version of this article misstated the number of proposals; "
                        f"it was {self.rng.randint(2, 90)}, not {self.rng.randint(2, 90)}."
                    )
                story.version += 1
                self.versions += 1
            index = self.rng.randrange(len(self.feeds))
            self.feeds[index].pop(0)
            self.feeds[index].append(self._new_story(index))
            self.new_articles += 1
            self.versions += 1

    def render(self, feed: int, base: str) -> bytes:
        with self.lock:
            items = []
            for s in reversed(self.feeds[feed]):
                link = f"{base}/news/{s.slug}"
                html = "".join(f"<p>{escape(p)}</p>" for p in s.paragraphs)
                items.append(
                    f"<item><title>{escape(s.title)}</title><link>{link}</link><guid>{link}</guid>"
                    f"<pubDate>{format_datetime(_published(s), usegmt=True)}</pubDate>"
                    f"<description>{escape(s.paragraphs[0][:120])}</description>"
                    f"<content:encoded><![CDATA[{html}]]></content:encoded></item>"
                )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>Soak feed {feed}</title><link>{base}/</link><description>soak</description>"
            + "".join(items)
            + "</channel></rss>"
        ).encode()


def _published(story: Story) -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=int(story.slug.rsplit("-", 1)[1]))


def serve(feeds: SoakFeeds, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            try:
                index = int(self.path.strip("/").split("/")[1].removesuffix(".xml"))
                body = feeds.render(index, f"http://127.0.0.1:{port}")
            except (IndexError, ValueError):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True).start()
    return server


# --- measuring --------------------------------------------------------------------------------


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def scrape(port: int) -> dict[str, float]:
    """``name{labels}`` -> value for the newsstream_* samples of one stage."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=3) as response:  # noqa: S310
            text = response.read().decode()
    except OSError:
        return {}
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("newsstream_") and not s.name.endswith(("_bucket", "_created")):
                labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()) if k not in ("le",))
                out[f"{s.name}{{{labels}}}"] = s.value
    return out


def wait_ready(ports: dict[str, int], children: dict[str, Child], timeout_s: float = 90) -> None:
    """Until every stage answers /readyz (the producer after its first round, consumers once assigned)."""
    deadline = time.monotonic() + timeout_s
    for name, port in ports.items():
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or children[name].exit_code() is not None:
                raise RuntimeError(f"{name} is not ready; see {children[name].log_path}")
            time.sleep(0.2)


def total(metrics: dict[str, float], prefix: str) -> float:
    return sum(v for k, v in metrics.items() if k.startswith(prefix))


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (minutes, MB) points, MB/min."""
    if len(points) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return None if sxx == 0 else sum((x - mx) * (y - my) for x, y in points) / sxx


def dlq_records(config: Config) -> list[tuple[str, str, str]]:
    from kafka import TopicPartition

    from newsstream.kafka_clients import make_consumer

    consumer = make_consumer(config.kafka, None)
    found: list[tuple[str, str, str]] = []
    try:
        parts = [TopicPartition(config.topics.dlq, p) for p in consumer.partitions_for_topic(config.topics.dlq) or []]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        deadline = time.monotonic() + 30
        while any(consumer.position(tp) < ends[tp] for tp in parts) and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                for r in records:
                    h = {k: (v or b"").decode("utf-8", "replace") for k, v in r.headers or []}
                    found.append((h.get("stage", "?"), h.get("error.reason", "?"), h.get("error.message", "")[:160]))
    finally:
        consumer.close()
    return found


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--feeds", type=int, default=8)
    parser.add_argument("--tick", type=float, default=3.0, help="seconds between rounds of edits (3)")
    parser.add_argument("--sample-seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=1.0, help="minutes left out of the second slope (1)")
    parser.add_argument("--port", type=int, default=19450, help="feed server port (19450); stages use the next 3")
    parser.add_argument("--keep-topics", action="store_true")
    args = parser.parse_args()

    from newsstream.topics import create_topics

    run_id = uuid.uuid4().hex[:6]
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    topics = Topics(**{k: f"soak-{run_id}.{v}" for k, v in vars(Topics()).items()})
    workdir = Path(os.environ.get("SOAK_DIR", f"/tmp/newsstream-soak-{run_id}"))
    config = Config().with_overrides(kafka=KafkaSettings(bootstrap_servers=bootstrap), topics=topics)
    create_topics(config)
    feeds = SoakFeeds(args.feeds)
    server = serve(feeds, args.port)
    feeds_file = workdir / "feeds.toml"
    workdir.mkdir(parents=True, exist_ok=True)
    feeds_file.write_text(
        '[defaults]\ninterval = "1s"\n'
        + "".join(
            f'\n[[feeds]]\nurl = "http://127.0.0.1:{args.port}/feed/{i}.xml"\nname = "Soak {i}"\n'
            f'publisher = "Soak Publisher {i % 3}"\nlanguage = "en"\ntype = "rss"\n'
            for i in range(args.feeds)
        )
    )
    env = child_env(
        KAFKA_BOOTSTRAP_SERVERS=bootstrap, NEWSSTREAM_LOG_FORMAT="console", NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES="1",
        NEWSSTREAM_POLL_FLOOR_SECONDS="1", NEWSSTREAM_METRICS_HOST="127.0.0.1",
        NEWSSTREAM_STATE_DIR=str(workdir / "state"),
        **{f"NEWSSTREAM_TOPIC_{k.upper()}": v for k, v in vars(topics).items()},
    )  # fmt: skip
    env.pop("NEWSSTREAM_METRICS_PORT", None)
    stages = {
        "produce": ["produce", "--feeds", str(feeds_file), "--metrics-port", str(args.port + 1)],
        "normalize": ["normalize", "--group", f"soak-{run_id}-n", "--instance-id", f"soak-{run_id}"],
        "detect": ["detect-corrections", "--group", f"soak-{run_id}-d", "--instance-id", f"soak-{run_id}"],
    }
    ports = {"produce": args.port + 1, "normalize": args.port + 2, "detect": args.port + 3}
    children = {}
    for name, argv in stages.items():
        child_env_ = {**env, "NEWSSTREAM_METRICS_PORT": str(ports[name])}
        children[name] = Child(name, argv, child_env_, workdir / "logs" / f"{name}.log", ports[name])
        children[name].start()
    print(f"soak {run_id}: {args.feeds} feeds, a round of edits every {args.tick:.0f} s, {args.minutes:g} min; "
          f"broker {bootstrap}; logs in {workdir / 'logs'}")  # fmt: skip

    wait_ready(ports, children)
    stop = threading.Event()

    def ticker() -> None:
        while not stop.wait(args.tick):
            feeds.tick()

    threading.Thread(target=ticker, daemon=True).start()
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in children}
    started = time.monotonic()
    end = started + args.minutes * 60
    last: dict[str, dict[str, float]] = {}
    normalized_key = f"newsstream_messages_produced_total{{stage=normalize,topic={topics.normalized}"
    print(f"{'min':>5} " + " ".join(f"{n + ' MB':>12}" for n in children) + "  raw  norm  events  dlq  state  titles")
    try:
        next_sample = started
        while True:
            now = time.monotonic()
            if now >= next_sample:
                minute = (now - started) / 60
                for name, child in children.items():
                    if child.exit_code() is not None:
                        raise RuntimeError(f"{name} exited with {child.exit_code()}; see {child.log_path}")
                    value = rss_mb(child.process.pid) if child.process else None
                    if value is not None:
                        samples[name].append((minute, value))
                last = {name: scrape(port) for name, port in ports.items()}
                raw = total(last["produce"], "newsstream_messages_produced_total")
                norm = total(last["normalize"], normalized_key)
                events = total(last["detect"], "newsstream_corrections_total")
                dlq = sum(total(m, "newsstream_dlq_messages_total") for m in last.values())
                state = total(last["detect"], "newsstream_detector_state_articles")
                titles = total(last["detect"], "newsstream_title_index_entries")
                rss = " ".join(f"{samples[n][-1][1] if samples[n] else float('nan'):12.1f}" for n in children)
                print(f"{minute:5.1f} {rss} {raw:5.0f} {norm:5.0f} {events:7.0f} {dlq:4.0f} {state:6.0f} {titles:7.0f}",
                      flush=True)  # fmt: skip
                next_sample += args.sample_seconds
            if now >= end:
                break
            time.sleep(min(1.0, max(0.05, min(next_sample, end) - time.monotonic())))
    finally:
        stop.set()
        for child in (children["produce"], children["normalize"], children["detect"]):
            print("  " + child.stop())
        server.shutdown()

    print(f"\nfeeds: {feeds.versions} versions served ({feeds.new_articles} articles) in {args.minutes:g} min")
    print(f"{'process':10} {'first MB':>9} {'last MB':>8} {'slope MB/min':>13} {'after warm-up':>14}")
    for name, points in samples.items():
        late = [(x, y) for x, y in points if x >= args.warmup]
        s_all, s_late = slope(points), slope(late)
        fmt = lambda v: "-" if v is None else f"{v:+.3f}"  # noqa: E731
        print(f"{name:10} {points[0][1]:9.1f} {points[-1][1]:8.1f} {fmt(s_all):>13} {fmt(s_late):>14}")
    records = dlq_records(config)
    reasons: dict[tuple[str, str], int] = {}
    for stage, reason, _ in records:
        reasons[(stage, reason)] = reasons.get((stage, reason), 0) + 1
    print(f"DLQ: {len(records)} records" + "".join(f"; {s}/{r}: {n}" for (s, r), n in sorted(reasons.items())))
    for stage, reason, message in records[:10]:
        print(f"  {stage} {reason}: {message}")
    if not args.keep_topics:
        from newsstream.kafka_clients import make_admin

        admin = make_admin(config.kafka)
        try:
            admin.delete_topics(list(vars(topics).values()))
        finally:
            admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Stage throughput through the real broker vs a bare pass-through, same settings, one run.

    .venv/bin/python bench/stage_throughput.py [--messages 20000] [--stage normalize|detect|both]

Each variant reads the same input (realistic ~5 KB HTML RawArticles, or their NormalizedArticles for
the detector) from a fresh topic with 3 partitions, with the same runner: batches of 500, one Kafka
transaction per batch with the offsets, read_committed. The pass-through copies each record
unchanged; the stages decode, validate, transform and encode. Prints messages/s and the ratio.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kafka.admin import NewTopic  # noqa: E402

from newsstream import codec  # noqa: E402
from newsstream.config import Config, KafkaSettings, Topics  # noqa: E402
from newsstream.kafka_clients import make_admin, make_producer  # noqa: E402
from newsstream.messages import headers_for  # noqa: E402
from newsstream.runner import Output, Runner, RunnerOptions, StageBase  # noqa: E402
from newsstream.shutdown import Shutdown  # noqa: E402

WORDS = (
    "council budget harbour ferry schedule residents evening vote mayor district school repairs bridge "
    "funding committee report weather storm flood river league season coach transfer museum exhibit "
    "hospital nurses shift strike union wages inflation rates bank lending housing rent tenants"
).split()


def html_article(rng: random.Random, i: int) -> str:
    paragraphs = []
    while sum(len(p) for p in paragraphs) < 4800:
        sentence_count = rng.randint(2, 5)
        sentences = [
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
            for _ in range(sentence_count)
        ]
        paragraphs.append(" ".join(sentences))
    return "".join(f"<p>{p}</p>" for p in paragraphs) + f'<p class="share">Share this article {i}</p>'


def raw_articles(n: int) -> list[dict]:
    from newsstream.canonical_url import article_id, canonical_url

    rng = random.Random(7)
    out = []
    for i in range(n):
        link = f"https://bench.example.org/news/{i}"
        out.append(
            {
                "article_id": article_id(link),
                "source": "feed",
                "feed": {"url": "http://127.0.0.1/feed", "title": "Bench", "publisher": "Bench Daily"},
                "fetched_at": "2026-11-25T08:00:00Z",
                "http": {"status": 200, "final_url": "http://127.0.0.1/feed", "etag": None, "last_modified": None},
                "entry": {
                    "guid": link,
                    "link": link,
                    "title": f"Story {i}: " + " ".join(rng.sample(WORDS, 6)),
                    "summary": None,
                    "content": [{"type": "text/html", "language": "en", "value": html_article(rng, i)}],
                    "published": {"raw": "x", "utc": "2026-11-25T07:00:00Z"},
                    "updated": None,
                    "authors": ["Desk"],
                    "tags": ["local"],
                    "enclosures": [],
                    "canonical_url": canonical_url(link),  # as the producers send it (issue 13)
                },
                "producer": {"name": "bench", "version": "0"},
            }
        )
    return out


class PassThrough(StageBase):
    name = "passthrough"

    def __init__(self, source: str, sink: str) -> None:
        self.source, self.sink = source, sink

    def input_topics(self) -> list[str]:
        return [self.source]

    def process(self, record):  # type: ignore[no-untyped-def]
        return [Output(self.sink, record.key, record.value, list(record.headers or []))]

    def on_assigned(self, partitions) -> None:  # type: ignore[no-untyped-def]
        pass

    def on_revoked(self, partitions) -> None:  # type: ignore[no-untyped-def]
        pass


def fill(config: Config, topic: str, messages: list[tuple[bytes, bytes, list]]) -> None:
    producer = make_producer(config.kafka, linger_ms=20, batch_size=256 * 1024)
    for key, value, headers in messages:
        producer.send(topic, key=key, value=value, headers=headers)
    producer.flush()
    producer.close()


def timed_run(stage, config: Config, expected: int, workers: int = 1) -> float:  # type: ignore[no-untyped-def]
    runner = Runner(
        stage,
        config,
        RunnerOptions(group_id=f"bench-{uuid.uuid4().hex[:6]}", instance_id=uuid.uuid4().hex[:6], workers=workers),
        shutdown=Shutdown(),
    )
    done = threading.Event()
    consumed = 0
    original = runner.run_once

    def counting_run_once() -> int:
        nonlocal consumed
        n = original()
        consumed += n
        if consumed >= expected:
            done.set()
            runner.shutdown.request()
        return n

    runner.run_once = counting_run_once  # type: ignore[method-assign]
    thread = threading.Thread(target=runner.run, kwargs={"serve_health": False})
    started = None
    thread.start()
    while started is None and not done.is_set():
        if consumed:
            started = time.perf_counter()  # from the first committed batch: excludes group join
            first = consumed
        time.sleep(0.001)
    done.wait()
    elapsed = time.perf_counter() - (started or time.perf_counter())
    thread.join()
    return (expected - (first if started else 0)) / elapsed if elapsed else float("nan")


def compare(
    label: str,
    stage,
    config: Config,
    admin,
    messages: list,
    source: str,
    expected: int,  # type: ignore[no-untyped-def]
    workers: int = 1,
) -> None:
    """Fill the pass-through's input and the stage's input with the same messages; time both."""
    suffix = uuid.uuid4().hex[:6]
    pt_in, pt_out = f"bench.pt-in.{suffix}", f"bench.pt-out.{suffix}"
    admin.create_topics([NewTopic(pt_in, 3, 1), NewTopic(pt_out, 3, 1)])
    fill(config, pt_in, messages)
    fill(config, source, messages)
    bare = timed_run(PassThrough(pt_in, pt_out), config, expected)
    staged = timed_run(stage, config, expected, workers)
    print(
        f"{label:10} pass-through {bare:7.0f} msg/s   stage {staged:7.0f} msg/s   ratio {staged / bare:.2f}"
        f"   (stage with {workers} transform worker{'s' if workers > 1 else ''})"
    )
    admin.delete_topics([pt_in, pt_out])


def per_article_us(fn, items: list) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall, CPU) microseconds per item of ``fn`` over ``items``, after a warm-up on the first 100."""
    for item in items[:100]:
        fn(item)
    wall, cpu = time.perf_counter(), time.process_time()
    for item in items:
        fn(item)
    n = len(items)
    return (time.perf_counter() - wall) / n * 1e6, (time.process_time() - cpu) / n * 1e6


def print_pure_costs(raws: list[dict]) -> None:
    """µs per article of the pure functions, without Kafka (CPU time is less disturbed by a busy machine)."""
    from consumers.detect import detect
    from consumers.normalize import normalize
    from consumers.title_index import TitleIndex

    sample = raws[:2000]
    wall, cpu = per_article_us(normalize, sample)
    print(f"normalize() {wall:6.0f} µs per article wall, {cpu:6.0f} µs CPU  ({len(sample)} ~5 KB HTML articles)")
    normalized = [normalize(r) for r in sample]
    titles = TitleIndex()
    wall, cpu = per_article_us(lambda a: detect(None, a, titles=titles), normalized)
    print(f"detect()    {wall:6.0f} µs per article wall, {cpu:6.0f} µs CPU  (first versions)")
    states = {a["id"]: detect(None, a, titles=titles)[1] for a in normalized}
    edited = [{**a, "body_text": a["body_text"] + " Updated.", "fingerprint": None} for a in normalized]
    wall, cpu = per_article_us(lambda a: detect(states[a["id"]], a, titles=titles), edited)
    print(f"detect()    {wall:6.0f} µs per article wall, {cpu:6.0f} µs CPU  (second versions, body edited)")


def fresh_config(kafka: KafkaSettings, admin, tag: str) -> Config:  # type: ignore[no-untyped-def]
    """A Config whose topics are new (3 partitions each), so every variant starts from empty topics."""
    suffix = f"{tag}.{uuid.uuid4().hex[:6]}"
    topics = Topics(**{k: f"bench.{v}.{suffix}" for k, v in vars(Topics()).items()})
    admin.create_topics([NewTopic(n, 3, 1) for n in vars(topics).values()])
    return Config(kafka=kafka, topics=topics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--stage", choices=("normalize", "detect", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2, help="also run the normalizer with this many workers (2)")
    args = parser.parse_args()
    kafka = KafkaSettings(bootstrap_servers=args.bootstrap)
    admin = make_admin(kafka)
    print(f"preparing {args.messages} RawArticles (~5 KB HTML each)", file=sys.stderr)
    raws = raw_articles(args.messages)
    print_pure_costs(raws)
    used: list[Config] = []
    try:
        if args.stage in ("normalize", "both"):
            from consumers.normalize_stage import NormalizeStage

            messages = [(r["article_id"].encode(), codec.dumps(r), headers_for("raw-article")) for r in raws]
            size = sum(len(m[1]) for m in messages) / len(messages)
            print(f"RawArticle size {size:.0f} bytes on average", file=sys.stderr)
            for workers in sorted({1, args.workers}):
                config = fresh_config(kafka, admin, f"w{workers}")
                used.append(config)
                stage = NormalizeStage(config)
                compare("normalize", stage, config, admin, messages, config.topics.raw, args.messages, workers)
        if args.stage in ("detect", "both"):
            from consumers.detect_stage import DetectStage
            from consumers.normalize import normalize

            normalized = [normalize(r) for r in raws]
            messages = [(n["id"].encode(), codec.dumps(n), headers_for("normalized-article")) for n in normalized]
            config = fresh_config(kafka, admin, "detect")
            used.append(config)
            compare("detect", DetectStage(config), config, admin, messages, config.topics.normalized, args.messages)
    finally:
        admin.delete_topics([name for config in used for name in vars(config.topics).values()])
        admin.close()


if __name__ == "__main__":
    main()

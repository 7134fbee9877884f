"""Restore time of the detector's state from its changelog, through the real broker.

    .venv/bin/python bench/detector_restore_bench.py [--records 100000] [--chars 3000] [--titles 0]

Writes N state records (``ArticleState.to_dict()`` of realistic articles: id ``u:<24 hex>``, a title,
a ~3,000-character body by default, a SHA-256 content hash) to a fresh compacted topic with 3
partitions on ``KAFKA_BOOTSTRAP_SERVERS`` (default 127.0.0.1:9092), optionally M title records to a
fresh titles topic, then times ``DetectStage.on_assigned`` for all 3 partitions (it follows the
titles topic as a global table, then reads each changelog partition to its end with
``newsstream.changelog.restore`` and decodes every record with ``ArticleState.from_dict``). Prints
records/s and seconds, the resident memory the restored store added, and a linear extrapolation to
1 M articles: restore is one sequential read and decode per record, so time scales with the
records in the changelog (after compaction: one per article). Topics are deleted at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from detect_bench import PUBLISHERS, article_id, body, sentences, vm_rss  # noqa: E402
from kafka import TopicPartition  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402

from consumers.detect import detect  # noqa: E402
from consumers.detect_stage import DetectStage  # noqa: E402
from consumers.title_index import title_key  # noqa: E402
from newsstream import codec  # noqa: E402
from newsstream.config import Config, KafkaSettings  # noqa: E402
from newsstream.kafka_clients import make_admin, make_producer  # noqa: E402

PARTITIONS = 3


def state_records(n: int, chars: int) -> list[tuple[bytes, bytes]]:
    """(key, value) of n changelog records; 300 real states built by detect(), varied per record."""
    rng = random.Random(3)
    pool = sentences()
    templates = []
    for t in range(300):
        text = body(rng, pool, chars)
        _, state = detect(
            None,
            {
                "id": article_id(t),
                "title": rng.choice(pool)[:80],
                "body_text": text,
                "publisher": PUBLISHERS[t % len(PUBLISHERS)],
                "content_hash": hashlib.sha256(text.encode()).hexdigest(),
                "language": "en",
            },
        )
        templates.append(state.to_dict())
    records = []
    for i in range(n):
        ident = article_id(i)
        record = {**templates[i % len(templates)], "article_id": ident, "title": f"{templates[i % 300]['title']} {i}"}
        record["content_hash"] = hashlib.sha256(ident.encode()).hexdigest()
        records.append((ident.encode(), codec.dumps(record)))
    return records


def write(kafka: KafkaSettings, topics: Any, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    records = state_records(args.records, args.chars)
    size = sum(len(v) for _, v in records) / len(records)
    took = time.perf_counter() - started
    print(f"built {len(records):,} state records, {size:,.0f} B each on average ({took:.1f} s)")
    producer = make_producer(kafka, linger_ms=20, batch_size=512 * 1024)
    started = time.perf_counter()
    for i, (key, value) in enumerate(records):
        producer.send(topics.detector_state, key=key, value=value, partition=i % PARTITIONS)
    for i in range(args.titles):
        key = title_key(PUBLISHERS[i % len(PUBLISHERS)], f"Headline number {i} about something")
        producer.send(topics.titles, key=key.encode(), value=article_id(i).encode())
    producer.flush()
    producer.close()
    print(f"wrote them to {topics.detector_state} ({PARTITIONS} partitions) in {time.perf_counter() - started:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--chars", type=int, default=3_000, help="body length of the articles the states describe")
    parser.add_argument("--titles", type=int, default=0, help="title records to load through the global table too")
    parser.add_argument("--bootstrap", default=None, help="default: KAFKA_BOOTSTRAP_SERVERS or 127.0.0.1:9092")
    args = parser.parse_args()
    bootstrap = args.bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    kafka = KafkaSettings(bootstrap_servers=bootstrap)
    suffix = uuid.uuid4().hex[:8]
    base = Config()
    topics = type(base.topics)(**{k: f"bench.{v}.{suffix}" for k, v in vars(base.topics).items()})
    config = base.with_overrides(kafka=kafka, topics=topics)
    admin = make_admin(kafka)
    created = [topics.detector_state, topics.titles]
    admin.create_topics(
        [
            NewTopic(
                name, PARTITIONS if name == topics.detector_state else 1, 1, topic_configs={"cleanup.policy": "compact"}
            )
            for name in created
        ]
    )
    stage = None
    try:
        # generate and write in a child process, so this process's resident memory grows only by
        # what the restore builds
        writer = multiprocessing.get_context("fork").Process(target=write, args=(kafka, topics, args))
        writer.start()
        writer.join()
        if writer.exitcode != 0:
            raise RuntimeError(f"writer failed with exit code {writer.exitcode}")

        registry = CollectorRegistry()
        stage = DetectStage(config, registry)
        stage.bind_metrics(registry)
        before = vm_rss()
        started = time.perf_counter()
        stage.on_assigned({TopicPartition(topics.normalized, p) for p in range(PARTITIONS)})
        total = time.perf_counter() - started
        restored = sum(len(s) for s in stage.stores.values())
        grown = vm_rss() - before
        restore_s = registry.get_sample_value("newsstream_detector_restore_seconds") or total
        assert restored == args.records, (restored, args.records)
        assert len(stage.titles) == args.titles, (len(stage.titles), args.titles)
        rate = restored / restore_s
        print(f"\non_assigned for {PARTITIONS} partitions: {total:.2f} s in all")
        if args.titles:
            print(f"  title table: {args.titles:,} titles in {total - restore_s:.2f} s")
        print(f"  state restore: {restored:,} records in {restore_s:.2f} s = {rate:,.0f} records/s")
        print(f"  resident memory added: {grown / 2**20:,.0f} MiB = {grown / restored:,.0f} B/article")
        print(
            f"  extrapolated to 1 M articles (linear, one record per article after compaction): "
            f"{1e6 / rate:,.0f} s; per partition of 3: {1e6 / PARTITIONS / rate:,.0f} s"
        )
    finally:
        if stage is not None and stage.table is not None:
            stage.table.stop()
        admin.delete_topics(created)
        admin.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

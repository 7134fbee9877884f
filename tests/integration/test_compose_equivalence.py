"""docker-compose.yml's demo profile, run without Docker: every application service starts on this
machine with the command and environment the file declares (compose_stack.py says what changes
and why), becomes healthy by its own healthcheck, topic-init exits 0, and the demo's seed
correction reaches the corrections topic, and the pages stage revisits the demo's article pages.

The stack (an isolated broker on 19892, the services on 19801-19890) is shared with
test_prometheus_live.py and starts once per session.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.compose_stack import (
    APP_IMAGE,
    COMPOSE,
    PORTS,
    ComposeStack,
    Service,
    dockerfile_env,
    dockerfile_exec,
    profile_services,
    run_healthcheck,
    shared_stack,
    wait_healthy,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(request: pytest.FixtureRequest) -> ComposeStack:
    return shared_stack(request)


def app_services(stack: ComposeStack) -> dict[str, dict[str, Any]]:
    demo = profile_services(stack.compose, "demo")
    return {n: s for n, s in demo.items() if str(s.get("image", "")).startswith(APP_IMAGE)}


def translated_as_allowed(stack: ComposeStack, service: Service, declared: str, ran: str) -> bool:
    """A value that differs from the file only by a host name, a port or a container path."""
    if ran == declared:
        return True
    if declared == "kafka:29092":
        return ran == stack.bootstrap
    if declared.isdigit():
        return ran == str(PORTS.get(int(declared)))
    if declared.startswith("/"):
        return ran == f"{service.root}{declared}"
    # host:port inside a value (a database URL): only the compose host names and ports change.
    return "://" in declared and ran == stack.translation.text(declared)


def test_every_app_service_of_the_demo_profile_runs_as_the_file_declares(stack: ComposeStack) -> None:
    declared = app_services(stack)
    assert {"topic-init", "demo-feeds", "demo-producer", "normalizer", "detector", "demo-pages"} <= set(declared)
    assert set(declared) <= set(stack.services), "an application service of the demo profile was not started"
    entrypoint = dockerfile_exec("ENTRYPOINT")
    image_env = dockerfile_env()
    for name, spec in declared.items():
        service = stack.services[name]
        command = [str(a) for a in spec["command"]]
        assert service.argv[: len(entrypoint)] == entrypoint, name
        args = service.argv[len(entrypoint) :]
        assert len(args) == len(command), (name, args, command)
        for want, ran in zip(command, args, strict=True):
            assert translated_as_allowed(stack, service, want, ran), f"{name}: argument {want!r} ran as {ran!r}"
        environment = {k: str(v) for k, v in spec["environment"].items()}
        # Exactly the image's ENV plus the service's environment: nothing from the test's own shell.
        assert set(service.env) == set(image_env) | set(environment) | {"PATH", "HOME", "LANG"}, name
        for key, want in {**image_env, **environment}.items():
            assert translated_as_allowed(stack, service, want, service.env[key]), f"{name}: {key}={want!r}"


def test_mounted_demo_feed_list_differs_only_in_the_feed_host(stack: ComposeStack) -> None:
    producer = stack.services["demo-producer"]
    mount = next(v for v in producer.spec["volumes"] if v.startswith("./deploy/demo-feeds.toml:"))
    host_file = (COMPOSE.parent / mount.split(":")[0]).read_text(encoding="utf-8")
    ran_file = Path(producer.env["NEWSSTREAM_FEEDS"]).read_text(encoding="utf-8")
    assert "http://demo-feeds:8642/" in host_file
    assert ran_file == host_file.replace("http://demo-feeds:8642/", f"http://127.0.0.1:{PORTS[8642]}/")


def test_topic_init_exits_zero_and_creates_the_default_topics(stack: ComposeStack) -> None:
    from newsstream.config import Config, KafkaSettings
    from newsstream.kafka_clients import make_consumer

    service = stack.services["topic-init"]
    assert service.process is not None and service.process.wait(timeout=60) == 0, service.log_tail()
    consumer = make_consumer(KafkaSettings(bootstrap_servers=stack.bootstrap), None)
    try:
        existing = consumer.topics()
        raw_partitions = consumer.partitions_for_topic(Config().topics.raw)
    finally:
        consumer.close()
    assert set(vars(Config().topics).values()) <= existing
    declared = service.spec["environment"]["NEWSSTREAM_PARTITIONS"]
    assert raw_partitions is not None and len(raw_partitions) == int(declared)


def test_every_long_running_service_passes_its_declared_healthcheck(stack: ComposeStack) -> None:
    checked = []
    for name, service in stack.services.items():
        if service.healthcheck is None:
            assert name == "topic-init" and service.spec["healthcheck"]["disable"] is True
            continue
        wait_healthy(service, timeout_s=60)
        stack.running(name)
        checked.append(name)
    assert {"demo-feeds", "demo-producer", "normalizer", "detector", "demo-pages"} <= set(checked)
    if "prometheus" in profile_services(stack.compose, "demo") and "prometheus" not in checked:
        # Started only where Debian's prometheus is installed: .ci/run installs it, so CI must have it.
        assert not os.environ.get("CI"), "prometheus is not installed; .ci/run must install it"
    # The image's healthcheck can fail: pointed at a port where nothing listens, it does.
    detector = stack.services["detector"]
    nowhere = Service("nowhere", {}, detector.root, [], {**detector.env, "NEWSSTREAM_METRICS_PORT": "19899"},
                      detector.healthcheck)  # fmt: skip
    assert run_healthcheck(nowhere).returncode != 0


def test_the_demo_seed_correction_flows_to_the_corrections_topic(stack: ComposeStack) -> None:
    from devtools.demo.content import DRONE_TITLE, MILITIA_TITLE

    event = stack.wait_for_seed_correction(timeout_s=90)
    assert event["type"] == "correction"
    assert event["title"] == MILITIA_TITLE
    reference = event["referenced_article"]
    assert reference["title"] == DRONE_TITLE
    assert str(reference.get("article_id") or "").startswith("u:"), reference  # resolved to the earlier piece
    assert event["url"].startswith(f"http://127.0.0.1:{PORTS[8642]}/zagros/")


def test_the_archive_writes_the_demo_to_postgres_and_the_web_page_serves_it(stack: ComposeStack) -> None:
    """archive → the postgres service (Debian's PostgreSQL standing in for the image) → web, as declared."""
    import json
    import urllib.request

    stack.running("archive")
    wait_healthy(stack.services["web"], timeout_s=60)
    base = f"http://127.0.0.1:{PORTS[8080]}"
    deadline = time.monotonic() + 90
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        with urllib.request.urlopen(base + "/api/stats", timeout=5) as response:  # noqa: S310 - loopback
            stats = json.load(response)
        if stats["versions"] >= 10 and stats["events"] >= 5:
            break
        time.sleep(1)
    assert stats["versions"] >= 10 and stats["events"] >= 5, stats
    with urllib.request.urlopen(base + "/api/events?limit=1", timeout=5) as response:  # noqa: S310
        event = json.load(response)["events"][0]
    with urllib.request.urlopen(f"{base}/article/{event['article_id']}", timeout=5) as response:  # noqa: S310
        page = response.read().decode()
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert event["title"].split()[0] in page


def test_demo_pages_revisits_the_demo_article_pages(stack: ComposeStack) -> None:
    """The pages service, as declared, learns the demo's articles from the normalized topic and sends a
    page version (source "page", the feed article's id) to the raw topic at its first ladder step."""
    from newsstream import codec
    from newsstream.config import Config, KafkaSettings
    from newsstream.kafka_clients import make_consumer
    from producers.pages.settings import PagesConfig

    pages = stack.running("demo-pages")
    first_step = PagesConfig.from_env(pages.env).ladder[0]
    consumer = make_consumer(KafkaSettings(bootstrap_servers=stack.bootstrap), None, Config().topics.raw)
    feed_ids: set[str] = set()
    page_version = None
    deadline = time.monotonic() + first_step + 90
    try:
        while page_version is None and time.monotonic() < deadline:
            stack.running("demo-pages")
            for records in consumer.poll(timeout_ms=500).values():
                for record in records:
                    article = codec.loads(record.value)
                    if article.get("source") == "page":
                        page_version = page_version or article
                    else:
                        feed_ids.add(article["article_id"])
    finally:
        consumer.close()
    assert page_version is not None, f"no page version on the raw topic:\n{pages.log_tail()}"
    assert page_version["article_id"] in feed_ids  # the same id as the feed article it revisits
    assert page_version["entry"]["link"].startswith(f"http://127.0.0.1:{PORTS[8642]}/")


def test_the_demo_producer_polls_every_feed_at_least_once_per_demo_step() -> None:
    """Without this the compose demo skips versions: edits and live-blog updates between polls are lost."""
    from newsstream.cli import build_parser
    from newsstream.config import Config
    from producers.feeds import load_feeds
    from producers.schedule import ADAPT_FACTOR, DEFAULT_JITTER
    from tests.integration.compose_stack import load_compose

    services = load_compose()["services"]
    step_s = build_parser().parse_args([str(a) for a in services["demo-feeds"]["command"]]).step_seconds
    producer = services["demo-producer"]
    config = Config.from_env({**dockerfile_env(), **{k: str(v) for k, v in producer["environment"].items()}})
    mount = next(v for v in producer["volumes"] if v.endswith(f":{producer['environment']['NEWSSTREAM_FEEDS']}:ro"))
    feeds = load_feeds(COMPOSE.parent / mount.split(":")[0])
    # The schedule keeps an interval within ADAPT_FACTOR of the configured one, never under the floor.
    worst_gap_s = max(max(config.poll_floor_seconds, f.interval_s * ADAPT_FACTOR) for f in feeds) * (1 + DEFAULT_JITTER)
    assert worst_gap_s < step_s, f"a feed may go {worst_gap_s:.0f} s between polls; the demo steps every {step_s:.0f} s"

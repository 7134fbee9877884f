"""The producer registry end to end: the example plugin package (examples/csv-producer) is
pip-installed into a temporary target, found through the ``newsstream.producers`` entry point and
run by ``newsstream produce --once`` against a real broker; the JSON Feed producer is found too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import schemas
from newsstream import codec
from newsstream.config import Config
from producers.base import Registry
from producers.jsonfeed import JsonFeedProducer
from producers.rss import RssProducer
from tests.integration.test_produce import FeedServer, create_raw_topic, read_all
from tests.integration.test_produce import feed_server as feed_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "csv-producer"

CSV = b"""link,title,summary,published
https://csv.example/one,First story,About the first,2024-05-06T07:08:09+02:00
https://csv.example/two,Second story,About the second,
,No link row,skipped,
"""


def test_builtin_producers_come_from_the_registry() -> None:
    registry = Registry()
    assert {"rss", "jsonfeed"} <= set(registry.names())
    assert isinstance(registry.get("rss"), RssProducer)
    assert isinstance(registry.get("jsonfeed"), JsonFeedProducer)
    with pytest.raises(LookupError, match="no producer of type 'nope'"):
        registry.get("nope")


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("plugin-site")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(EXAMPLE)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert list(target.glob("newsstream_example_csv-*.dist-info"))
    return target


def test_example_plugin_runs_through_the_registry(
    plugin_path: Path,
    kafka_config: Config,
    feed_server: FeedServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = kafka_config
    create_raw_topic(config)
    feed_server.documents = {"/latest.csv": (CSV, "text/csv", True)}
    feeds_file = tmp_path / "feeds.toml"
    feeds_file.write_text(f'[[feeds]]\nurl = "{feed_server.base}/latest.csv"\nname = "CSV site"\ntype = "csv"\n')
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(plugin_path), str(REPO)]),
        "KAFKA_BOOTSTRAP_SERVERS": config.kafka.bootstrap_servers,
        "NEWSSTREAM_TOPIC_RAW": config.topics.raw,
        "NEWSSTREAM_STATE_DIR": str(config.state_dir),
        "NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES": "1",
    }
    check = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "feeds", "check", "--feeds", str(feeds_file)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert check.returncode == 0 and "csv=1" in check.stdout, check.stderr
    # Without the plugin on the path, the same file names the unknown type.
    env_without = {**env, "PYTHONPATH": str(REPO)}
    missing = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "feeds", "check", "--feeds", str(feeds_file)],
        env=env_without, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 2 and "field 'type': unknown producer type 'csv'" in missing.stderr

    proc = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "produce", "--once", "--feeds", str(feeds_file)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = read_all(config, 2)
    values = [codec.loads(r.value) for r in records]
    assert len(values) == 2
    for value in values:
        schemas.validate("raw-article", value)
        assert value["producer"] == {"name": "csv", "version": "0.1.0"}
    assert sorted(v["entry"]["title"] for v in values) == ["First story", "Second story"]
    assert values[0]["entry"]["published"] is None or values[0]["entry"]["published"]["utc"] in (
        "2024-05-06T05:08:09Z",
        None,
    )

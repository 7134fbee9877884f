"""The pages producer as a process on the real broker, with the normalizer and the detector processes:
a page gains its correction -> a linked correction event; a removed page -> unpublished; SIGTERM and
restart keep the schedule (restored from the compacted topic)."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from newsstream import codec
from newsstream.config import Config
from newsstream.topics import create_topics
from tests.integration.helpers import raw_article, read_committed, send_raw, start_stage, wait_http
from tests.unit.test_pages_site import (
    BODY,
    CORRECTED,
    CORRECTION,
    EARLIER,
    PUBLISHER,
    UPDATED,
    Site,
    article_html,
    free_ports,
)

pytestmark = pytest.mark.integration


def _wait(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _metric(port: int, name: str) -> float | None:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:  # noqa: S310 - loopback
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None


def _pages(config: Config, tmp_path: Path, port: int, group: str) -> subprocess.Popen[bytes]:
    process = start_stage(
        config,
        ["pages", "--group", group, "--instance-id", "pages-t", "--ladder", "3s,6s,9s,10m",
         "--gone-confirm", "1s", "--host-delay", "0", "--max-age", "0"],
        tmp_path / "pages.log",
        port,
    )  # fmt: skip
    wait_http(f"http://127.0.0.1:{port}/readyz", timeout_s=90)
    return process


def test_pages_process_correction_unpublished_and_restart(kafka_config: Config, tmp_path: Path) -> None:
    create_topics(kafka_config)
    suffix = uuid.uuid4().hex[:6]
    processes: list[subprocess.Popen[bytes]] = []
    with Site() as site:
        earlier_text = ["The port authority said the ferry service was suspended.", BODY[1]]
        site.set("/a/earlier", article_html(EARLIER, earlier_text))
        site.set("/a/seed", article_html(CORRECTED, BODY))
        site.set("/a/removed", article_html("Council agrees harbour repairs budget", BODY[2:]))
        try:
            n_port, d_port, p_port = free_ports(3)
            normalize_cmd = ["normalize", "--group", f"n-{suffix}", "--instance-id", "n"]
            detect_cmd = ["detect-corrections", "--group", f"d-{suffix}", "--instance-id", "d"]
            processes.append(start_stage(kafka_config, normalize_cmd, tmp_path / "normalize.log", n_port))
            processes.append(start_stage(kafka_config, detect_cmd, tmp_path / "detect.log", d_port))
            for port in (n_port, d_port):
                wait_http(f"http://127.0.0.1:{port}/readyz", timeout_s=90)
            pages = _pages(kafka_config, tmp_path, p_port, f"p-{suffix}")
            processes.append(pages)

            items = {
                "earlier": raw_article(1, publisher=PUBLISHER, title=EARLIER, link=site.url("/a/earlier"),
                                       paragraphs=["The port authority said the ferry service stopped."]),
                "seed": raw_article(2, publisher=PUBLISHER, title=CORRECTED, link=site.url("/a/seed"),
                                    paragraphs=BODY[:1]),
                "removed": raw_article(3, publisher=PUBLISHER, title="Council agrees harbour repairs budget",
                                       link=site.url("/a/removed"), paragraphs=BODY[2:3]),
            }  # fmt: skip
            ids = {name: item["article_id"] for name, item in items.items()}
            send_raw(kafka_config, [items["earlier"]])
            _wait(lambda: site.hits.get("/a/earlier", 0) >= 1, 60, "the earlier piece's first revisit")
            send_raw(kafka_config, [items["seed"], items["removed"]])
            _wait(lambda: site.hits.get("/a/seed", 0) >= 1 and site.hits.get("/a/removed", 0) >= 1, 60,
                  "the first revisits")  # fmt: skip
            # the page is corrected and the other one removed after the first revisit
            site.set("/a/seed", article_html(CORRECTED, [*BODY, CORRECTION, UPDATED]))
            site.remove("/a/removed")

            records = read_committed(kafka_config, kafka_config.topics.corrections, expected=3, timeout_s=90)
            events = [codec.loads(r.value) for r in records]
            kinds = {(e["article_id"], e["type"]) for e in events}
            assert (ids["seed"], "correction") in kinds and (ids["seed"], "update") in kinds
            assert (ids["removed"], "unpublished") in kinds
            correction = next(e for e in events if e["type"] == "correction")
            assert correction["referenced_article"]["article_id"] == ids["earlier"]
            headers = dict(next(r for r in records if codec.loads(r.value)["type"] == "unpublished").headers)
            assert headers["ce_type"] == b"news.article.unpublished"
            assert not [e for e in events if e["type"] in ("content_change", "headline_change")]
            assert "/private" not in "".join(site.hits)

            # after the 9 s step, earlier and seed wait for the 10 min step; removed is finished
            _wait(lambda: _metric(p_port, "newsstream_page_schedule_entries") == 2.0, 60, "two scheduled entries")
            pages.send_signal(signal.SIGTERM)
            assert pages.wait(timeout=20) == 0
            schedule = read_committed(kafka_config, kafka_config.topics.page_schedule, expected=1, timeout_s=30)
            latest: dict[str, Any] = {}
            for record in schedule:
                latest[record.key.decode()] = codec.loads(record.value) if record.value is not None else None
            assert latest[ids["removed"]] is None  # gone: tombstone
            assert latest[ids["seed"]]["step"] == 3 and latest[ids["earlier"]]["step"] == 3
            hits_before = dict(site.hits)

            pages = _pages(kafka_config, tmp_path, p_port, f"p-{suffix}")
            processes.append(pages)
            _wait(lambda: _metric(p_port, "newsstream_page_schedule_entries") == 2.0, 60, "the restored schedule")
            time.sleep(2)
            assert site.hits == hits_before  # restored as it was: nothing is due before the 10 min step
        finally:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()

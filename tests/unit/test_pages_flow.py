"""The pages producer end to end without Kafka: a local site whose pages change over time, the real
Fetcher and robots.txt on the stage's own fetch loop, the stage's runner entry points (process,
tick) on a compressed clock, then the real normalizer and detector in process (the pure chain)."""

from __future__ import annotations

import concurrent.futures
import time
from dataclasses import dataclass
from typing import Any

import schemas
from consumers.detect import detect, index_article
from consumers.detector_state import ArticleState
from consumers.normalize import normalize
from consumers.title_index import TitleIndex
from newsstream import codec
from newsstream.config import Config
from newsstream.runner import Output
from producers.fetch import FetchSettings
from producers.pages.ladder import LadderPolicy
from producers.pages.revisit import RevisitSettings
from producers.pages.stage import PagesSettings, PagesStage
from tests.integration.helpers import raw_article
from tests.unit.test_pages_site import (
    BODY,
    CORRECTED,
    CORRECTION,
    EARLIER,
    PUBLISHER,
    UPDATED,
    Site,
    article_html,
    news_article_ld,
)

LADDER = (10.0, 20.0, 40.0)
LD_CORRECTION = "An earlier version of this article gave the wrong date for the harbour reopening."


@dataclass
class _Record:
    value: bytes
    partition: int = 0
    offset: int = 0
    topic: str = "news.normalized.v1"


class Chain:
    """Feed articles in, page revisits on a fake clock, normalizer + detector on everything."""

    def __init__(self, now: float) -> None:
        self.now = now
        settings = PagesSettings(
            revisit=RevisitSettings(LadderPolicy(LADDER), gone_confirm_s=5.0),
            min_host_delay_s=0.0, max_per_second=0.0, max_age_s=0.0,
            fetch=FetchSettings(user_agent="newsstream-test", allow_private_addresses=True, total_timeout=10),
        )  # fmt: skip
        self.stage = PagesStage(Config(allow_private_addresses=True), settings, clock=lambda: self.now)
        self.states: dict[str, ArticleState] = {}
        self.titles = TitleIndex()
        self.events: list[dict[str, Any]] = []
        self.page_versions: list[dict[str, Any]] = []
        self.schedule_records: list[tuple[bytes, bytes | None]] = []

    def detect(self, raw: dict[str, Any]) -> dict[str, Any]:
        schemas.validate("raw-article", raw)
        article = normalize(raw)
        schemas.validate("normalized-article", article)
        previous = self.states.get(article["id"])
        events, state = detect(previous, article, titles=self.titles)
        if state is not previous:
            index_article(self.titles, article)
            self.states[article["id"]] = state
        for event in events:
            schemas.validate("correction-event", event)
        self.events.extend(events)
        return article

    def feed(self, raw: dict[str, Any]) -> str:
        article = self.detect(raw)
        self.take(self.stage.process(_Record(codec.dumps(article))))
        return str(article["id"])

    def take(self, outputs: list[Output]) -> None:
        for out in outputs:
            if out.topic == self.stage.config.topics.raw:
                assert out.value is not None
                raw = codec.loads(out.value)
                self.page_versions.append(raw)
                self.detect(raw)
            else:
                assert out.key is not None
                self.schedule_records.append((out.key, out.value))

    def run_until(self, end: float) -> None:
        """One tick per simulated second; each tick's revisits finish before the next one."""
        while self.now < end:
            self.now += 1.0
            self.take(self.stage.tick(self.now))  # applies the last round, starts what came due
            if self.stage.inflight():
                concurrent.futures.wait(self.stage.inflight(), timeout=30)
        self.take(self.stage.tick(self.now))

    def events_of(self, article_id: str, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["article_id"] == article_id and e["type"] == kind]


def feed_item(site: Site, path: str, title: str, paragraphs: list[str]) -> dict[str, Any]:
    return raw_article(0, publisher=PUBLISHER, title=title, link=site.url(path), paragraphs=paragraphs)


def _scenario(site: Site) -> tuple[Chain, dict[str, str]]:
    site.set("/", "<html><body><h1>Valley Courier</h1><p>Latest news from the valley.</p></body></html>")
    earlier_text = ["The port authority said the ferry service was suspended.", *BODY[1:3]]
    site.set("/a/earlier", article_html(EARLIER, earlier_text))
    site.set("/a/seed", article_html(CORRECTED, BODY))
    ld_title = "Harbour reopening date set"
    site.set("/a/ld", article_html(ld_title, BODY[1:], news_article_ld(ld_title)))
    site.set("/a/removed", article_html("Council agrees harbour repairs budget", BODY[2:]))
    site.set("/a/moved", article_html("Storm warning lifted for the coast", BODY[:3]))
    site.set("/private/p1", article_html("Members-only briefing", BODY))
    chain = Chain(now=float(int(time.time())) + 1.0)
    start = chain.now
    ids = {
        "earlier": chain.feed(feed_item(site, "/a/earlier", EARLIER, ["The port authority said the service stopped."])),
        "seed": chain.feed(feed_item(site, "/a/seed", CORRECTED, BODY[:1])),
        "ld": chain.feed(feed_item(site, "/a/ld", "Harbour reopening date set", BODY[1:2])),
        "removed": chain.feed(feed_item(site, "/a/removed", "Council agrees harbour repairs budget", BODY[2:3])),
        "moved": chain.feed(feed_item(site, "/a/moved", "Storm warning lifted for the coast", BODY[:1])),
        "private": chain.feed(feed_item(site, "/private/p1", "Members-only briefing", BODY[:1])),
    }
    assert len(chain.stage.table) == 6
    try:
        # step 1 (10 s): every page's baseline; one host, one request at a time: one page per tick
        chain.run_until(start + 17)
        assert len(chain.page_versions) == 5  # all but the page robots.txt refuses
        site.set("/a/seed", article_html(CORRECTED, [*BODY, CORRECTION, UPDATED]))
        site.set(
            "/a/ld",
            article_html(
                "Harbour reopening date set", BODY[1:], news_article_ld("Harbour reopening date set", LD_CORRECTION)
            ),
        )
        site.remove("/a/removed")
        site.set("/a/moved", "", status=301, Location="/")
        chain.run_until(start + 70)  # steps 2 and 3, the gone confirmations, and beyond
    finally:
        chain.stage.close()
    return chain, ids


def test_pages_flow_corrections_json_ld_unpublished_robots_and_ladder() -> None:
    with Site() as site:
        chain, ids = _scenario(site)

    # the seed pattern: the page gains its CORRECTION and UPDATED lines -> correction linked to the earlier piece
    corrections = chain.events_of(ids["seed"], "correction")
    assert len(corrections) == 1
    assert corrections[0]["referenced_article"]["article_id"] == ids["earlier"]
    assert corrections[0]["referenced_article"]["title"] == EARLIER
    assert chain.events_of(ids["seed"], "update"), "the UPDATED line is an update notice"
    seed_pages = [r for r in chain.page_versions if r["article_id"] == ids["seed"]]
    assert [r["source"] for r in seed_pages] == ["page", "page"]  # baseline, then the corrected version
    seed_body = normalize(seed_pages[-1])["body_text"]
    for chrome in ("A+ A-", "Rudaw moderates", "Post a comment", "Required", "Copyright"):
        assert chrome not in seed_body

    # JSON-LD correction -> a correction event carrying that text
    ld = chain.events_of(ids["ld"], "correction")
    assert [e["evidence"]["notice_text"] for e in ld] == [LD_CORRECTION]

    # removed (404 twice, 5 s apart) and redirected home -> unpublished, once each
    for name, reason in (("removed", "http_404"), ("moved", "redirect_home")):
        gone = chain.events_of(ids[name], "unpublished")
        assert len(gone) == 1, name
        assert gone[0]["evidence"]["method"] == "page" and gone[0]["evidence"]["cue"] == reason
        assert gone[0]["title"] and gone[0]["previous"] is not None
    assert site.hits["/a/removed"] == 3  # baseline, first 404, the confirming 404, then never again

    # robots.txt disallows /private/: never fetched; robots.txt itself read once (cached)
    assert "/private/p1" not in site.hits
    assert site.hits["/robots.txt"] == 1
    assert chain.stage.metrics.robots_refusals._value.get() == 3

    # the ladder: 10 s, 20 s, 40 s after first sighting, then never; finished schedules are tombstones
    assert site.hits["/a/earlier"] == 3
    assert not chain.events_of(ids["earlier"], "content_change")
    assert len(chain.stage.table) == 0
    tombstones = {k.decode() for k, v in chain.schedule_records if v is None}
    assert tombstones == set(ids.values())
    # no spurious diff events from switching feed text to page text
    assert not [e for e in chain.events if e["type"] in ("content_change", "headline_change")]

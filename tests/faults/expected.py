"""What the pipeline must emit for the demo feeds, computed without Kafka, HTTP or any stage.

The pure chain over every step: render each demo feed (the bytes the server sends for that base
URL), ``parse_feed``/``parse_json_feed`` → ``normalize`` → keep a version only when its
(article id, content_hash) is new → ``detect`` with a ``TitleIndex``. The steps are fed in order
and each step is complete before the next one starts, exactly as the chaos scenarios drive the
demo server, so the detector sees the same order and gives the same deterministic ``event_id``s.
The result is cross-checked against ``devtools.demo.expected_events()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from consumers.detect import detect, index_article
from consumers.normalize import normalize
from consumers.title_index import TitleIndex
from devtools.demo import FEEDS, MAX_STEP, expected_events, hard_negatives
from devtools.demo.render import CONTENT_TYPES, render_feed
from producers.jsonfeed import parse_json_feed
from producers.parse import parse_feed

Version = tuple[str, str]  # (article id, content_hash)


@dataclass
class Expected:
    """Versions and events per step; ``articles`` are the distinct article ids fed."""

    versions: dict[int, set[Version]] = field(default_factory=dict)
    events: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)  # step -> event_id -> event
    articles: set[str] = field(default_factory=set)

    def versions_until(self, step: int) -> set[Version]:
        return set().union(*(self.versions[s] for s in range(step + 1)))

    def events_until(self, step: int) -> set[str]:
        return set().union(*(set(self.events[s]) for s in range(step + 1)))

    @property
    def all_versions(self) -> set[Version]:
        return self.versions_until(MAX_STEP)

    @property
    def all_events(self) -> dict[str, dict[str, Any]]:
        return {eid: e for s in range(MAX_STEP + 1) for eid, e in self.events[s].items()}


def compute(base_url: str) -> Expected:
    """The expected versions and events for demo feeds served at ``base_url`` (http://host:port)."""
    expected = Expected()
    states: dict[str, Any] = {}
    last_hash: dict[str, str] = {}
    titles = TitleIndex()
    found: list[tuple[Any, ...]] = []
    for step in range(MAX_STEP + 1):
        expected.versions[step] = set()
        expected.events[step] = {}
        for feed in FEEDS:
            url = base_url + feed.path
            parse = parse_json_feed if feed.kind == "jsonfeed" else parse_feed
            meta = {"name": feed.title, "publisher": feed.publisher, "language": feed.language}
            headers = {"Content-Type": CONTENT_TYPES[feed.kind]}
            result = parse(render_feed(feed, step, base_url), url=url, headers=headers, feed=meta)
            for raw in result.articles:
                article = normalize(raw)
                aid, chash = article["id"], article["content_hash"]
                expected.articles.add(aid)
                # The normalizer's repeat filter keys a version by its fingerprint (text modulo
                # case, quotes, punctuation and whitespace): a change of only those is no new version.
                identity = article.get("fingerprint") or chash
                if last_hash.get(aid) == identity:
                    continue
                last_hash[aid] = identity
                expected.versions[step].add((aid, chash))
                events, states[aid] = detect(states.get(aid), article, titles=titles)
                index_article(titles, article)
                for event in events:
                    expected.events[step][event["event_id"]] = event
                    ref = (event.get("referenced_article") or {}).get("title")
                    found.append((step, feed.key, event["type"], event["evidence"]["method"], event["title"], ref))
    _cross_check(found)
    return expected


def _cross_check(found: list[tuple[Any, ...]]) -> None:
    """The chain's events are the demo's documented ones: every required event, nothing outside them."""
    produced = {event[:5]: event[5] for event in found}
    documented = expected_events()
    for want in documented:
        key = (want["step"], want["feed"], want["type"], want["method"], want["title"])
        if want["required"] and (key not in produced or produced[key] != want["referenced_title"]):
            raise AssertionError(f"the pure chain misses the documented event {key}")
    allowed = {(e["step"], e["feed"], e["type"], e["method"], e["title"]) for e in documented}
    if set(produced) - allowed:
        raise AssertionError(f"the pure chain makes undocumented events: {set(produced) - allowed}")
    negatives = {n["title"] for n in hard_negatives()}
    if any(event[4] in negatives for event in found):
        raise AssertionError("the pure chain reports a hard negative")

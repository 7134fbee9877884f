"""Messages for the archive tests, made by the pipeline's own pure functions (normalize, detect).

``synthetic`` builds many articles with several versions (and producer repeats); ``demo`` runs the
demo feeds through parse → normalize → repeat filter → detect, in step order, exactly as the
stages would, so an archive filled from it holds the demo's articles and events.
"""

from __future__ import annotations

from typing import Any

from consumers.detect import detect, index_article
from consumers.normalize import normalize
from consumers.title_index import TitleIndex
from tests.integration.helpers import raw_article

Message = tuple[str, dict[str, Any]]  # ("article" | "event", message)


def chain(articles: list[dict[str, Any]]) -> list[Message]:
    """Normalized articles in order → the same plus their events, as the normalizer and detector emit them."""
    out: list[Message] = []
    states: dict[str, Any] = {}
    last_hash: dict[str, str] = {}
    titles = TitleIndex()
    for article in articles:
        aid = article["id"]
        out.append(("article", article))  # repeats included: the archive must drop them itself
        if last_hash.get(aid) == article["content_hash"]:
            continue
        last_hash[aid] = article["content_hash"]
        events, states[aid] = detect(states.get(aid), article, titles=titles)
        index_article(titles, article)
        out.extend(("event", e) for e in events)
    return out


def synthetic(n_articles: int, versions: int = 3) -> list[Message]:
    """``n_articles`` articles × ``versions`` versions (round-robin), every 7th version sent twice."""
    articles: list[dict[str, Any]] = []
    for v in range(1, versions + 1):
        for i in range(n_articles):
            paragraphs = [
                f"Council members met on Tuesday to discuss item {i} of the budget plan.",
                f"The session ran late; revision {v} of the minutes lists {i + v} speakers.",
            ]
            if v == versions and i % 5 == 0:
                paragraphs.append(f"CORRECTION: An earlier version of this article misstated the item number {i}.")
            article = normalize(raw_article(i, version=v, paragraphs=paragraphs))
            articles.append(article)
            if (i + v) % 7 == 0:
                articles.append(article)
    return chain(articles)


def demo() -> list[Message]:
    """The demo scenario through the pure stages, in step order (as ``newsstream run`` feeds it)."""
    from devtools.demo import FEEDS, MAX_STEP
    from devtools.demo.render import CONTENT_TYPES, render_feed
    from producers.jsonfeed import parse_json_feed
    from producers.parse import parse_feed

    base = "http://127.0.0.1:8642"
    articles: list[dict[str, Any]] = []
    for step in range(MAX_STEP + 1):
        for feed in FEEDS:
            parse = parse_json_feed if feed.kind == "jsonfeed" else parse_feed
            meta = {"name": feed.title, "publisher": feed.publisher, "language": feed.language}
            result = parse(render_feed(feed, step, base), url=base + feed.path,
                           headers={"Content-Type": CONTENT_TYPES[feed.kind]}, feed=meta)  # fmt: skip
            articles.extend(normalize(raw) for raw in result.articles)
    return chain(articles)


def events(messages: list[Message], kind: str | None = None) -> list[dict[str, Any]]:
    """The distinct events among ``messages`` (of one type when given), in order.

    Tests count from these rather than hard-coding the demo's numbers: the detector's choices are
    the detector's tests' business; the archive must store and show whatever it emitted.
    """
    seen: dict[str, dict[str, Any]] = {}
    for k, m in messages:
        if k == "event" and (kind is None or m["type"] == kind):
            seen.setdefault(m["event_id"], m)
    return list(seen.values())


def distinct_versions(messages: list[Message]) -> int:
    """How many versions the archive must keep: per article, each change of content hash."""
    last: dict[str, str] = {}
    count = 0
    for kind, m in messages:
        if kind == "article" and last.get(m["id"]) != m["content_hash"]:
            count += 1
            last[m["id"]] = m["content_hash"]
    return count

"""The demo feed server on a real loopback socket: steps, conditional GETs, the seed scenario, and the
events the rest of the pipeline (parse, normalize, detect; no Kafka) makes of it."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import feedparser
import pytest

from devtools.demo import DEMO_FEEDS_TOML, FEEDS, MAX_STEP, DemoServer, expected_events, feeds_toml, hard_negatives
from devtools.demo.content import DRONE_TITLE, MILITIA_TITLE
from producers.feeds import load_feeds
from producers.fetch import Fetcher, FetchSettings, Validators


@pytest.fixture
def demo() -> Iterator[DemoServer]:
    from devtools.demo import serve

    server = serve("127.0.0.1", 0, step_seconds=0)
    yield server
    server.shutdown()


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback test server
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def post(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(urllib.request.Request(url, method="POST")) as response:  # noqa: S310
        return json.loads(response.read())


def entries(demo: DemoServer, path: str) -> dict[str, Any]:
    _, _, body = get(demo.url(path))
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return {e.title: e for e in parsed.entries}


def test_steps_advance_by_post_and_clamp(demo: DemoServer) -> None:
    assert json.loads(get(demo.url("/_state"))[2]) == {"step": 0, "max_step": MAX_STEP}
    assert post(demo.url("/_advance")) == {"step": 1, "max_step": MAX_STEP}
    assert demo.advance() == 2
    assert post(demo.url(f"/_advance?to={MAX_STEP + 5}"))["step"] == MAX_STEP
    assert post(demo.url("/_advance"))["step"] == MAX_STEP
    assert post(demo.url("/_advance?to=0"))["step"] == 0


def test_steps_advance_with_time() -> None:
    from devtools.demo import serve

    server = serve("127.0.0.1", 0, step_seconds=0.2)
    try:
        deadline = time.monotonic() + 5
        while server.step < MAX_STEP and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.step == MAX_STEP
    finally:
        server.shutdown()


def test_every_feed_is_served_and_parses_at_every_step(demo: DemoServer) -> None:
    for step in range(MAX_STEP + 1):
        demo.advance(step)
        for feed in FEEDS:
            status, headers, body = get(demo.url(feed.path))
            assert status == 200 and headers["etag"] and headers["last-modified"]
            if feed.kind == "jsonfeed":
                document = json.loads(body)
                assert document["version"] == "https://jsonfeed.org/version/1.1" and document["items"]
                assert headers["content-type"].startswith("application/feed+json")
            else:
                parsed = feedparser.parse(body)
                assert not parsed.bozo and parsed.entries
                assert parsed.version == ("atom10" if feed.kind == "atom" else "rss20")


def test_304_with_etag_and_with_last_modified(demo: DemoServer) -> None:
    url = demo.url("/harbourside/rss.xml")
    _, headers, body = get(url)
    assert get(url, **{"If-None-Match": headers["etag"]})[0] == 304
    assert get(url, **{"If-Modified-Since": headers["last-modified"]})[0] == 304
    assert get(url, **{"If-None-Match": '"something-else"'})[0] == 200
    demo.advance(2)  # the headline changes at step 2: both validators move
    status, new_headers, new_body = get(url, **{"If-None-Match": headers["etag"]})
    assert status == 200 and new_body != body and new_headers["etag"] != headers["etag"]
    assert get(url, **{"If-Modified-Since": headers["last-modified"]})[0] == 200
    demo.advance(1)  # back to step 1, whose bytes are step 0's: the first tag matches again
    assert get(url, **{"If-None-Match": headers["etag"]})[0] == 304


def test_gzip_when_asked(demo: DemoServer) -> None:
    url = demo.url("/zagros/rss.xml")
    _, plain_headers, plain = get(url)
    status, headers, body = get(url, **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip" and gzip.decompress(body) == plain
    assert get(url, **{"Accept-Encoding": "gzip", "If-None-Match": plain_headers["etag"]})[0] == 304


def test_seed_scenario_appears_at_the_right_steps(demo: DemoServer) -> None:
    first = entries(demo, "/zagros/rss.xml")
    assert DRONE_TITLE in first and MILITIA_TITLE not in first
    drone_link = first[DRONE_TITLE].link
    assert get(drone_link)[0] == 200  # the article page exists while the piece is published

    demo.advance()
    later = entries(demo, "/zagros/rss.xml")
    assert DRONE_TITLE not in later and MILITIA_TITLE in later
    militia = later[MILITIA_TITLE]
    html = militia.content[0].value
    assert "ERBIL, Kurdistan Region - " in html
    assert (
        'CORRECTION: This corrects a previous piece titled "US downs Turkish drone in northeast Syria: War monitor" '
        "after the original source retracted its story." in html
    )
    assert "UPDATED at 8:35 pm with the correction" in html
    for chrome in ("A+ A-", "Comments", "Zagros Ledger moderates all comments", "Post a comment", "Required"):
        assert chrome in html
    assert militia.published_parsed[:3] == (2023, 11, 5)
    assert militia.id != first[DRONE_TITLE].id and militia.link != drone_link
    assert get(drone_link)[0] == 404  # retracted: the page is gone
    assert get(militia.link)[0] == 200


def test_whitespace_only_rerender_changes_bytes_not_words(demo: DemoServer) -> None:
    demo.advance(2)
    before = entries(demo, "/harbourside/rss.xml")["Harbour ferry moves to winter timetable"].content[0].value
    demo.advance(3)
    after = entries(demo, "/harbourside/rss.xml")["Harbour ferry moves to winter timetable"].content[0].value
    assert before != after

    def words(html: str) -> list[str]:
        plain = html.replace("\u201c", '"').replace("\u201d", '"').replace("<p>", " ").replace("</p>", " ")
        return plain.split()

    assert words(before) == words(after)


def test_feeds_toml_lists_every_feed() -> None:
    feeds = load_feeds(DEMO_FEEDS_TOML)
    assert sorted(f.url.removeprefix("http://127.0.0.1:8642") for f in feeds) == sorted(f.path for f in FEEDS)
    assert {f.type for f in feeds} == {"rss", "jsonfeed"}
    assert all(f.publisher for f in feeds)
    assert "http://127.0.0.1:9999/zagros/rss.xml" in feeds_toml(9999)


def test_the_pipeline_makes_exactly_the_expected_events(demo: DemoServer) -> None:
    """Fetcher -> parse -> normalize -> detect, step by step, without Kafka: the events match expected_events()."""
    from consumers.detect import detect, index_article
    from consumers.normalize import normalize
    from consumers.title_index import TitleIndex
    from producers.jsonfeed import parse_json_feed
    from producers.parse import parse_feed

    async def run() -> list[tuple[Any, ...]]:
        states: dict[str, Any] = {}
        titles = TitleIndex()
        validators: dict[str, Validators] = {}
        found: list[tuple[Any, ...]] = []
        settings = FetchSettings(user_agent="newsstream-test", allow_private_addresses=True)
        async with Fetcher(settings) as fetcher:
            for step in range(MAX_STEP + 1):
                demo.advance(step)
                for feed in FEEDS:
                    url = demo.url(feed.path)
                    result = await fetcher.fetch(url, validators.get(url))
                    assert result.outcome in ("ok", "not_modified"), result.error
                    validators[url] = Validators(result.etag, result.last_modified)
                    if result.body is None:
                        continue
                    parse = parse_json_feed if feed.kind == "jsonfeed" else parse_feed
                    meta = {"name": feed.title, "publisher": feed.publisher, "language": feed.language}
                    for raw in parse(result.body, url=url, headers=result.headers, feed=meta).articles:
                        article = normalize(raw)
                        events, states[article["id"]] = detect(states.get(article["id"]), article, titles=titles)
                        index_article(titles, article)
                        for e in events:
                            ref = (e.get("referenced_article") or {}).get("title")
                            found.append((step, feed.key, e["type"], e["evidence"]["method"], e["title"], ref))
        return found

    found = asyncio.run(run())
    produced = {event[:5]: event[5] for event in found}
    expected = expected_events()
    for event in expected:
        key = (event["step"], event["feed"], event["type"], event["method"], event["title"])
        if event["required"]:
            assert key in produced, f"missing {key}"
            assert produced[key] == event["referenced_title"]
    allowed = {(e["step"], e["feed"], e["type"], e["method"], e["title"]) for e in expected}
    assert set(produced) <= allowed, f"unexpected events: {set(produced) - allowed}"
    negatives = {n["title"] for n in hard_negatives()}
    assert not [e for e in found if e[4] in negatives]

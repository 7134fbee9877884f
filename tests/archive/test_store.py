"""The archive stores, the same tests on SQLite and on a real PostgreSQL: migrations, writes, search."""

from __future__ import annotations

from consumers.archive.rows import Source
from consumers.archive.store import EventFilter, Record, open_store
from tests.archive.pipeline_data import Message, demo, events, synthetic

SEED = "Iraqi militia claims to target US forces in Syria"
EARLIER = "US downs Turkish drone in northeast Syria: War monitor"


def records(messages: list[Message], topic: str = "t") -> list[Record]:
    return [Record(kind, m, Source(f"{topic}.{kind}", 0, n)) for n, (kind, m) in enumerate(messages)]


def test_migrations_from_an_empty_database(archive_dsn: str) -> None:
    store = open_store(archive_dsn)
    assert store.migrate() == 1
    assert store.schema_version() == 1  # type: ignore[attr-defined]
    assert store.counts() == {"articles": 0, "versions": 0, "events": 0}
    assert store.migrate() == 1  # idempotent: a restart applies nothing twice
    assert store.schema_version() == 1  # type: ignore[attr-defined]
    store.close()


def test_versions_numbered_repeats_dropped_replays_write_nothing(archive_dsn: str) -> None:
    store = open_store(archive_dsn)
    store.migrate()
    messages = synthetic(20, versions=3)
    batch = records(messages)
    first = store.write_batch(batch, "g")
    assert first.versions == 60 and first.articles == 20
    assert first.repeats == sum(1 for k, _ in messages if k == "article") - 60
    assert first.events == len({m["event_id"] for k, m in messages if k == "event"})
    again = store.write_batch(batch, "g")  # the same records again (a replay from older offsets)
    assert (again.versions, again.events, again.replayed) == (0, 0, len(batch))
    assert store.counts() == {"articles": 20, "versions": 60, "events": first.events}
    article_id = messages[0][1]["id"]
    assert [v["version"] for v in store.versions(article_id)] == [1, 2, 3]
    assert store.article(article_id)["current_version"] == 3  # type: ignore[index]
    offsets = store.load_offsets("g")
    assert offsets[("t.article", 0)] == max(r.source.offset for r in batch if r.kind == "article") + 1
    assert store.load_offsets("other-group") == {}
    store.close()


def test_full_text_search_finds_a_notice_word(archive_dsn: str) -> None:
    store = open_store(archive_dsn)
    store.migrate()
    notice = "CORRECTION: An earlier version of this article misattributed the quote to the mayor."
    article = {"id": "u:fts1", "title": "Harbour toll approved", "content_hash": "h1", "publisher": "P",
               "body_text": f"The council approved the toll.\n\n{notice}"}  # fmt: skip
    event = {"event_id": "f" * 32, "article_id": "u:fts1", "type": "correction", "version": 1, "title": "Harbour toll",
             "evidence": {"method": "notice", "notice_text": notice, "span": [31, 31 + len(notice)]}}  # fmt: skip
    other = {"id": "u:fts2", "title": "Ferry timetable", "content_hash": "h2", "body_text": "No notice here."}
    store.write_batch(records([("article", article), ("article", other), ("event", event)]), "g")
    found = store.search("misattributed")
    assert [v["article_id"] for v in found["versions"]] == ["u:fts1"]
    assert [n["event_id"] for n in found["notices"]] == ["f" * 32]
    assert "\ue000misattributed\ue001" in found["notices"][0]["snippet"]  # the match is marked for <mark>
    assert [v["article_id"] for v in store.search("MAYOR quote")["versions"]] == ["u:fts1"]  # every word, any case
    assert store.search("zzzznotaword") == {"versions": [], "notices": []}
    # Query syntax from a user is text, never an error.
    assert isinstance(store.search('"unbalanced (AND OR NEAR* -'), dict)
    store.close()


def test_the_seed_correction_links_the_article_it_corrects(archive_dsn: str) -> None:
    store = open_store(archive_dsn)
    store.migrate()
    store.write_batch(records(demo()), "g")
    found = store.search("retracted")  # a word of the seed's CORRECTION notice
    assert ("correction", SEED) in [(n["type"], n["title"]) for n in found["notices"]]
    seed = next(e for e in store.events(EventFilter(type="correction"), 100) if e["title"] == SEED)
    assert seed["ref_title"] == EARLIER
    assert seed["ref_article_id"] and store.article(seed["ref_article_id"])["title"] == EARLIER  # type: ignore[index]
    assert [e["event_id"] for e in store.referencing_events(seed["ref_article_id"])] == [seed["event_id"]]
    store.close()


def test_event_filters_and_paging(archive_dsn: str) -> None:
    store = open_store(archive_dsn)
    store.migrate()
    messages = demo()
    store.write_batch(records(messages), "g")
    want = events(messages)
    everything = store.events(EventFilter(), limit=100)
    assert len(everything) == len(want) >= 8
    assert [e["seq"] for e in everything] == sorted((e["seq"] for e in everything), reverse=True)
    for kind in {e["type"] for e in want}:
        got = store.events(EventFilter(type=kind), limit=100)
        assert sorted(e["event_id"] for e in got) == sorted(e["event_id"] for e in events(messages, kind))
    german = store.events(EventFilter(language="de"), limit=100)
    assert german and {e["language"] for e in german} == {"de"}
    zagros = store.events(EventFilter(publisher="Zagros Ledger"), limit=100)
    assert zagros and {e["publisher"] for e in zagros} == {"Zagros Ledger"}
    assert store.events(EventFilter(since="2999-01-01")) == []
    assert len(store.events(EventFilter(since="2000-01-01", until="2999-01-01"), 100)) == len(want)
    day = everything[0]["detected_at"][:10]  # a date `until` includes that whole day
    on_day = [e for e in everything if e["detected_at"].startswith(day)]
    assert len(store.events(EventFilter(since=day, until=day), 100)) == len(on_day) > 0
    page1 = store.events(EventFilter(), limit=5)
    page2 = store.events(EventFilter(), limit=5, before=page1[-1]["seq"])
    assert len(page2) == 5 and not {e["event_id"] for e in page1} & {e["event_id"] for e in page2}
    assert len(list(store.iter_events(EventFilter(), page=5))) == len(want)
    store.close()

"""The archive stores, the same tests on SQLite and on a real PostgreSQL: migrations, writes, search."""

from __future__ import annotations

from consumers.archive.rows import Source
from consumers.archive.store import EventFilter, Record, open_store
from tests.archive.pipeline_data import Message, demo, synthetic


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
    store.write_batch(records(demo()), "g")
    found = store.search("retracted")  # the seed's CORRECTION notice (and a hard negative's body)
    titles = {v["title"] for v in found["versions"]}
    assert "Iraqi militia claims to target US forces in Syria" in titles
    assert [(n["type"], n["title"]) for n in found["notices"]] == [
        ("correction", "Iraqi militia claims to target US forces in Syria")
    ]
    assert "retracted" in found["notices"][0]["notice_text"]
    assert "\ue000retracted\ue001" in found["notices"][0]["snippet"]  # the match is marked for <mark>
    assert store.search("zzzznotaword") == {"versions": [], "notices": []}
    # Query syntax from a user is text, never an error.
    assert isinstance(store.search('"unbalanced (AND OR NEAR* -'), dict)
    store.close()


def test_event_filters_and_paging(archive_dsn: str) -> None:
    store = open_store(archive_dsn)
    store.migrate()
    store.write_batch(records(demo()), "g")
    everything = store.events(EventFilter(), limit=100)
    assert len(everything) == 12
    assert [e["seq"] for e in everything] == sorted((e["seq"] for e in everything), reverse=True)
    corrections = store.events(EventFilter(type="correction"))
    assert len(corrections) == 4 and {e["type"] for e in corrections} == {"correction"}
    assert {e["language"] for e in store.events(EventFilter(type="correction", language="de"))} == {"de"}
    page1 = store.events(EventFilter(), limit=5)
    page2 = store.events(EventFilter(), limit=5, before=page1[-1]["seq"])
    assert not {e["event_id"] for e in page1} & {e["event_id"] for e in page2}
    assert len(list(store.iter_events(EventFilter(), page=5))) == 12
    seed = next(e for e in corrections if e["ref_title"])
    assert seed["ref_title"] == "US downs Turkish drone in northeast Syria: War monitor"
    assert seed["ref_article_id"] and store.article(seed["ref_article_id"]) is not None
    assert [e["event_id"] for e in store.referencing_events(seed["ref_article_id"])] == [seed["event_id"]]
    store.close()

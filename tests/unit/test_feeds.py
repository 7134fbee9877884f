"""feeds.toml validation (errors name file, feed, field), TOML writing, OPML import, sharding."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from newsstream.cli import main
from producers.feeds import (
    FeedConfig,
    FeedListError,
    feed_to_toml,
    feeds_from_document,
    load_feeds,
    parse_opml,
    toml_string,
)
from producers.shard import parse_shard, select_shard

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "feeds.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_list_with_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[defaults]
interval = "10m"
[[feeds]]
url = "https://example.com/rss"
name = "Example"
tags = ["a", "b"]
headers = { "Accept-Language" = "en" }
[[feeds]]
url = "https://example.org/feed.json"
name = "JSON"
publisher = "Org"
interval = 90
type = "jsonfeed"
enabled = false
""",
    )
    feeds = load_feeds(path, known_types=["rss", "jsonfeed"])
    assert feeds[0] == FeedConfig(
        url="https://example.com/rss", name="Example", publisher="Example", interval_s=600.0,
        tags=("a", "b"), headers=(("Accept-Language", "en"),),
    )  # fmt: skip
    assert (feeds[1].interval_s, feeds[1].type, feeds[1].enabled, feeds[1].publisher) == (
        90.0,
        "jsonfeed",
        False,
        "Org",
    )


@pytest.mark.parametrize(
    ("feed_toml", "feed_label", "field", "why"),
    [
        ('url = "ftp://x/y"\nname = "A"', "feed #2 (A)", "url", "not an absolute http(s) URL"),
        ('name = "A"', "feed #2 (A)", "url", "is required"),
        ('url = "https://b.example/rss"', "feed #2 (https://b.example/rss)", "name", "is required"),
        ('url = "https://b.example/rss"\nname = "B"\ninterval = "5 weeks"', "feed #2 (B)", "interval", "duration"),
        ('url = "https://b.example/rss"\nname = "B"\ninterval = "10d"', "feed #2 (B)", "interval", "outside"),
        ('url = "https://b.example/rss"\nname = "B"\ntags = "x"', "feed #2 (B)", "tags", "list of strings"),
        ('url = "https://b.example/rss"\nname = "B"\nenabled = "yes"', "feed #2 (B)", "enabled", "true or false"),
        ('url = "https://b.example/rss"\nname = "B"\ntype = "atom"', "feed #2 (B)", "type", "unknown producer"),
        ('url = "https://b.example/rss"\nname = "B"\nheaders = { "Bad Header" = "x" }', "feed #2 (B)", "headers", ""),
        ('url = "https://b.example/rss"\nname = "B"\nurll = "x"', "feed #2 (B)", "urll", "unknown field"),
        ('url = "https://a.example/rss"\nname = "Dup"', "feed #2 (Dup)", "url", "duplicate of feed #1"),
    ],
)
def test_errors_name_file_feed_and_field(tmp_path: Path, feed_toml: str, feed_label: str, field: str, why: str) -> None:
    path = write(tmp_path, f'[[feeds]]\nurl = "https://a.example/rss"\nname = "A1"\n\n[[feeds]]\n{feed_toml}\n')
    with pytest.raises(FeedListError) as err:
        load_feeds(path, known_types=["rss", "jsonfeed"])
    message = str(err.value)
    assert message.startswith(f"{path}: {feed_label}: field {field!r}"), message
    assert why in message


def test_file_level_errors(tmp_path: Path) -> None:
    with pytest.raises(FeedListError, match="file not found"):
        load_feeds(tmp_path / "missing.toml")
    with pytest.raises(FeedListError, match="not valid TOML"):
        load_feeds(write(tmp_path, "[[feeds]\n"))
    with pytest.raises(FeedListError, match="unknown top-level key 'feed'"):
        feeds_from_document({"feed": []}, "x.toml")


@pytest.mark.parametrize("text", ["plain", 'quo"te', "back\\slash", "tab\tnew\nline", "ctl\x01\x7f", "ünï ✓"])
def test_toml_string_round_trips(text: str) -> None:
    assert tomllib.loads(f"v = {toml_string(text)}")["v"] == text


def test_feed_to_toml_round_trips() -> None:
    feed = FeedConfig(
        url="https://example.com/a?b=1&c=\"2\"", name='Name "quoted" \\ back', publisher="Pub", language="de",
        interval_s=900, tags=("x", 'y"'), enabled=False, headers=(("X-Key", "v\\1"),), type="jsonfeed",
    )  # fmt: skip
    again = feeds_from_document(tomllib.loads(feed_to_toml(feed)), "t")[0]
    assert again == feed


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>subs</title></head><body>
  <outline text="News" title="News">
    <outline type="rss" text="BBC World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml" htmlUrl="https://bbc.com"/>
    <outline text="Europe"><outline text="DW" xmlUrl="https://rss.dw.com/rdf/rss-en-all" language="en"/></outline>
  </outline>
  <outline type="rss" text="No scheme" xmlUrl="feeds.example.com/rss"/>
  <outline type="json" text="JSON &amp; more" xmlUrl="https://example.org/feed.json"/>
  <outline type="rss" text="BBC again" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
</body></opml>"""


def test_opml_import_keeps_folders_as_tags_and_skips_bad() -> None:
    result = parse_opml(OPML)
    assert [(f.name, f.url, f.tags, f.type) for f in result.feeds] == [
        ("BBC World", "https://feeds.bbci.co.uk/news/world/rss.xml", ("News",), "rss"),
        ("DW", "https://rss.dw.com/rdf/rss-en-all", ("News", "Europe"), "rss"),
        ("JSON & more", "https://example.org/feed.json", (), "jsonfeed"),
    ]
    assert result.feeds[1].language == "en"
    assert len(result.skipped) == 2 and "duplicate" in result.skipped[1]


def test_opml_rejects_entities_and_garbage() -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE o [<!ENTITY x SYSTEM "file:///etc/passwd">]><opml><body/></opml>'
    assert parse_opml(xxe).feeds == []  # the subset is dropped before parsing; nothing is read
    with pytest.raises(FeedListError, match="not well-formed"):
        parse_opml(b"<opml><body>", "x.opml")
    with pytest.raises(FeedListError, match="not an OPML document"):
        parse_opml(b"<rss/>", "x.opml")


def test_cli_import_opml_then_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSSTREAM_FEEDS", raising=False)
    (tmp_path / "subs.opml").write_bytes(OPML)
    write(tmp_path, '[[feeds]]\nurl = "https://rss.dw.com/rdf/rss-en-all"\nname = "DW already"\n')
    assert main(["feeds", "import-opml", "subs.opml"]) == 0
    err = capsys.readouterr().err
    assert "added 2 feeds" in err and "already in feeds.toml" in err
    names = [f.name for f in load_feeds(tmp_path / "feeds.toml")]
    assert names == ["DW already", "BBC World", "JSON & more"]
    assert main(["feeds", "check"]) == 0
    assert "OK, 3 feeds" in capsys.readouterr().out
    (tmp_path / "feeds.toml").write_text('[[feeds]]\nurl = "https://x.example/"\nname = "X"\ninterval = "1y"\n')
    assert main(["feeds", "check"]) == 2
    assert "feeds.toml: feed #1 (X): field 'interval'" in capsys.readouterr().err


def test_repository_feeds_toml_is_valid() -> None:
    feeds = load_feeds(REPO / "feeds.toml", known_types=["rss", "jsonfeed"])
    assert 10 <= len(feeds) <= 20
    assert all(f.url.startswith("https://") for f in feeds)


def test_shards_partition_the_list_stably() -> None:
    feeds = [FeedConfig(url=f"https://h{i}.example/rss", name=str(i)) for i in range(300)]
    shards = [select_shard(feeds, (i, 3)) for i in range(3)]
    assert sorted(f.url for s in shards for f in s) == sorted(f.url for f in feeds)
    assert all(60 < len(s) < 140 for s in shards)
    assert feeds[0].shard(3) == FeedConfig(url=feeds[0].url, name="other").shard(3)
    assert parse_shard("2/3") == (2, 3)
    for bad in ("3/3", "x", "1/0", "-1/2"):
        with pytest.raises(ValueError, match="--shard"):
            parse_shard(bad)

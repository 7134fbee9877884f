"""OPML import fills in `type` and `publisher` when the outline or the URL says so."""

from __future__ import annotations

from producers.feeds import feed_to_toml, parse_opml

OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>
<outline text="Harbour (JSON)" type="rss" xmlUrl="https://harbour.example/feed.json" htmlUrl="https://www.harbour.example/"/>
<outline text="Harbour (Atom)" type="rss" xmlUrl="https://harbour.example/atom.xml" htmlUrl="https://www.harbour.example/"/>
<outline text="Ledger" type="json" xmlUrl="https://ledger.example/feeds?format=json" publisher="The Ledger"/>
<outline text="Bare" xmlUrl="https://bare.example/rss"/>
</body></opml>"""


def test_types_and_publishers() -> None:
    feeds = {f.name: f for f in parse_opml(OPML).feeds}
    assert feeds["Harbour (JSON)"].type == "jsonfeed"  # exporters write type="rss" for every feed
    assert feeds["Harbour (Atom)"].type == "rss"
    assert feeds["Ledger"].type == "jsonfeed"
    assert feeds["Harbour (JSON)"].publisher == feeds["Harbour (Atom)"].publisher == "harbour.example"
    assert feeds["Ledger"].publisher == "The Ledger"
    assert feeds["Bare"].publisher is None and feeds["Bare"].type == "rss"
    toml = feed_to_toml(feeds["Harbour (JSON)"])
    assert 'type = "jsonfeed"' in toml and 'publisher = "harbour.example"' in toml

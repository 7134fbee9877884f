"""Content sniffing: what a document is from its bytes, whatever the declared type says."""

from __future__ import annotations

import pytest

from producers.sniff import mismatch_note, sniff


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "jsonfeed"),
        (b'\xef\xbb\xbf  {"title": "x", "items": [{"id": "1"}]}', "jsonfeed"),
        (b'{"type": "FeatureCollection"}', None),  # JSON, but not a feed
        (b'<?xml version="1.0"?>\n<!-- generator --><rss version="2.0"><channel/></rss>', "rss"),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "atom"),
        (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "rdf"),
        (b"<!DOCTYPE html>\n<html lang=en><head>", "html"),
        ('<?xml version="1.0" encoding="utf-16"?><feed/>'.encode("utf-16"), "atom"),
        (b"plain words", None),
    ],
)
def test_sniff(body: bytes, kind: str | None) -> None:
    assert sniff(body) == kind


def test_the_note_names_the_type_to_set() -> None:
    note = mismatch_note("rss", "jsonfeed")
    assert "declared type = 'rss'" in note and "set type = 'jsonfeed'" in note


def test_a_document_of_no_known_kind_says_what_it_starts_with() -> None:
    from datetime import UTC, datetime

    from producers.rss import RssProducer

    parsed = RssProducer().parse(
        b"id,title\n1,Quay repairs\n", url="https://x.example/f", headers={}, feed=None,  # type: ignore[arg-type]
        fetched_at=datetime.now(UTC), http={},
    )  # fmt: skip
    assert parsed.outcome == "parse_error"
    assert parsed.bozo is not None and "not RSS, Atom, RDF or JSON Feed (it starts 'id,title" in parsed.bozo

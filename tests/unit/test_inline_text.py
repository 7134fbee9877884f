"""inline_text reads named character references without the HTML parser, with the parser's result."""

from __future__ import annotations

from html.entities import html5

from selectolax.lexbor import LexborHTMLParser

from consumers import html_text


def parsed(value: str) -> str:
    """What inline_text gave before: the parser's text for anything with a tag or an entity."""
    if not html_text.looks_like_html(value):
        return html_text.fold(value)
    tree = LexborHTMLParser(value)
    tree.strip_tags(["script", "style"])
    root = tree.body
    return html_text.fold(root.text(deep=True) if root is not None else "")


def test_every_named_reference_reads_as_the_parser_reads_it() -> None:
    for name in html5:
        for tail in ("", " x", "x", "1", "=", ";"):
            value = f"Council &{name}{tail} budget"
            assert html_text.inline_text(value) == parsed(value), value


def test_numeric_references_and_tags_still_go_through_the_parser() -> None:
    for value in ("t &#1;z", "t &#x80; z", "a &amp; <b>b</b>", "a\x00&amp;b"):
        assert html_text.inline_text(value) == parsed(value), value

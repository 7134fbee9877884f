"""canonical_url(): property tests (idempotent, tracking gone, semantics kept) and examples."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsstream.canonical_url import FEED_TAGGED, TRACKING_PARAMS, _is_tracking, article_id, canonical_url

LABEL = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)
SEGMENT = st.text(st.characters(codec="utf-8", exclude_characters="/?#\x00"), max_size=12)
KEY = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda k: not _is_tracking(k) and k not in FEED_TAGGED  # those go only with a feed-ish value
)
VALUE = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
TRACKING = st.one_of(
    st.sampled_from(sorted(TRACKING_PARAMS)),
    st.builds(lambda s: "utm_" + s, st.sampled_from(["source", "medium", "campaign", "term", "content"])),
)


def random_case(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))


@st.composite
def urls(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """A messy absolute URL and the facts it should keep: host, path, non-tracking query."""
    scheme = draw(st.sampled_from(["http", "https"]))
    host = ".".join(draw(st.lists(LABEL, min_size=2, max_size=4)))
    port = draw(st.sampled_from([None, "default", 8080]))
    segments = draw(st.lists(SEGMENT, max_size=4))
    path = "/" + "/".join(quote(s, safe="") for s in segments)
    keep = draw(st.lists(st.tuples(KEY, VALUE), max_size=4, unique_by=lambda kv: kv[0]))
    tracking = draw(st.lists(st.tuples(TRACKING, VALUE), max_size=3))
    pairs = keep + tracking
    pairs = draw(st.permutations(pairs))
    netloc = random_case(draw, host)
    if port == "default":
        netloc += ":443" if scheme == "https" else ":80"
    elif port:
        netloc += f":{port}"
    query = urlencode(pairs)
    fragment = draw(st.sampled_from(["", "#top", "#comments-1"]))
    url = f"{random_case(draw, scheme)}://{netloc}{path}{'?' + query if query else ''}{fragment}"
    facts = {"scheme": scheme, "host": host, "port": str(port if isinstance(port, int) else ""), "path": path}
    return url, {**facts, "keep": repr(sorted(keep))}


@given(urls())
def test_idempotent(case: tuple[str, dict[str, str]]) -> None:
    url, _ = case
    once = canonical_url(url)
    assert canonical_url(once) == once


@given(urls())
def test_tracking_gone_and_semantics_kept(case: tuple[str, dict[str, str]]) -> None:
    url, facts = case
    out = urlsplit(canonical_url(url))
    assert out.scheme == facts["scheme"]
    assert out.hostname == facts["host"] and out.netloc == out.netloc.lower()
    assert out.port == (int(facts["port"]) if facts["port"] else None)  # default port dropped
    assert out.fragment == ""
    pairs = parse_qsl(out.query, keep_blank_values=True)
    assert not any(_is_tracking(k) for k, _ in pairs)
    assert repr(sorted(pairs)) == facts["keep"]
    assert [k for k, _ in pairs] == sorted(k for k, _ in pairs)
    assert unquote(out.path) == unquote(facts["path"]) or (facts["path"] == "/" and out.path == "/")


@given(st.text(max_size=40))
def test_never_raises_and_idempotent_on_any_text(text: str) -> None:
    once = canonical_url(text)
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "HTTPS://WWW.Example.COM:443/News/Story?utm_source=rss&b=2&a=1#frag",
            "https://www.example.com/News/Story?a=1&b=2",
        ),
        ("http://example.com:8080", "http://example.com:8080/"),
        ("https://example.com/a%2fb/%7Euser/caf%C3%A9", "https://example.com/a%2Fb/~user/caf%C3%A9"),
        ("https://example.com/a?fbclid=1&gclid=2&mc_cid=3&x=&x=1", "https://example.com/a?x=&x=1"),
        ("/relative/path", "/relative/path"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
    ],
)
def test_examples(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_article_id_stable_across_tracking_and_case() -> None:
    a = article_id("https://Example.com/a?utm_medium=x")
    assert a == article_id("https://example.com/a#c") and a.startswith("u:") and len(a) == 26
    g = article_id(None, "guid-1", "https://feed.example/rss")
    assert g.startswith("g:") and g != article_id(None, "guid-1", "https://other.example/rss")
    with pytest.raises(ValueError):
        article_id(None, None)

"""Issue 14: values a hostile feed can write that once raised outside the MessageError tree."""

from __future__ import annotations

import pytest

from consumers import dates


@pytest.mark.parametrize(
    "written",
    ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "Fri, 31 Dec 9999 23:59:59 -0100"],
)
def test_a_date_past_the_ends_of_datetime_is_unreadable_not_an_error(written: str) -> None:
    assert dates.parse(written) is None
    assert dates.utc_string({"raw": written, "utc": written}) is None


def test_an_entity_heavy_body_drops_its_html_with_a_flag_and_stays_under_the_request_cap() -> None:
    import schemas
    from consumers.normalize import normalize
    from newsstream import codec
    from newsstream.dead_letters import MAX_OUTPUT_BYTES
    from tests.integration.helpers import raw_article

    article = normalize(raw_article(1, paragraphs=["&" * 1_900_000]))
    schemas.validate("normalized-article", article)
    assert article["body_html"] == "" and article["body_html_omitted"] is True
    assert article["body_text"].count("&") == 1_900_000, "the text itself is kept whole"
    assert len(codec.dumps(article)) < MAX_OUTPUT_BYTES
    ordinary = normalize(raw_article(2))
    assert "body_html_omitted" not in ordinary and ordinary["body_html"].startswith("<p>")

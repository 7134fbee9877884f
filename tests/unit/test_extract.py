"""articles.extract on small real-shaped pages: notices outside the body kept at their place,
chrome and time stamps not, promo lines dropped, time stamps told from notices."""

from __future__ import annotations

import pytest

from articles.extract import extract
from articles.extract.clean import clean, is_promo
from articles.timestamps import is_timestamp

PARAS = "".join(
    f"<p>Paragraph {i} of the council story says the harbour bridge toll passed after a five-hour debate, "
    f"with {i} amendments rejected and a final vote of nine to four in favour of the new charge.</p>"
    for i in range(8)
)


def page(before: str = "", after: str = "", aside: str = "", wrap_form: bool = False) -> str:
    body = f"<article><h1>Council backs toll</h1>{before}<div class='body'>{PARAS}</div>{after}</article>{aside}"
    if wrap_form:
        body = f"<form id='aspnetForm' method='post'>{body}<input type='hidden' name='x'></form>"
    head = "<head><title>Council backs toll | Gazette</title></head>"
    return f"<html>{head}<body><nav><a href='/'>Home</a></nav>{body}</body></html>"


def test_notice_in_aside_is_kept_at_the_bottom() -> None:
    notice = "Correction: An earlier version of this article misstated the number of votes in favour."
    content = extract(page(aside=f"<aside class='note'><p>{notice}</p></aside>"), "https://example.org/a")
    assert content is not None
    assert content.paragraphs[-1] == notice
    assert content.rescued == (notice,)


def test_update_line_before_the_first_paragraph_is_kept_at_the_top() -> None:
    notice = "Update: This story has been updated with the final vote count."
    content = extract(page(before=f"<div class='kicker'><p>{notice}</p></div>"), "https://example.org/a")
    assert content is not None
    assert content.paragraphs[0] == notice


def test_comment_and_time_stamp_are_not_rescued() -> None:
    comment = "<section class='comments'><p>Correction: you got the vote wrong, it was ten to three.</p></section>"
    stamp = "<div class='meta'><span>Updated 5:27 am CST, Wednesday November 20, 2019</span></div>"
    content = extract(page(before=stamp, aside=comment), "https://example.org/a")
    assert content is not None
    assert content.rescued == ()
    assert not any("ten to three" in p or "5:27" in p for p in content.paragraphs)


def test_page_wrapped_in_a_form_is_extracted() -> None:
    content = extract(page(wrap_form=True), "https://example.org/a")
    assert content is not None
    assert len(content.paragraphs) == 8


def test_headline_repeat_and_promo_lines_dropped() -> None:
    paras = ["Council backs toll", "The council voted.", "Read more: Another story", "Follow us on Twitter"]
    assert clean(paras, ("Council backs toll | Gazette",)) == ["The council voted."]
    assert not is_promo("Correction: Read more about the vote was wrongly attributed.")


@pytest.mark.parametrize(
    ("text", "stamp"),
    [
        ("Updated 5:27 am CST, Wednesday November 20, 2019", True),
        ("updated: Nov 20 2019, 15:24pm ist", True),
        ("Updated 0339 GMT (1139 HKT) November 19, 2019", True),
        ("Published 16m ago", True),
        ("Last updated on 05-11-2023", True),
        ("UPDATED at 8:35 pm with the correction", False),
        ("Updated: This story has been updated with the final vote count.", False),
        ("Updated", False),
    ],
)
def test_timestamps(text: str, stamp: bool) -> None:
    assert is_timestamp(text) is stamp

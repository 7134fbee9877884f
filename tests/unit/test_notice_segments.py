"""Candidate segments: blocks, sentences of long blocks, inline labelled notices, dated labels; the trigger."""

from __future__ import annotations

import pytest

from articles.notices import find_notices
from articles.notices.cues import could_be_notice, label_at, timestamp_only
from articles.notices.segment import SHORT, segments, title_segment


def _texts(body: str) -> list[str]:
    return [body[s.start : s.end] for s in segments(body)]


def test_blocks_are_segments_with_positions() -> None:
    body = "\n\n".join(f"Paragraph {i} says something." for i in range(8))
    found = segments(body)
    assert [s.position for s in found] == ["top"] * 3 + ["inline"] * 2 + ["bottom"] * 3
    assert all(body[s.start : s.end] == f"Paragraph {i} says something." for i, s in enumerate(found))


def test_an_inline_label_starts_its_own_segment_to_the_end_of_the_paragraph() -> None:
    body = (
        "The mayor spoke for an hour, he said. CORRECTION: An earlier version of this story gave the wrong day. "
        "It was Tuesday."
    )
    first, notice = segments(body)
    assert body[first.start : first.end] == "The mayor spoke for an hour, he said."
    assert body[notice.start : notice.end] == (
        "CORRECTION: An earlier version of this story gave the wrong day. It was Tuesday."
    )
    assert notice.inline and notice.label is not None and notice.label.kind == "correction"


def test_a_lower_case_label_word_mid_paragraph_is_prose() -> None:
    body = "Officials gave an update: the road is open. They said more later."
    assert len(segments(body)) == 1


@pytest.mark.parametrize(
    ("text", "kind", "dated"),
    [
        ("Correction added 12 March 2019: we said the bridge was built in 1932.", "correction", True),
        ("Correction (Aug. 4, 2019): An earlier version misstated the year.", "correction", True),
        ("Update, 22.21 Uhr - Robert Koch-Institut sieht Beginn der vierten Welle", "update", True),
        ("UPDATED at 8:35 pm with the correction", "update", True),
        ("UPDATE 2-Oil rises as supply fears mount", "update", True),
        ("Editor's note: This article has been updated to remove a name.", "editors_note", False),
        ("Berichtigung: Anders als zunächst berichtet, war er nicht anwesend.", "correction", False),
        ("Helyreigazítás: A 2016. október 23. napján megjelent cikk", "correction", False),
    ],
)
def test_labels_with_and_without_dates(text: str, kind: str, dated: bool) -> None:
    label = label_at(text)
    assert label is not None and label.kind == kind and label.dated is dated, label


@pytest.mark.parametrize(
    "text", ["Update your passwords now, experts warn", "Corrections officers went on strike", "Updates to the app"]
)
def test_a_label_word_followed_by_prose_is_no_label(text: str) -> None:
    assert label_at(text) is None


def test_a_dated_label_inside_a_paragraph_is_cut_out() -> None:
    body = "Shares fell 3 per cent on Monday. Correction added 12 March 2019: we said 30 per cent."
    texts = _texts(body)
    assert texts[-1] == "Correction added 12 March 2019: we said 30 per cent."


def test_a_short_block_starts_at_its_first_sentence_with_a_cue() -> None:
    body = "Three people died in the crash. An earlier version of this story gave four."
    (segment,) = segments(body)
    assert body[segment.start : segment.end] == "An earlier version of this story gave four."
    assert segment.inline and segment.sentence == 1


def test_a_long_block_is_split_into_sentences() -> None:
    filler = "The council met on Tuesday to discuss the budget for the coming year. " * 8
    body = filler + "An earlier version of this article misstated the date of the vote."
    assert len(body) > SHORT
    texts = _texts(body)
    assert len(texts) == 9 and texts[-1] == "An earlier version of this article misstated the date of the vote."


def test_time_stamps_and_the_title() -> None:
    assert timestamp_only("Updated 10:02 AM EDT, Tue March 5, 2024")
    assert not timestamp_only("Updated at 10:02 with new figures from the ministry")
    title = title_segment("  Budget talks  ")
    assert title is not None and title.position == "title" and (title.start, title.end) == (2, 14)
    assert title_segment("   ") is None


def test_trigger_is_cheap_and_multilingual() -> None:
    for text in ("CORRECTION: x", "Berichtigung", "바로잡습니다", "訂正します", "تصحيح", "Helyreigazítás", "Rettifica"):
        assert could_be_notice(text), text
    assert not could_be_notice("The sun rose over the hills at dawn.")


@pytest.mark.parametrize(
    "stamp", ["Updated 5:27 am CST, Wednesday, November 8, 2023", "updated: 3:26 pm IST", "Published 16m ago"]
)
def test_labelled_time_stamps_are_never_notices(stamp: str) -> None:
    body = f"The council met on Tuesday to discuss the budget.\n\n{stamp}"
    assert find_notices("", body) == []


def test_an_update_line_with_words_after_the_time_is_still_a_notice() -> None:
    body = "The council met on Tuesday to discuss the budget.\n\nUPDATED at 8:35 pm with the correction"
    assert [n.kind for n in find_notices("", body)] == ["update"]

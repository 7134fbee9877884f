"""One identity per version: normalize() computes the fingerprint once, equal to the detector's
definition (versions.fingerprint), and equal exactly when two versions differ only by noise."""

from __future__ import annotations

from typing import Any

import pytest

from consumers.detect import detect
from consumers.normalize import normalize
from consumers.versions import fingerprint
from tests.integration.helpers import raw_article


def _article(title: str, paragraphs: list[str]) -> dict[str, Any]:
    return normalize(raw_article(1, title=title, paragraphs=paragraphs))


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Council backs toll", ["The council voted 7-2 on Tuesday.", "Residents object."]),
        ("Don’t “panic”", ["It’s «fine», the mayor said — twice."]),
        ("Oﬃcial ﬁgures", ["Ｆｕｌｌｗｉｄｔｈ text and x² and the ﬂood."]),  # not NFKC: the slow path
        ("Straße", ["İstanbul ΣΊΣΥΦΟΣ déjà vu"]),
    ],
)
def test_normalize_fingerprint_is_the_detectors_definition(title: str, body: list[str]) -> None:
    article = _article(title, body)
    assert article["fingerprint"] == fingerprint(article["title"], article["body_text"])


def test_noise_keeps_the_identity_and_a_word_changes_it() -> None:
    base = _article("Council backs toll", ["The council voted 7-2 on Tuesday.", "Residents object."])
    noisy = _article("council backs toll!", ["The council  voted 7-2, on Tuesday", "Residents object…"])
    edited = _article("Council backs toll", ["The council voted 6-3 on Tuesday.", "Residents object."])
    assert base["fingerprint"] == noisy["fingerprint"]
    assert base["content_hash"] != noisy["content_hash"]
    assert edited["fingerprint"] != base["fingerprint"]


def test_the_detector_uses_the_carried_fingerprint() -> None:
    first = _article("Council backs toll", ["The council voted 7-2 on Tuesday."])
    _events, state = detect(None, first)
    replay = {**first, "content_hash": "0" * 64, "body_text": first["body_text"] + " extra words"}
    # same fingerprint carried: the detector trusts it and treats the message as a replay
    events, after = detect(state, replay)
    assert events == [] and after is state
    changed = {**replay, "fingerprint": "f" * 16}
    events, after = detect(state, changed)
    assert after is not state

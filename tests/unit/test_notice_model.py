"""The packaged notice model: it loads from the package, its card is complete, a mismatch fails clearly,
and training is deterministic (on a small slice of the self-written examples, so no corpus is needed)."""

from __future__ import annotations

import copy
import io
import json
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from articles.notices import corpus
from articles.notices.model import CLASSES, ModelError, check_card, from_files, load

DEVSET = Path(__file__).resolve().parents[1] / "data" / "notices-devset.jsonl"


def test_model_loads_from_the_package_with_its_card() -> None:
    model = load()
    assert model.name.startswith("notices-lr-")
    assert model.weights.shape[1] == len(CLASSES)
    assert 0.0 < model.threshold < 1.0
    card = model.card
    assert card["corpus_files_sha256"] and all(len(h) == 64 for h in card["corpus_files_sha256"].values())
    assert "blake2b" in card["split_rule"] and card["features"]
    assert {"numpy", "scikit-learn", "python"} <= set(card["libraries"])
    assert {"precision", "recall", "type_macro_f1", "referenced_title_exact"} <= set(card["scores"]["test"])
    folder = resources.files("articles.notices").joinpath("model")
    size = len(folder.joinpath("notices.npz").read_bytes())
    assert size < 20 * 1024 * 1024, size


def test_a_card_for_other_code_is_refused_naming_the_fix() -> None:
    card = copy.deepcopy(load().card)
    check_card(card)
    for key, value in (("features_version", -1), ("cues_sha256", "0" * 64), ("format", 99)):
        bad = {**card, key: value}
        with pytest.raises(ModelError, match="make train-notices"):
            check_card(bad)
    bad = copy.deepcopy(card)
    bad["libraries"]["numpy"] = "0.1"
    with pytest.raises(ModelError, match="numpy"):
        check_card(bad)


def test_a_model_round_trips_through_its_files() -> None:
    model = load()
    buffer = io.BytesIO()
    np.savez_compressed(buffer, weights=model.weights, bias=model.bias, calibration=np.asarray(model.calibration))
    buffer.seek(0)
    again = from_files(buffer, json.loads(json.dumps(model.card)))
    assert np.array_equal(again.weights, model.weights) and again.calibration == model.calibration


def _slice() -> list[corpus.Item]:
    rows = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [
        corpus.Item(
            f"dev-{n}",
            r["label"],
            r["text"],
            r["text"] if r["label"] != "none" else "",
            "",
            r["lang"],
            f"https://example.org/{n % 7}",
            "",
        )  # fmt: skip
        for n, r in enumerate(rows[:120])
    ]


def test_training_is_deterministic_on_a_small_slice() -> None:
    pytest.importorskip("sklearn", reason="training needs scikit-learn (the dev or train extra)")
    from threadpoolctl import threadpool_limits

    from articles.notices import train

    items = _slice()
    with threadpool_limits(1):
        first = train.fit(train.samples(items, []), 4.0)
        second = train.fit(train.samples(items, []), 4.0)
    assert first[0].tobytes() == second[0].tobytes() and first[1].tobytes() == second[1].tobytes()
    assert np.count_nonzero(first[0]) > 100  # it learned something

"""The trained notice classifier: loaded once from the package, scores one segment.

The artefact is ``model/notices.npz`` (weights of a linear model over :mod:`articles.notices.features`,
a bias per class and a Platt calibration of the notice score) with ``model/card.json`` (corpus
file hashes, split rule, features, dev and test scores, library versions). Loading refuses an
artefact built for another feature definition, cue file or numpy major version, naming the
command that rebuilds it (``make train-notices``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from articles.notices.features import DIMENSIONS, FEATURES_VERSION

#: Classes of the classifier, ``none`` first.
CLASSES = ("none", "correction", "clarification", "update", "retraction", "editors_note", "headline_change")
FORMAT = 1
REBUILD = "rebuild it with `make train-notices`"


class ModelError(RuntimeError):
    """The packaged model is missing or does not fit this code."""

    #: The deployment is broken, not one record: the runner ends the process instead of
    #: dead-lettering every record (newsstream/workers.py).
    ends_process = True


def cues_digest() -> str:
    """SHA-256 of the shipped ``cues.json`` (segments, and so the model, depend on it)."""
    data = resources.files("articles.notices").joinpath("cues.json").read_bytes()
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Model:
    """Weights, bias, calibration and card of the classifier."""

    weights: np.ndarray  # (DIMENSIONS, len(CLASSES)) float32
    bias: np.ndarray  # (len(CLASSES),)
    calibration: tuple[float, float]  # Platt a, b on logit(1 - p_none)
    card: dict[str, Any]

    @property
    def name(self) -> str:
        """The model's version string, as carried in ``evidence.model``."""
        return str(self.card["model"])

    @property
    def threshold(self) -> float:
        """The default notice threshold (chosen on the dev split for precision >= 0.95)."""
        return float(self.card["threshold"])

    @property
    def rule_threshold(self) -> float:
        """The threshold for segments the hand-written rules also call notices (chosen on dev)."""
        return float(self.card.get("rule_threshold", self.threshold))

    def predict(self, indices: list[int], values: list[float]) -> tuple[str, float, np.ndarray]:
        """``(kind, calibrated notice score, class probabilities)`` of one feature vector."""
        logits = np.asarray(values, dtype=np.float32) @ self.weights[indices] + self.bias
        logits = logits - logits.max()
        probs = np.exp(logits)
        probs /= probs.sum()
        p_notice = float(min(max(1.0 - probs[0], 1e-7), 1 - 1e-7))
        a, b = self.calibration
        score = 1.0 / (1.0 + math.exp(-(a * math.log(p_notice / (1.0 - p_notice)) + b)))
        kind = CLASSES[1 + int(np.argmax(probs[1:]))]
        return kind, score, probs


def check_card(card: dict[str, Any]) -> None:
    """Raise :class:`ModelError` when the card does not fit this code."""
    problems = []
    if card.get("format") != FORMAT:
        problems.append(f"format {card.get('format')} (this code reads {FORMAT})")
    if card.get("features_version") != FEATURES_VERSION:
        problems.append(f"features version {card.get('features_version')} (this code has {FEATURES_VERSION})")
    if card.get("dimensions") != DIMENSIONS:
        problems.append(f"{card.get('dimensions')} dimensions (this code hashes into {DIMENSIONS})")
    if card.get("cues_sha256") != cues_digest():
        problems.append("cue data changed since training (cues.json)")
    trained = str(card.get("libraries", {}).get("numpy", "0")).split(".")[0]
    if trained != np.__version__.split(".")[0]:
        problems.append(f"numpy {card.get('libraries', {}).get('numpy')} at training, {np.__version__} here")
    if problems:
        raise ModelError("the packaged notice model does not fit this code: " + "; ".join(problems) + "; " + REBUILD)


def from_files(npz: Any, card: dict[str, Any]) -> Model:
    """A model from an open ``.npz`` and its card (checked)."""
    check_card(card)
    with np.load(npz) as arrays:
        weights = arrays["weights"].astype(np.float32)
        bias = arrays["bias"].astype(np.float32)
        calibration = arrays["calibration"].astype(float)
    if weights.shape != (DIMENSIONS, len(CLASSES)):
        raise ModelError(f"weights of shape {weights.shape}, expected {(DIMENSIONS, len(CLASSES))}; {REBUILD}")
    return Model(weights, bias, (float(calibration[0]), float(calibration[1])), card)


@cache
def load() -> Model:
    """The model shipped in the package (loaded once per process)."""
    folder = resources.files("articles.notices").joinpath("model")
    try:
        card = json.loads(folder.joinpath("card.json").read_text(encoding="utf-8"))
        with folder.joinpath("notices.npz").open("rb") as npz:
            return from_files(npz, card)
    except FileNotFoundError as exc:
        raise ModelError(f"the notice model is missing from the package ({exc}); {REBUILD}") from exc

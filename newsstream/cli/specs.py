"""Every stage's spec, in pipeline order: the one place that knows every stage."""

from __future__ import annotations

from consumers.specs import ARCHIVE, DETECT, NORMALIZE
from newsstream.stagespec import StageSpec
from producers.specs import FEEDS_SERVE, PAGES, PRODUCE
from web.spec import WEB

__all__ = [
    "ARCHIVE", "BY_NAME", "DETECT", "FEEDS_SERVE", "NORMALIZE", "PAGES", "PRODUCE", "STAGES", "WEB", "spec",
    "topic_fields",
]  # fmt: skip

#: In pipeline order (the order ``newsstream run`` starts them and hands out base ports).
STAGES: tuple[StageSpec, ...] = (PRODUCE, NORMALIZE, DETECT, PAGES, FEEDS_SERVE, ARCHIVE, WEB)
BY_NAME: dict[str, StageSpec] = {s.name: s for s in STAGES}


def spec(name: str) -> StageSpec:
    return BY_NAME[name]


def topic_fields(stages: tuple[StageSpec, ...] = STAGES) -> set[str]:
    """The Topics fields the stages read or write (what ``topics create`` creates)."""
    return {name for s in stages for name in s.inputs + s.written()}

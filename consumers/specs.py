"""The consuming stages, each described once (the CLI, ``newsstream run``, compose and
``topics create`` derive from these). No Kafka import: the CLI reads them to build its parser."""

from __future__ import annotations

from newsstream.stagespec import StageSpec

NORMALIZE = StageSpec(
    name="normalize",
    summary="consume news.raw.v1, normalize each article, produce news.normalized.v1",
    default_port=9102,
    inputs=("raw",),
    outputs=("normalized", "dlq"),
    state=("normalizer_state",),
    group_id="newsstream-normalizer",
    settings=("NEWSSTREAM_WORKERS",),
    compose_services=("normalizer",),
)

DETECT = StageSpec(
    name="detect-corrections",
    summary="consume news.normalized.v1, detect corrections, produce news.corrections.v1 (CloudEvents)",
    default_port=9103,
    inputs=("normalized",),
    outputs=("corrections", "dlq"),
    state=("detector_state", "titles"),
    group_id="newsstream-detector",
    settings=("NEWSSTREAM_METRICS_PUBLISHERS", "NEWSSTREAM_METRICS_PUBLISHER_SLOTS"),
    compose_services=("detector",),
)

ARCHIVE = StageSpec(
    name="archive",
    summary="write normalized articles and correction events to the archive database (SQLite or PostgreSQL)",
    default_port=9106,
    inputs=("normalized", "corrections"),
    outputs=("dlq",),
    group_id="newsstream-archive",
    settings=("NEWSSTREAM_ARCHIVE_DSN", "NEWSSTREAM_STATE_DIR"),
    compose_services=("archive",),
)

"""The producing stages, each described once (the CLI, ``newsstream run``, compose and
``topics create`` derive from these). No Kafka import: the CLI reads them to build its parser."""

from __future__ import annotations

from newsstream.stagespec import StageSpec

#: Environment variables of anything that fetches from the web (the feed producer and the pages stage).
FETCH_SETTINGS = ("NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES", "NEWSSTREAM_ALLOWED_NETWORKS", "NEWSSTREAM_USER_AGENT")

PRODUCE = StageSpec(
    name="produce",
    summary="poll feeds and push new or changed entries to news.raw.v1",
    default_port=9101,
    outputs=("raw",),
    settings=("NEWSSTREAM_FEEDS", "NEWSSTREAM_STATE_DIR", "NEWSSTREAM_POLL_FLOOR_SECONDS", *FETCH_SETTINGS),
    compose_services=("producer", "demo-producer"),
)

PAGES = StageSpec(
    name="pages",
    summary="revisit article pages on an age ladder; send new versions (source page) to news.raw.v1",
    default_port=9104,
    inputs=("normalized",),
    outputs=("raw", "dlq"),
    state=("page_schedule",),
    group_id="newsstream-pages",
    settings=(
        "NEWSSTREAM_PAGES_LADDER",
        "NEWSSTREAM_PAGES_PUBLISHER_LADDERS",
        "NEWSSTREAM_PAGES_HOST_DELAY_SECONDS",
        "NEWSSTREAM_PAGES_GONE_CONFIRM",
        "NEWSSTREAM_PAGES_MAX_AGE",
        *FETCH_SETTINGS,
    ),
    compose_services=("pages", "demo-pages"),
)

#: The offline demo feed server (developer tooling, but a process of the demo stack all the same).
FEEDS_SERVE = StageSpec(
    name="feeds-serve",
    summary="serve the offline demo feeds as successive versions over time",
    default_port=9105,
    compose_services=("demo-feeds",),
)

"""The web page described once, like the stages (it reads the archive, not Kafka)."""

from __future__ import annotations

from newsstream.stagespec import StageSpec

WEB = StageSpec(
    name="web",
    summary="the archive's web page, JSON API and Atom feed of corrections",
    #: The one port of the web page: HTML, /api, /feeds, /metrics, /healthz, /readyz (NEWSSTREAM_WEB_PORT).
    default_port=8080,
    settings=("NEWSSTREAM_ARCHIVE_DSN", "NEWSSTREAM_STATE_DIR", "NEWSSTREAM_WEB_HOST", "NEWSSTREAM_WEB_PORT"),
    compose_services=("web",),
)

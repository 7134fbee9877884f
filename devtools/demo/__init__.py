"""Offline demo feeds: fictional outlets whose stories change over steps, and the server for them.

``newsstream dev feeds serve`` runs :func:`serve`; ``DEMO_FEEDS_TOML`` lists the feeds for the
producer at the default port (``feeds_toml(port)`` gives the same list for another port);
:func:`expected_events` says which correction events the pipeline should emit from them.
"""

from __future__ import annotations

from pathlib import Path

from devtools.demo.content import FEEDS, MAX_STEP, expected_events, hard_negatives
from devtools.demo.server import DEFAULT_PORT, DEFAULT_STEP_SECONDS, DemoServer, serve

DEMO_FEEDS_TOML = Path(__file__).with_name("feeds.toml")

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_STEP_SECONDS",
    "DEMO_FEEDS_TOML",
    "FEEDS",
    "MAX_STEP",
    "DemoServer",
    "expected_events",
    "feeds_toml",
    "hard_negatives",
    "serve",
]


def feeds_toml(port: int = DEFAULT_PORT, host: str = "127.0.0.1") -> str:
    """The bundled feed list with its URLs pointing at ``host:port`` instead of 127.0.0.1:8642."""
    return DEMO_FEEDS_TOML.read_text(encoding="utf-8").replace(f"127.0.0.1:{DEFAULT_PORT}", f"{host}:{port}")

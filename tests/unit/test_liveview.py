"""The live view: one status line redrawn in place on a terminal, events scrolling above it."""

from __future__ import annotations

import io

from devtools.liveview import LiveView


def test_terminal_redraws_the_status_line_and_prints_events_above_it() -> None:
    out = io.StringIO()
    view = LiveView(out, tty=True)
    view.status("producer fetched 1", 1)
    view.status("producer fetched 2", 2)
    view.line("  ▶ correction v1 “Quay repairs begin”")
    view.close()
    text = out.getvalue()
    assert text == (
        "[    1s] producer fetched 1"
        "\r\x1b[2K[    2s] producer fetched 2"
        "\r\x1b[2K  ▶ correction v1 “Quay repairs begin”\n[    2s] producer fetched 2"
        "\n"
    )
    assert text.count("\n") == 2  # one event line, and the final status line ended


def test_a_pipe_gets_one_line_per_status_change() -> None:
    out = io.StringIO()
    view = LiveView(out, tty=False)
    for elapsed, status in enumerate(["a 1", "a 1", "a 2"]):
        view.status(status, elapsed)
    view.line("event")
    view.close()
    assert out.getvalue() == "[    0s] a 1\n[    2s] a 2\nevent\n"
    assert "\x1b" not in out.getvalue()

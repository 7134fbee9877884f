"""Exit codes of the batch commands: 0 all processed, 3 partial, 4 nothing processed."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from newsstream import exit_codes

GOOD = orjson.dumps({"id": "u:quay", "title": "Quay repairs begin", "body_text": "Work starts on Monday."})


@pytest.mark.parametrize(
    ("lines", "code"),
    [
        ([GOOD], exit_codes.OK),
        ([GOOD, b"not json", b'{"title": "no id"}'], exit_codes.PARTIAL),
        ([b"not json", b"[1, 2]"], exit_codes.NOTHING_PROCESSED),
        ([], exit_codes.NOTHING_PROCESSED),
    ],
)
def test_detect_says_how_much_it_processed(lines: list[bytes], code: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "newsstream.cli", "detect", "-"],
        input=b"".join(line + b"\n" for line in lines), capture_output=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == code, result.stderr.decode()


def test_the_codes_are_distinct() -> None:
    assert exit_codes.for_counts(5, 0) == 0
    assert exit_codes.for_counts(5, 1) == exit_codes.PARTIAL == 3
    assert exit_codes.for_counts(0, 3) == exit_codes.NOTHING_PROCESSED == 4
    assert (
        len({exit_codes.OK, exit_codes.FAILED, exit_codes.USAGE, exit_codes.PARTIAL, exit_codes.NOTHING_PROCESSED}) == 5
    )

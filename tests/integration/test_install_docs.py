"""Install instructions are true for a clone: nothing tells people to fetch `newsstream` from the
package index, and the example plugin's dependency is satisfied by the installed clone."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: `pip install newsstream` (the index); not `newsstream-example-csv`, `-e .` or `newsstream @ <source>`.
FROM_INDEX = re.compile(r"pip install[`'\" ]+newsstream(?![-\w]|\s*@)")


def test_no_document_installs_newsstream_from_the_index() -> None:
    texts = [*REPO.glob("*.md"), *REPO.glob("docs/*.md"), *REPO.glob("examples/**/*.md")]
    texts += REPO.glob("examples/**/*.py")
    offenders = [str(p.relative_to(REPO)) for p in texts if FROM_INDEX.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.mark.integration
def test_the_plugin_installs_next_to_the_clone_without_fetching_newsstream() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", str(REPO / "examples" / "csv-producer")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    would = [line for line in proc.stdout.splitlines() if line.startswith("Would install")]
    assert would == ["Would install newsstream-example-csv-0.1.0"], proc.stdout[-2000:]

"""Structured logging: JSON lines in containers, readable lines on a terminal.

Extra context goes in ``extra={"fields": {...}}`` so it stays machine-readable.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from newsstream import codec

_RESERVED = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, plus any ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            payload.update(fields)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return codec.dumps(payload).decode()


class ConsoleFormatter(logging.Formatter):
    """``HH:MM:SS level logger: message key=value ...`` for people."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        line = f"{stamp} {record.levelname.lower():7} {record.name}: {record.getMessage()}"
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            line += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class RepeatFilter(logging.Filter):
    """Lets one record of a kind through per ``window_s``; kafka-python logs every reconnect attempt
    (several per second while a broker is away), which would bury everything else."""

    def __init__(self, prefix: str = "kafka", window_s: float = 30.0) -> None:
        super().__init__()
        self.prefix = prefix
        self.window_s = window_s
        self._last: dict[tuple[str, int, str], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefix):
            return True
        # The rendered text, digits dropped: the same complaint with another port or backoff is one
        # kind, but two complaints sharing a "%s: %s" template are not.
        kind = "".join(c for c in record.getMessage()[:160] if not c.isdigit())
        key = (record.name, record.levelno, kind)
        now = time.monotonic()
        if now - self._last.get(key, -self.window_s) < self.window_s:
            return False
        if len(self._last) > 1000:
            self._last.clear()
        self._last[key] = now
        return True


def setup_logging(fmt: str = "console", level: str = "INFO") -> None:
    """Configure the root logger once for this process (stderr)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    handler.addFilter(RepeatFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kafka-python is chatty at INFO about every connection; its warnings still come through.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, root.level))


def fields(**values: Any) -> dict[str, Any]:
    """Shorthand for ``extra={"fields": {...}}``."""
    return {"fields": values}

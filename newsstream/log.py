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


def setup_logging(fmt: str = "console", level: str = "INFO") -> None:
    """Configure the root logger once for this process (stderr)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # kafka-python is chatty at INFO about every connection; its warnings still come through.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, root.level))


def fields(**values: Any) -> dict[str, Any]:
    """Shorthand for ``extra={"fields": {...}}``."""
    return {"fields": values}

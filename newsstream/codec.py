"""The one JSON codec: orjson in, orjson out."""

from __future__ import annotations

from typing import Any

import orjson

from newsstream.errors import DecodeError


def dumps(value: Any) -> bytes:
    """Serialize to compact UTF-8 JSON (dataclasses and datetimes included)."""
    return orjson.dumps(value)


def loads(data: bytes | str) -> Any:
    """Parse UTF-8 JSON, raising :class:`DecodeError` with the reason on bad input."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise DecodeError(f"not valid UTF-8 JSON: {exc}") from exc

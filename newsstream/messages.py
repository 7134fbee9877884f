"""Decoding and encoding of pipeline messages: JSON via the codec, checked against schemas/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import schemas
from newsstream import codec
from newsstream.errors import DecodeError, SchemaError
from newsstream.runner import Headers, Output

CONTENT_TYPE = ("content-type", b"application/json")


def decode(value: bytes | None, schema_name: str) -> dict[str, Any]:
    """Parse a record value and validate it; DecodeError / SchemaError say what is wrong."""
    if value is None:
        raise DecodeError("record has no value (a tombstone?)")
    message = codec.loads(value)
    if not isinstance(message, dict):
        raise DecodeError(f"expected a JSON object, got {type(message).__name__}")
    try:
        schemas.validate(schema_name, message)
    except schemas.InvalidMessage as exc:
        raise SchemaError(str(exc)) from exc
    return message


def headers_for(schema_name: str) -> Headers:
    """The headers every JSON message carries: content type and the schema's ``$id``."""
    return [CONTENT_TYPE, ("schema", schemas.schema_id(schema_name).encode())]


def json_output(topic: str, key: str, message: dict[str, Any], schema_name: str, **extra: Any) -> Output:
    """An Output carrying ``message`` as JSON with the standard headers."""
    return Output(topic, key.encode(), codec.dumps(message), headers_for(schema_name), **extra)


def epoch_seconds(utc: str | None) -> float | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` to epoch seconds (None when absent or malformed)."""
    if not utc:
        return None
    try:
        return datetime.fromisoformat(utc.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None

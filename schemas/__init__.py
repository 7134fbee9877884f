"""JSON Schema documents (draft 2020-12) for every message type, and a validator for them.

This package imports nothing else of newsstream, so any service can vendor it. Each schema has a
versioned ``$id``; messages carry it in their ``schema`` header.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SCHEMA_DIR = Path(__file__).resolve().parent

#: Message type -> schema file name.
FILES: dict[str, str] = {
    "raw-article": "raw-article.v1.json",
    "normalized-article": "normalized-article.v1.json",
    "correction-event": "correction-event.v1.json",
}


class InvalidMessage(ValueError):
    """A message does not match its schema; the text names the failing field path."""


@cache
def load(name: str) -> dict[str, Any]:
    """The schema document for a message type (e.g. ``"raw-article"``)."""
    try:
        filename = FILES[name]
    except KeyError:
        raise KeyError(f"unknown message type {name!r}; known: {', '.join(FILES)}") from None
    document: dict[str, Any] = json.loads((SCHEMA_DIR / filename).read_text(encoding="utf-8"))
    return document


def schema_id(name: str) -> str:
    """The versioned ``$id`` written in the ``schema`` header of messages of this type."""
    return str(load(name)["$id"])


@cache
def _validator(name: str) -> Any:
    # jsonschema-rs (the Rust `jsonschema` crate): ~100x faster than the pure-Python validator,
    # which matters because every stage validates every message it consumes.
    document = load(name)
    jsonschema_rs.meta.validate(document)
    return jsonschema_rs.Draft202012Validator(document, validate_formats=True)


def validate(name: str, message: Any) -> None:
    """Raise :class:`InvalidMessage` naming the first failing path when ``message`` is invalid."""
    validator = _validator(name)
    if validator.is_valid(message):
        return
    errors = sorted(validator.iter_errors(message), key=lambda e: [str(p) for p in e.instance_path])
    first = errors[0]
    where = "/".join(str(p) for p in first.instance_path) or "(root)"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    raise InvalidMessage(f"{name} invalid at {where}: {first.message}{more}")


def is_valid(name: str, message: Any) -> bool:
    """True when ``message`` matches the schema."""
    return _validator(name).is_valid(message)

"""The exceptions newsstream raises, in one tree.

    NewsstreamError
    ├── ConfigError            a setting is missing or malformed (names the variable)
    ├── MessageError           one message cannot be processed: it goes to the DLQ
    │   ├── DecodeError        bytes are not UTF-8 JSON
    │   ├── SchemaError        JSON does not match the message's JSON Schema
    │   └── TransformError     the stage's pure function rejected the message
    └── FetchError             one feed fetch failed (outcome says how)

Bad data is a value (a MessageError routed to the DLQ); broken infrastructure is a crash.
The dev broker's ``DevBrokerError`` (a NewsstreamError too) lives with it in ``devtools.kafka``.
"""

from __future__ import annotations


class NewsstreamError(Exception):
    """Base of every error newsstream raises on purpose."""


class ConfigError(NewsstreamError):
    """A configuration value is missing or malformed."""


class MessageError(NewsstreamError):
    """One message cannot be processed; the runner sends it to the dead-letter topic."""

    reason = "transform"


class DecodeError(MessageError):
    """The message value is not UTF-8 JSON."""

    reason = "decode"


class SchemaError(MessageError):
    """The decoded message does not match its JSON Schema."""

    reason = "schema"


class TransformError(MessageError):
    """The stage's pure function rejected the message."""

    reason = "transform"


class FetchError(NewsstreamError):
    """A feed fetch failed; ``outcome`` is the metric label (timeout, http_error, too_large, ...)."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome

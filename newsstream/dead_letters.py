"""Dead letters: what the runner sends to the DLQ for one input record, and the output size check.

A dead letter is the *input* record (key and original bytes, cut to MAX_DLQ_VALUE_BYTES) with
headers saying which stage gave up on it and why: ``stage``, ``error.reason``, ``error.class``,
``error.message``, ``error.traceback`` (when an exception was raised; its last 4 KiB),
``source.topic``/``source.partition``/``source.offset``, and ``truncated.from`` when cut.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kafka.consumer.fetcher import ConsumerRecord

from newsstream.kafka_clients import MAX_REQUEST_BYTES

if TYPE_CHECKING:  # the runner imports this module
    from newsstream.runner import Output

Headers = list[tuple[str, bytes]]

#: DLQ copies keep at most this much of the original value (the producer's request cap is 4 MiB).
MAX_DLQ_VALUE_BYTES = 3 * 1024 * 1024
#: An output larger than this (key, value and headers, less a margin for the record's framing
#: under the producer's request cap) goes to the DLQ as ``output_too_large`` instead.
MAX_OUTPUT_BYTES = MAX_REQUEST_BYTES - 16 * 1024


def dead_letter(
    stage: str, record: ConsumerRecord, reason: str, error_class: str, message: str, trace: str = ""
) -> tuple[bytes | None, bytes | None, Headers]:
    """Key, value and headers of the DLQ copy of ``record`` (headers as above)."""
    value = record.value
    headers: Headers = [
        ("stage", stage.encode()),
        ("error.reason", reason.encode()),
        ("error.class", error_class.encode()),
        ("error.message", message[:1000].encode("utf-8", "replace")),
        ("source.topic", record.topic.encode()),
        ("source.partition", str(record.partition).encode()),
        ("source.offset", str(record.offset).encode()),
    ]
    if trace:
        headers.append(("error.traceback", trace.encode("utf-8", "replace")))
    if value is not None and len(value) > MAX_DLQ_VALUE_BYTES:
        headers.append(("truncated.from", str(len(value)).encode()))
        value = value[:MAX_DLQ_VALUE_BYTES]
    return record.key, value, headers


def output_size(out: Output) -> int:
    """Bytes of an output's key, value and headers (what the request cap measures, less framing)."""
    headers = sum(len(k.encode()) + len(v or b"") for k, v in out.headers)
    return len(out.key or b"") + len(out.value or b"") + headers


def oversized(outputs: list[Output]) -> str | None:
    """Why ``outputs`` cannot be sent (the first one over MAX_OUTPUT_BYTES), or None."""
    for out in outputs:
        size = output_size(out)
        if size > MAX_OUTPUT_BYTES:
            return f"an output to {out.topic} is {size} bytes; the limit is {MAX_OUTPUT_BYTES}"
    return None

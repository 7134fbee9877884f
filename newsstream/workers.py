"""Runs a stage's transform over a batch, in this process or in a pool of worker processes.

Python runs one thread of bytecode at a time, and the Kafka client's own work (record parsing,
CRC, compression, sockets) already fills one core. A stateless stage (the normalizer) can hand its
pure transform to worker processes so the transform and the Kafka I/O use different cores. The
batch is still committed as one transaction by the runner; only the transform moves.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

from newsstream.errors import ConfigError, MessageError

#: What went wrong with one record: reason, error class, message, traceback (bounded).
Failure = tuple[str, str, str, str]
#: (outputs, None, seconds) on success; (None, Failure, seconds) on a record that cannot be processed.
Result = tuple[list[Any] | None, Failure | None, float]
#: Bytes of traceback kept in a dead letter's header: the innermost frames, where the error was raised.
MAX_TRACEBACK_BYTES = 4096

_worker_stage: Any = None
#: Records per task sent to a worker: small enough that producing overlaps with transforming, large
#: enough that task overhead stays small (measured: 100 beat 25 by ~5% with 2 workers on 2 cores).
CHUNK = 100


def apply(stage: Any, record: ConsumerRecord) -> Result:
    """Run ``stage.process`` on one record, turning any exception it raises into a value.

    A MessageError keeps its reason; any other exception (a bug or a value the transform did not
    foresee, e.g. an OverflowError from a date) is reason ``exception``: one record's failure is
    data, not a reason to stop the partition. Kafka errors, ConfigError and an exception whose
    class sets ``ends_process = True`` (the deployment is broken: every record would fail the same
    way) propagate and end the process.
    """
    started = time.perf_counter()
    try:
        outputs = stage.process(record)
    except (KafkaError, ConfigError):
        raise  # the broker's, or a broken deployment: not one record's
    except Exception as exc:  # noqa: BLE001 - every per-record failure becomes a dead letter
        if getattr(exc, "ends_process", False):  # e.g. a packaged model that does not fit the code
            raise
        reason = exc.reason if isinstance(exc, MessageError) else "exception"
        return None, (reason, type(exc).__name__, str(exc), bounded_traceback(exc)), time.perf_counter() - started
    return outputs, None, time.perf_counter() - started


def bounded_traceback(exc: BaseException) -> str:
    """The formatted traceback of ``exc``, cut to its last MAX_TRACEBACK_BYTES (UTF-8)."""
    text = "".join(traceback.format_exception(exc)).encode("utf-8", "replace")
    return text[-MAX_TRACEBACK_BYTES:].decode("utf-8", "ignore")


def _init_worker(stage: Any) -> None:
    global _worker_stage
    # Ctrl-C reaches the whole process group; only the runner decides when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_stage = stage


def _apply_chunk(records: list[ConsumerRecord]) -> list[Result]:
    return [apply(_worker_stage, record) for record in records]


class TransformPool:
    """``map(records)`` → one Result per record, in order; in-process when ``workers`` is 1."""

    def __init__(self, stage: Any, workers: int = 1) -> None:
        self.stage = stage
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            if not getattr(stage, "stateless", False):
                raise ConfigError(f"stage {stage.name!r} keeps state per partition; it cannot use worker processes")
            # spawn, not fork: the parent runs Kafka client threads, and forking them is unsafe.
            self._pool = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker, initargs=(stage,)
            )

    def map(self, records: list[ConsumerRecord]) -> Iterator[Result]:
        """Results in record order, yielded as they are ready, so the caller can produce the first
        outputs while the workers still transform the rest of the batch."""
        if self._pool is None:
            for record in records:
                yield apply(self.stage, record)
            return
        chunks = [records[i : i + CHUNK] for i in range(0, len(records), CHUNK)]
        for chunk in self._pool.map(_apply_chunk, chunks):
            yield from chunk

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

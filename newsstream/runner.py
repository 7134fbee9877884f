"""The one consume→transform→produce loop every consuming stage shares.

Each poll returns a batch; each record goes through the stage's pure transform; the outputs and
the consumed offsets are committed in ONE Kafka transaction (``send_offsets_to_transaction`` with
the consumer's group metadata, KIP-447), so a ``read_committed`` reader downstream sees every
input's outputs exactly once, across crashes and rebalances. A record the stage cannot process
goes to the dead-letter topic in the same transaction, with the reason in its headers.

Because a whole batch is processed and committed between two polls, no transaction is ever open
while the consumer rebalances: revocation needs no flush, only dropping per-partition state.
"""

from __future__ import annotations

import itertools
import logging
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError, ProducerFencedError
from kafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry, Counter

from newsstream import reach
from newsstream.config import Config
from newsstream.dead_letters import dead_letter, oversized
from newsstream.deadline import Deadline, commit_deadline_s, stall_s
from newsstream.errors import ConfigError
from newsstream.health import HealthServer
from newsstream.kafka_clients import make_consumer, make_producer, transactional_request_lost
from newsstream.log import fields
from newsstream.membership import RejoinWatch, await_partitions
from newsstream.shutdown import Shutdown
from newsstream.stage import Headers, Output, Stage, StageBase
from newsstream.stage_metrics import StageMetrics
from newsstream.workers import TransformPool, bounded_traceback

log = logging.getLogger(__name__)

__all__ = ["MAX_INPUT_BYTES", "Headers", "Output", "Runner", "RunnerOptions", "Stage", "StageBase", "run_stage"]

#: Inputs larger than this go to the DLQ unread (reason ``too_large``).
MAX_INPUT_BYTES = 2 * 1024 * 1024
#: A commit slower than this is logged: a broker or coordinator failover is under way (a first
#: commit after start-up takes up to about 1.7 s on the three-broker cluster).
SLOW_COMMIT_S = 2.0


@dataclass
class RunnerOptions:
    """Tuning of the loop; defaults suit the pipeline's small JSON messages."""

    group_id: str
    instance_id: str = field(default_factory=socket.gethostname)
    max_batch: int = 500
    #: Worker processes for the transform (stateless stages only); 1 = in this process.
    workers: int = 1
    poll_timeout_ms: int = 500
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    transaction_timeout_ms: int = 30_000
    #: The transactional producer's request timeout (kafka-python's default is 30 s). A commit that
    #: waits with no request queued or in flight for longer than this and a second is stuck and
    #: ends the process (:func:`newsstream.deadline.stall_s`; issue 14: a fixed 60 s deadline made
    #: the controller-kill chaos scenario recover in 82.6 s).
    request_timeout_ms: int = 5_000
    #: kafka-python's commit/abort calls wait without a timeout (and could wait forever, see
    #: newsstream/deadline.py): past this the process exits to be restarted. None = derived from
    #: the transaction and request timeouts (:func:`newsstream.deadline.commit_deadline_s`).
    commit_deadline_s: float | None = None
    consumer_overrides: dict[str, Any] = field(default_factory=dict)
    #: The /metrics port (0 = any free one); the CLI sets it from the stage's spec and the environment.
    metrics_port: int = 0


class _Listener(ConsumerRebalanceListener):
    def __init__(self, runner: Runner) -> None:
        self.runner = runner

    def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        revoked = set(revoked)
        if revoked:
            log.info("partitions revoked", extra=fields(stage=self.runner.stage.name, partitions=_fmt(revoked)))
            self.runner.stage.on_revoked(revoked)
        self.runner.assigned -= revoked
        self.runner.metrics.ready.labels(self.runner.stage.name).set(0)

    def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        assigned = set(assigned)
        log.info("partitions assigned", extra=fields(stage=self.runner.stage.name, partitions=_fmt(assigned)))
        if assigned:
            self.runner.stage.on_assigned(assigned)
        self.runner.assigned = assigned
        self.runner.metrics.ready.labels(self.runner.stage.name).set(1 if assigned else 0)


def _fmt(partitions: Iterable[TopicPartition]) -> str:
    return ",".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(partitions))


class Runner:
    """Runs one stage: group membership, batches, transactions, DLQ, metrics, health, shutdown."""

    def __init__(
        self,
        stage: Stage,
        config: Config,
        options: RunnerOptions,
        registry: CollectorRegistry | None = None,
        shutdown: Shutdown | None = None,
    ) -> None:
        self.stage = stage
        self.config = config
        self.options = options
        self.registry = registry or CollectorRegistry()
        self.metrics = StageMetrics(stage.name, self.registry)
        self._tick_failures = Counter(
            "newsstream_tick_failures", "Timer-driven stage work (tick) that raised", ["stage"], registry=self.registry
        ).labels(stage.name)
        stage.bind_metrics(self.registry)
        self.shutdown = shutdown or Shutdown()
        self.assigned: set[TopicPartition] = set()
        self.batches = 0
        self._consumer: Any = None
        self._producer: Any = None
        self._deadline_s = options.commit_deadline_s or commit_deadline_s(
            options.request_timeout_ms, options.transaction_timeout_ms
        )
        self._stall_s = stall_s(options.request_timeout_ms)
        self._rejoin_watch = RejoinWatch(options.session_timeout_ms)
        self._rejoins = Counter(
            "newsstream_consumer_rejoins_total",
            "Consumers replaced because their rebalance never completed",
            ["stage"],
            registry=self.registry,
        ).labels(stage.name)
        self._pool = TransformPool(stage, options.workers)
        interval = stage.tick_interval_s
        self._next_tick: float | None = None if interval is None else time.monotonic()

    # --- lifecycle -------------------------------------------------------------------------
    def run(self, serve_health: bool = True) -> int:
        """Run until shutdown is requested; return the process exit code."""
        health = None
        if serve_health:
            health = HealthServer(
                self.registry,
                self.config.metrics_host,
                self.options.metrics_port,
                ready=self.is_ready,
                alive=self.stage.is_alive,
            ).start()
            log.info("serving /metrics /healthz /readyz", extra=fields(port=health.port))
        transactional_id = f"newsstream-{self.stage.name}-{self.options.instance_id}"
        self._producer = make_producer(
            self.config.kafka,
            transactional_id=transactional_id,
            transaction_timeout_ms=self.options.transaction_timeout_ms,
            request_timeout_ms=self.options.request_timeout_ms,
        )
        # Fences a previous incarnation with the same id and aborts its open transaction at once.
        self._producer.init_transactions()
        self._consumer = self._subscribed_consumer()
        log.info(
            "stage started",
            extra=fields(
                stage=self.stage.name,
                group=self.options.group_id,
                transactional_id=transactional_id,
                topics=",".join(self.stage.input_topics()),
            ),
        )
        try:
            while not self.shutdown.requested:
                self.run_once()
            last = self.stage.drain()
            if last:
                self._transact({}, iter([last]))
        finally:
            self._close()
            if health is not None:
                health.stop()
        return 0

    def _subscribed_consumer(self) -> Any:
        consumer = make_consumer(
            self.config.kafka,
            self.options.group_id,
            session_timeout_ms=self.options.session_timeout_ms,
            heartbeat_interval_ms=self.options.heartbeat_interval_ms,
            max_poll_records=self.options.max_batch,
            **self.options.consumer_overrides,
        )
        await_partitions(consumer, self.stage.input_topics())
        consumer.subscribe(self.stage.input_topics(), listener=_Listener(self))
        self._rejoin_watch.reset()
        return consumer

    def _renew_consumer(self) -> None:
        """Replace a consumer stuck in a rebalance (:mod:`newsstream.membership`) by a new one."""
        try:
            reach.check(self.config.kafka.bootstrap_servers)
        except ConfigError:  # the cluster is down, not the client stuck: the rebalance ends when it is back
            self._rejoin_watch.reset()
            return
        log.warning(
            "the consumer's rebalance has not completed: joining the group again with a new consumer",
            extra=fields(stage=self.stage.name, seconds=self._rejoin_watch.limit_s),
        )
        self._rejoins.inc()
        self.assigned = set()
        # the stuck member leaves first (a new member beside it would wait for it in the rebalance)
        self._consumer.close(autocommit=False, timeout_ms=5000)
        self._consumer = self._subscribed_consumer()

    def is_ready(self) -> bool:
        return bool(self.assigned)

    def _close(self) -> None:
        log.info("stage stopping", extra=fields(stage=self.stage.name, batches=self.batches))
        self.metrics.ready.labels(self.stage.name).set(0)
        if self._consumer is not None:
            self._consumer.close(autocommit=False)
        if self._producer is not None:
            self._producer.close(timeout=5)
        self._pool.close()
        self.stage.close()

    # --- one batch ---------------------------------------------------------------------------
    def run_once(self) -> int:
        """Poll one batch, run the tick when due, commit the outputs with the batch's offsets in one
        transaction; return the records processed."""
        timeout_ms = self.options.poll_timeout_ms
        if self._next_tick is not None:  # wake up for the tick even when no record arrives
            timeout_ms = max(0, min(timeout_ms, int((self._next_tick - time.monotonic()) * 1000)))
        batch: dict[TopicPartition, list[ConsumerRecord]] = self._consumer.poll(
            timeout_ms=timeout_ms, max_records=self.options.max_batch
        )
        if not batch and self._rejoin_watch.stuck(self._consumer):
            self._renew_consumer()
            return 0
        self._update_lag()
        records = sum(len(v) for v in batch.values())
        ticked: list[Output] = []
        interval = self.stage.tick_interval_s
        if self._next_tick is not None and interval is not None and time.monotonic() >= self._next_tick:
            self._next_tick = time.monotonic() + interval
            ticked = self._tick()
        if not records and not ticked:
            return 0
        ordered = [record for tp_records in batch.values() for record in tp_records]
        outputs = self._transform_all(ordered)
        if not self._transact(batch, itertools.chain([ticked], outputs) if ticked else outputs):
            return 0
        return records

    def _tick(self) -> list[Output]:
        """The stage's timer work; an exception in it is logged and counted, and the loop goes on
        (the same rule as for one record): only the infrastructure's errors end the process."""
        try:
            return self.stage.tick(time.time())
        except (KafkaError, ConfigError):
            raise
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            if getattr(exc, "ends_process", False):
                raise
            self._tick_failures.inc()
            log.exception(
                "the stage's tick raised; it runs again at the next interval", extra=fields(stage=self.stage.name)
            )
            return []

    def _transact(self, batch: dict[TopicPartition, list[ConsumerRecord]], outputs: Iterator[list[Output]]) -> bool:
        """Send ``outputs`` and commit them with the batch's offsets in one transaction; on a
        retriable error abort and rewind (the batch and the tick's work are done again)."""
        self._producer.begin_transaction()
        produced: dict[str, int] = {}
        latencies: list[float] = []
        send = self._producer.send
        try:
            for record_outputs in outputs:
                for out in record_outputs:
                    send(out.topic, key=out.key, value=out.value, headers=out.headers, partition=out.partition)
                    produced[out.topic] = produced.get(out.topic, 0) + 1
                    if out.fetched_at is not None:
                        latencies.append(out.fetched_at)
            committing = time.monotonic()
            with self._deadline("committing the transaction"):
                if batch:
                    offsets = {tp: OffsetAndMetadata(recs[-1].offset + 1, "", -1) for tp, recs in batch.items()}
                    self._producer.send_offsets_to_transaction(offsets, self._consumer.group_metadata())
                self._producer.commit_transaction()
            commit_s = time.monotonic() - committing
            if commit_s >= SLOW_COMMIT_S:
                # Said so an operator (and the fault suite) sees what a broker failover cost.
                log.warning("slow transaction commit", extra=fields(stage=self.stage.name, seconds=round(commit_s, 1)))
        except ProducerFencedError:
            # Another instance owns our transactional id: we are a zombie. Crash; the supervisor restarts.
            self.metrics.transactions.labels(self.stage.name, "abort").inc()
            raise
        except KafkaError as exc:
            self._abort(batch, exc)
            return False
        now = time.time()
        self.batches += 1
        self.metrics.transactions.labels(self.stage.name, "commit").inc()
        for tp, tp_records in batch.items():
            self.metrics.consumed.labels(self.stage.name, tp.topic).inc(len(tp_records))
        for topic, count in produced.items():
            self.metrics.produced.labels(self.stage.name, topic).inc(count)
        latency = self.metrics.latency.labels(self.stage.name)
        for fetched_at in latencies:
            latency.observe(max(0.0, now - fetched_at))
        return True

    def _abort(self, batch: dict[TopicPartition, list[ConsumerRecord]], exc: Exception) -> None:
        """Abort the open transaction and rewind so the batch is processed again."""
        log.warning(
            "transaction aborted; the batch will be retried",
            extra=fields(stage=self.stage.name, error=f"{type(exc).__name__}: {exc}"),
        )
        self.metrics.transactions.labels(self.stage.name, "abort").inc()
        with self._deadline("aborting the transaction"):
            self._producer.abort_transaction()
        for tp, tp_records in batch.items():
            if tp in self._consumer.assignment():
                self._consumer.seek(tp, tp_records[0].offset)
        # State updated while processing the aborted batch is now ahead of the committed offsets:
        # reload it from the changelog exactly as after a rebalance.
        owned = set(self._consumer.assignment())
        if owned:
            self.stage.on_revoked(owned)
            self.stage.on_assigned(owned)

    def _deadline(self, what: str) -> Deadline:
        """The watch over one commit or abort: the deadline, and the stall of a lost request."""
        producer = self._producer
        return Deadline(
            self._deadline_s, what, stalled=lambda: transactional_request_lost(producer), stall_s=self._stall_s
        )

    def _transform_all(self, records: list[ConsumerRecord]) -> Iterator[list[Output]]:
        """The outputs of each record, in order (DLQ copies for oversized or rejected ones), yielded
        as soon as each is ready."""
        fits = [len(record.value or b"") <= MAX_INPUT_BYTES for record in records]
        results = self._pool.map([record for record, ok in zip(records, fits, strict=True) if ok])
        histogram = self.metrics.processing.labels(self.stage.name)
        # Run here in the runner's process even when the transform runs in workers: the last word
        # on a record's outputs with per-partition state (the normalizer drops repeated versions).
        admit = self.stage.admit
        for record, ok in zip(records, fits, strict=True):
            if not ok:
                message = f"value is {len(record.value)} bytes; the limit is {MAX_INPUT_BYTES}"
                yield [self._dead_letter(record, "too_large", "MessageTooLarge", message)]
                continue
            outputs, error, seconds = next(results)
            histogram.observe(seconds)
            if error is not None:
                yield [self._dead_letter(record, *error)]
                continue
            try:
                kept = admit(record, outputs or [])
            except KafkaError:
                raise
            except Exception as exc:  # noqa: BLE001 - one record's failure is data (issue 14)
                yield [self._dead_letter(record, "exception", type(exc).__name__, str(exc), bounded_traceback(exc))]
                continue
            # Measured before anything joins the transaction: kafka-python refuses an output over the
            # request cap at send(), which would abort the transaction and retry the batch forever.
            too_large = oversized(kept)
            yield [self._dead_letter(record, "output_too_large", "OutputTooLarge", too_large)] if too_large else kept

    def _dead_letter(
        self, record: ConsumerRecord, reason: str, error_class: str, message: str, trace: str = ""
    ) -> Output:
        self.metrics.dlq.labels(self.stage.name, reason).inc()
        log.warning(
            "message sent to the dead-letter topic",
            extra=fields(
                stage=self.stage.name,
                reason=reason,
                error=message[:300],
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
            ),
        )
        key, value, headers = dead_letter(self.stage.name, record, reason, error_class, message, trace)
        return Output(self.config.topics.dlq, key, value, headers)

    def _update_lag(self) -> None:
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            if high is None:
                continue
            try:
                position = self._consumer.position(tp, timeout_ms=100)
            except KafkaError:
                continue
            if position is not None:
                self.metrics.lag.labels(self.stage.name, tp.topic, str(tp.partition)).set(max(0, high - position))


def decode_headers(headers: Iterable[tuple[str, bytes | None]] | None) -> dict[str, str]:
    """Record headers as a dict of text (later duplicates win)."""
    return {k: (v or b"").decode("utf-8", "replace") for k, v in (headers or [])}


def run_stage(stage_factory: Callable[[Config], Stage], config: Config, options: RunnerOptions) -> int:
    """Build the stage, install signal handlers and run it (the CLI's entry for every stage)."""
    shutdown = Shutdown().install()
    stage = stage_factory(config)
    return Runner(stage, config, options, shutdown=shutdown).run()

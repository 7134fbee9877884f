"""Kafka client factories with the project's delivery settings in one place.

Producers are idempotent with ``acks=all`` and zstd compression by default
(NEWSSTREAM_COMPRESSION: zstd, gzip or none). Consumers commit manually and read only committed transactional data.
"""

from __future__ import annotations

import logging
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaConnectionError, KafkaError, NodeNotReadyError, RequestTimedOutError
from kafka.future import Future
from kafka.net.compat import KafkaNetClient
from kafka.protocol.metadata import FindCoordinatorRequest
from kafka.protocol.producer import (
    AddOffsetsToTxnRequest,
    AddPartitionsToTxnRequest,
    EndTxnRequest,
    InitProducerIdRequest,
    TxnOffsetCommitRequest,
)

from newsstream.config import KafkaSettings

log = logging.getLogger(__name__)

CLIENT_ID = "newsstream"
#: kafka-python doubles the reconnect backoff up to 30 s; Java clients stop at 1 s. With 30 s a
#: pipeline stayed idle for up to half a minute after its broker was back (tests/faults).
RECONNECT_BACKOFF_MAX_MS = 1_000
#: The producer's request cap (kafka-python refuses a larger record at send()).
MAX_REQUEST_BYTES = 4 * 1024 * 1024


#: The requests of kafka-python's transaction manager (``TxnRequestHandler`` subclasses send them).
TRANSACTIONAL_REQUESTS = (
    FindCoordinatorRequest,
    InitProducerIdRequest,
    AddPartitionsToTxnRequest,
    AddOffsetsToTxnRequest,
    TxnOffsetCommitRequest,
    EndTxnRequest,
)


class ProducerNetClient(KafkaNetClient):
    """kafka-python's network client, mended where its transactional producer loses a request.

    Two faults of kafka-python 3.0.12, both found by the three-broker chaos scenarios (tests/faults)
    and an experiment committing continuously while a node was SIGKILLed:

    * ``KafkaNetClient.await_ready`` raises ``KafkaConnectionError`` when the node does not become
      ready, where the old ``KafkaClient`` returned False. The Sender
      (``_maybe_send_pending_request``) still expects False: on False it looks the coordinator up
      again and re-enqueues the transactional request; on an exception it looks the coordinator up
      but, having already chosen a target node, drops the request, whose result then never
      completes. The commit waited for the deadline (the controller kill: the Sender logged "Node
      coordinator-2 not ready after 5000 ms", the detector exited 75 eleven seconds later).
      Returning False makes it a bounded retry: a FindCoordinator, then the same request again.
    * A transactional request that fails with anything but ``KafkaConnectionError`` is made a fatal
      error of the producer (``TxnRequestHandler.on_complete``: "Could not execute transactional
      request for unknown reasons"), a request timeout included. While a dead broker is still in
      the ISR of ``__transaction_state`` (until the controller fences it, 9 s), an
      AddPartitionsToTxn outlives the 5 s request timeout, and the stage died (exit 1). The Java
      client treats a timed-out request as a disconnection and sends it again; so does this client:
      a transactional request's timeout (or a node found not ready at send) reaches the transaction
      manager as ``KafkaConnectionError``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Nodes whose failed wait was logged; a node leaves when it is ready again (one line per outage).
        self._unready: set[Any] = set()

    def await_ready(self, node_id: Any, timeout_ms: int = 30_000) -> bool:
        try:
            ready = bool(super().await_ready(node_id, timeout_ms=timeout_ms))
        except KafkaError as exc:
            if node_id not in self._unready:
                self._unready.add(node_id)
                log.info("Kafka node %s is not ready (%s); the producer retries its request", node_id, exc)
            return False
        self._unready.discard(node_id)
        return ready

    def send(self, node_id: Any, request: Any, **kwargs: Any) -> Future:
        future = super().send(node_id, request, **kwargs)
        if not isinstance(request, TRANSACTIONAL_REQUESTS):
            return future
        relayed = Future()
        future.add_callback(relayed.success)
        future.add_errback(lambda exc: relayed.failure(_as_disconnection(exc)))
        return relayed


def _as_disconnection(exc: BaseException) -> BaseException:
    """A timeout or a node not ready, as the connection error kafka-python retries; others unchanged."""
    if isinstance(exc, RequestTimedOutError | NodeNotReadyError):
        return KafkaConnectionError(f"{type(exc).__name__}: {exc}")
    return exc


def transactional_request_lost(producer: Any) -> bool:
    """True when ``producer`` holds no transactional request, queued or in flight, while some broker
    is connected: a transactional call waiting in that state waits for a request the client lost
    (:mod:`newsstream.deadline` ends it). Reads kafka-python 3.0's ``TransactionManager``; False
    when that is not there (only the commit deadline applies) or when no broker is connected (the
    Sender then holds its FindCoordinator in its own loop: waiting for the cluster, not lost)."""
    manager = getattr(producer, "_transaction_manager", None)
    pending = getattr(manager, "_pending_requests", None)
    in_flight = getattr(manager, "has_in_flight_transactional_request", None)
    client = getattr(getattr(producer, "_sender", None), "_client", None)
    if pending is None or in_flight is None or client is None:
        return False
    if pending or in_flight():
        return False
    return any(client.is_ready(broker.node_id) for broker in client.cluster.brokers())


def make_producer(kafka: KafkaSettings, transactional_id: str | None = None, **overrides: Any) -> KafkaProducer:
    """An idempotent ``acks=all`` producer; transactional when ``transactional_id`` is given."""
    options: dict[str, Any] = {
        **kafka.client_options(),
        "client_id": CLIENT_ID,
        "acks": "all",
        "enable_idempotence": True,
        "compression_type": None if kafka.compression == "none" else kafka.compression,
        "linger_ms": 5,
        "retries": 2_147_483_647,  # bounded by delivery_timeout_ms, as in the Java client
        "max_request_size": MAX_REQUEST_BYTES,
        "reconnect_backoff_max_ms": RECONNECT_BACKOFF_MAX_MS,
        "kafka_client": ProducerNetClient,
    }
    if transactional_id:
        options["transactional_id"] = transactional_id
    options.update(overrides)
    return KafkaProducer(**options)


def make_consumer(kafka: KafkaSettings, group_id: str | None, *topics: str, **overrides: Any) -> KafkaConsumer:
    """A manual-commit ``read_committed`` consumer, subscribed to ``topics`` when given."""
    options: dict[str, Any] = {
        **kafka.client_options(),
        "client_id": CLIENT_ID,
        "group_id": group_id,
        "enable_auto_commit": False,
        "isolation_level": "read_committed",
        "auto_offset_reset": "earliest",
        "max_poll_records": 200,
        "reconnect_backoff_max_ms": RECONNECT_BACKOFF_MAX_MS,
    }
    options.update(overrides)
    return KafkaConsumer(*topics, **options)


def make_admin(kafka: KafkaSettings, **overrides: Any) -> KafkaAdminClient:
    """An admin client for topic management and readiness checks."""
    options: dict[str, Any] = {"reconnect_backoff_max_ms": RECONNECT_BACKOFF_MAX_MS, **overrides}
    return KafkaAdminClient(**kafka.client_options(), client_id=CLIENT_ID, **options)

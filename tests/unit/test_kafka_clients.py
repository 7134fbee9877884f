"""The producer's network client keeps kafka-python's transactional producer from losing a request
when a broker dies (issue 14, failure 8): a request for a coordinator that is not ready is retried
after a new coordinator lookup (not dropped, which left ``commit_transaction`` waiting for the commit
deadline), and a transactional request that timed out is retried (not made a fatal error)."""

from __future__ import annotations

from typing import Any

import pytest
from kafka.errors import KafkaConnectionError, NodeNotReadyError, RequestTimedOutError, UnknownTopicOrPartitionError
from kafka.future import Future
from kafka.net.compat import KafkaNetClient
from kafka.producer.sender import Sender
from kafka.protocol.metadata import MetadataRequest
from kafka.protocol.producer import EndTxnRequest

from newsstream.config import KafkaSettings
from newsstream.kafka_clients import ProducerNetClient, make_producer, transactional_request_lost


class _Handler:
    """A transactional request that needs the (group) coordinator, as TxnOffsetCommit does."""

    coordinator_type = "group"
    is_retry = False
    request = "TxnOffsetCommitRequest"

    def needs_coordinator(self) -> bool:
        return True


class _TransactionManager:
    """What the Sender asks of kafka-python's TransactionManager on this path, and what it did."""

    def __init__(self, handler: _Handler) -> None:
        self.handler: _Handler | None = handler
        self.lookups = 0
        self.retried: list[_Handler] = []

    def is_completing(self) -> bool:
        return False

    def next_request_handler(self, has_incomplete_batches: bool) -> _Handler | None:
        handler, self.handler = self.handler, None
        return handler

    def coordinator(self, coordinator_type: str) -> str:
        return "coordinator-2"  # the cached coordinator, on the broker that was just killed

    def lookup_coordinator_for_request(self, handler: _Handler) -> None:
        self.lookups += 1

    def retry(self, handler: _Handler) -> None:
        self.retried.append(handler)


class _Accumulator:
    has_incomplete = False


class _Manager:
    """Stands for kafka-python's connection manager: hands out one future per request sent."""

    cluster = None

    def __init__(self) -> None:
        self.futures: list[Future] = []

    def send(self, request: Any, node_id: Any = None) -> Future:
        self.futures.append(Future())
        return self.futures[-1]


def _send_once(client: KafkaNetClient, monkeypatch: pytest.MonkeyPatch) -> _TransactionManager:
    """One pass of the Sender's transactional send while the coordinator's node never gets ready."""

    def not_ready(self: KafkaNetClient, node_id: Any, timeout_ms: int = 30_000) -> bool:
        raise KafkaConnectionError(f"Node {node_id} not ready after {timeout_ms} ms")  # kafka-python 3.0.12

    monkeypatch.setattr(KafkaNetClient, "await_ready", not_ready)
    handler = _Handler()
    manager = _TransactionManager(handler)
    sender = Sender(client, None, _Accumulator(), transaction_manager=manager, request_timeout_ms=5_000)
    assert sender._maybe_send_pending_request() is True
    return manager


def test_a_request_for_a_coordinator_that_is_not_ready_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = _send_once(ProducerNetClient(net=object(), manager=_Manager()), monkeypatch)
    assert manager.lookups == 1  # a FindCoordinator is queued ahead of it
    assert len(manager.retried) == 1  # and the request itself is queued again, not lost


def test_kafka_pythons_own_client_drops_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why ProducerNetClient exists. Should this fail after an upgrade of kafka-python, the Sender
    no longer drops the request and ProducerNetClient may go."""
    manager = _send_once(KafkaNetClient(net=object(), manager=_Manager()), monkeypatch)
    assert manager.lookups == 1
    assert manager.retried == []


def test_producers_use_it(monkeypatch: pytest.MonkeyPatch) -> None:
    built: dict[str, Any] = {}
    monkeypatch.setattr("newsstream.kafka_clients.KafkaProducer", lambda **options: built.update(options))
    make_producer(KafkaSettings(bootstrap_servers="127.0.0.1:1"), transactional_id="t")
    assert built["kafka_client"] is ProducerNetClient


def _end_txn() -> EndTxnRequest:
    return EndTxnRequest(transactional_id="t", producer_id=1, producer_epoch=0, committed=True, max_version=3)


@pytest.mark.parametrize("error", [RequestTimedOutError("Request timed out after 4999 ms"), NodeNotReadyError(2)])
def test_a_transactional_request_that_timed_out_fails_as_a_disconnection(error: Exception) -> None:
    """kafka-python retries a transactional request only after KafkaConnectionError; any other failure
    is fatal to the producer."""
    manager = _Manager()
    sent = ProducerNetClient(net=object(), manager=manager).send("coordinator-1", _end_txn())
    manager.futures[0].failure(error)
    assert sent.failed() and isinstance(sent.exception, KafkaConnectionError)
    assert type(error).__name__ in str(sent.exception)


def test_other_outcomes_of_a_transactional_request_pass_through() -> None:
    manager = _Manager()
    client = ProducerNetClient(net=object(), manager=manager)
    answered, refused = client.send(1, _end_txn()), client.send(1, _end_txn())
    manager.futures[0].success("response")
    manager.futures[1].failure(UnknownTopicOrPartitionError())
    assert answered.succeeded() and answered.value == "response"
    assert isinstance(refused.exception, UnknownTopicOrPartitionError)


def test_other_requests_keep_their_future() -> None:
    manager = _Manager()
    sent = ProducerNetClient(net=object(), manager=manager).send(1, MetadataRequest(topics=None))
    assert sent is manager.futures[0]


class _Broker:
    def __init__(self, node_id: int) -> None:
        self.node_id = node_id


class _Cluster:
    def brokers(self) -> list[_Broker]:
        return [_Broker(1), _Broker(2)]


class _Client:
    cluster = _Cluster()

    def __init__(self, ready: set[int]) -> None:
        self.ready = ready

    def is_ready(self, node_id: int) -> bool:
        return node_id in self.ready


class _Producer:
    """The parts of a KafkaProducer that transactional_request_lost reads."""

    def __init__(self, pending: list[Any], in_flight: bool, ready: set[int]) -> None:
        self._transaction_manager = type(
            "TM", (), {"_pending_requests": pending, "has_in_flight_transactional_request": lambda _: in_flight}
        )()
        self._sender = type("S", (), {"_client": _Client(ready)})()


@pytest.mark.parametrize(
    ("pending", "in_flight", "ready", "lost"),
    [
        ([], False, {2}, True),  # nothing queued, nothing in flight, a broker to send to: lost
        (["EndTxn"], False, {2}, False),  # queued (e.g. the EndTxn waiting for the batches)
        ([], True, {2}, False),  # in flight
        ([], False, set(), False),  # no broker connected: the Sender waits for the cluster
    ],
)
def test_a_lost_request_is_told_from_a_waiting_one(
    pending: list[Any], in_flight: bool, ready: set[int], lost: bool
) -> None:

    assert transactional_request_lost(_Producer(pending, in_flight, ready)) is lost


def test_without_kafka_pythons_internals_nothing_counts_as_lost() -> None:

    assert transactional_request_lost(object()) is False

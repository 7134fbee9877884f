"""The producer's network client keeps kafka-python's Sender from dropping a transactional request
when the coordinator's broker is down (issue 14, failure 8): the request is retried after a new
coordinator lookup, so ``commit_transaction`` returns instead of waiting for the commit deadline."""

from __future__ import annotations

from typing import Any

import pytest
from kafka.errors import KafkaConnectionError
from kafka.net.compat import KafkaNetClient
from kafka.producer.sender import Sender

from newsstream.config import KafkaSettings
from newsstream.kafka_clients import ProducerNetClient, make_producer


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
    cluster = None


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

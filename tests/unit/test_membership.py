"""The rejoin watch: a member out of STABLE for three session timeouts (at least 30 s) is stuck."""

from __future__ import annotations

from types import SimpleNamespace

from newsstream.membership import RejoinWatch, member_state


def _consumer(state: str | None) -> SimpleNamespace:
    """A stand-in with kafka-python's own attribute shape: ``_coordinator.state`` is "<stable>" etc."""
    coordinator = SimpleNamespace(state=f"<{state.lower()}>") if state else SimpleNamespace()
    return SimpleNamespace(_coordinator=coordinator)


def test_a_rebalance_that_never_completes_is_stuck_after_the_limit() -> None:
    watch = RejoinWatch(session_timeout_ms=10_000)
    consumer = _consumer("REBALANCING")
    assert watch.limit_s == 30.0
    assert not watch.stuck(consumer, now=100.0)
    assert not watch.stuck(consumer, now=129.0)
    assert watch.stuck(consumer, now=130.0)


def test_a_stable_member_resets_the_watch_even_with_nothing_assigned() -> None:
    watch = RejoinWatch(session_timeout_ms=20_000)
    assert watch.limit_s == 60.0
    assert not watch.stuck(_consumer("UNJOINED"), now=0.0)
    assert not watch.stuck(_consumer("STABLE"), now=59.0)  # an idle member of a big group
    assert not watch.stuck(_consumer("REBALANCING"), now=61.0)  # a new rebalance starts a new count
    assert watch.stuck(_consumer("REBALANCING"), now=121.0)


def test_the_state_of_a_real_kafka_python_coordinator_reads() -> None:
    from kafka.coordinator.base import MemberState

    assert member_state(SimpleNamespace(_coordinator=SimpleNamespace(state=MemberState.REBALANCING))) == "REBALANCING"
    assert member_state(SimpleNamespace(_coordinator=SimpleNamespace(state=MemberState.STABLE))) == "STABLE"


def test_a_client_that_does_not_say_is_never_called_stuck() -> None:
    watch = RejoinWatch(session_timeout_ms=10_000)
    assert member_state(SimpleNamespace()) == "STABLE"
    assert not watch.stuck(_consumer(None), now=0.0)
    assert not watch.stuck(_consumer(None), now=1000.0)

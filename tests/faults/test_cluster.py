"""Chaos on a three-node KRaft cluster (each node broker + controller), topics with replication
factor 3 and min.insync.replicas=2: one node is SIGKILLed mid-stream and restarted 10 s later.
Runs only with NEWSSTREAM_CHAOS_CLUSTER=1 (three JVMs; not in CI)."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from tests.faults.broker import IsolatedKafka
from tests.faults.conftest import assert_exactly_once
from tests.faults.ledger import Row
from tests.faults.scenario import Fault, Run

pytestmark = pytest.mark.integration

DOWN_S = 10.0


def kill_node(cluster: IsolatedKafka, target: str) -> Callable[[Run, int], list[Fault]]:
    """SIGKILL the node leading most raw/normalized partitions ("leader") or the KRaft quorum
    leader ("controller") as the step starts; restart it after DOWN_S; wait for a full ISR again."""

    def inject(run: Run, step: int) -> list[Fault]:
        topics = run.pipeline.config.topics
        watched = [topics.raw, topics.normalized]
        isr = cluster.in_sync(watched)
        assert all(len(replicas) == 3 for replicas in isr.values()), isr
        assert cluster.topic_config(topics.normalized, "min.insync.replicas") == "2"
        leaders = cluster.leaders(watched)
        controller = cluster.active_controller()
        if target == "leader":
            led = {n: sum(1 for leader in leaders.values() if leader == n) for n in cluster.node_ids}
            node = max(led, key=lambda n: led[n])
        else:
            node = controller
        owns = sorted(f"{t.rsplit('.', 2)[-2]}[{p}]" for (t, p), leader in leaders.items() if leader == node)
        run.pipeline.advance(step)
        at = time.time()
        cluster.stop(node, signal.SIGKILL)
        run.say(f"SIGKILL node {node} (controller {controller}; leads {owns})")
        time.sleep(max(0.0, DOWN_S - (time.time() - at)))
        new_controller = cluster.active_controller() if target == "controller" else None
        up_s = cluster.up()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not all(len(r) == 3 for r in cluster.in_sync(watched).values()):
            time.sleep(0.5)
        isr_s = time.time() - at
        note = f"node {node} killed (leads {', '.join(owns) or 'nothing watched'}"
        note += f"; controller {controller}" + (f" -> {new_controller}" if new_controller else "") + ")"
        note += f", down {DOWN_S:.0f} s, up {up_s:.1f} s, full ISR after {isr_s:.0f} s"
        return [Fault(at, note)]

    return inject


@pytest.mark.parametrize("target", ["leader", "controller"])
def test_cluster_node_sigkill(target: str, cluster_kafka: IsolatedKafka, chaos: Callable[..., Row]) -> None:
    row = chaos(
        cluster_kafka, kill_node(cluster_kafka, target), replication_factor=3, name=f"cluster: SIGKILL {target}"
    )
    assert_exactly_once(row)

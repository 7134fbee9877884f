"""Fixtures of the chaos harness: isolated brokers, the report table, a scenario runner.

The brokers here are private to this package (their own NEWSSTREAM_KAFKA_HOME under pytest's tmp
dir and their own ports), so stopping, pausing or killing them disturbs no one. The single-broker
scenarios share one broker (each scenario has unique topics, groups and transactional ids); the
cluster scenarios run only with NEWSSTREAM_CHAOS_CLUSTER=1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.faults.broker import IsolatedKafka
from tests.faults.ledger import Row, table
from tests.faults.pipeline import slug
from tests.faults.scenario import Inject, run_scenario

#: Single broker on 19292 (controller 19293); cluster brokers 19301-19303, controllers 19401-19403.
SINGLE_PORT = int(os.environ.get("NEWSSTREAM_CHAOS_PORT", "19292"))
CLUSTER_BASE = int(os.environ.get("NEWSSTREAM_CHAOS_CLUSTER_BASE", "9300"))
ROWS = pytest.StashKey[list[Row]]()
REPORT = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[ROWS] = []


@pytest.fixture(scope="session")
def chaos_ports() -> set[int]:
    """Ports handed out to demo servers and stage metrics in this session (never twice)."""
    return set()


@pytest.fixture(scope="session")
def single_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IsolatedKafka]:
    broker = IsolatedKafka(tmp_path_factory.mktemp("kafka-single"), SINGLE_PORT, 1)
    broker.up()
    yield broker
    broker.down()


@pytest.fixture(scope="session")
def cluster_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IsolatedKafka]:
    if os.environ.get("NEWSSTREAM_CHAOS_CLUSTER") != "1":
        pytest.skip("cluster scenarios run only with NEWSSTREAM_CHAOS_CLUSTER=1 (three local brokers, ~3 GB RAM)")
    cluster = IsolatedKafka(tmp_path_factory.mktemp("kafka-cluster"), CLUSTER_BASE, 3)
    cluster.up()
    yield cluster
    cluster.down()


@pytest.fixture
def chaos(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, chaos_ports: set[int]
) -> Callable[..., Row]:
    """Run one scenario on ``kafka`` and record its row for the session table."""

    def run(
        kafka: IsolatedKafka,
        inject: Inject,
        fault_steps: tuple[int, ...] = (2,),
        replication_factor: int = 1,
        name: str | None = None,
    ) -> Row:
        scenario = name or re.sub(r"^test_", "", request.node.name).replace("[", "-").rstrip("]")
        workdir = tmp_path_factory.mktemp(f"chaos-{slug(scenario)}")
        row = run_scenario(
            scenario, kafka.settings, workdir, chaos_ports, inject, fault_steps, replication_factor,
        )  # fmt: skip
        request.config.stash[ROWS].append(row)
        request.config.stash[REPORT] = tmp_path_factory.getbasetemp() / "chaos-report.txt"
        return row

    return run


def assert_exactly_once(row: Row) -> None:
    """Every expected version and event exactly once, nothing else."""
    detail = "\n".join(row.details[:40])
    assert row.lost == 0, f"{row.scenario}: {row.lost} lost\n{detail}"
    assert row.duplicated == 0, f"{row.scenario}: {row.duplicated} duplicated\n{detail}"
    assert row.unexpected == 0, f"{row.scenario}: {row.unexpected} unexpected or dead-lettered\n{detail}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    rows = config.stash.get(ROWS, [])
    if not rows:
        return
    text = table(rows)
    path = config.stash[REPORT]
    path.write_text(text + "\n")
    terminalreporter.write_sep("=", "chaos scenarios")
    terminalreporter.write_line(text)
    terminalreporter.write_line(f"(table written to {path})")

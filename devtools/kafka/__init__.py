"""A real Apache Kafka broker for development and CI, run from Maven-resolved jars (no Docker).

``newsstream dev kafka up|down|status|tool`` and the tests use it through the names below:

- :mod:`~devtools.kafka.layout`: paths, ports and nodes (from ``NEWSSTREAM_KAFKA_HOME``,
  ``NEWSSTREAM_KAFKA_LIBS``, ``NEWSSTREAM_DEV_KAFKA_PORT``) and :class:`DevBrokerError`;
- :mod:`~devtools.kafka.jars`: the jars resolved by Maven and the java command lines (Kafka's tools);
- :mod:`~devtools.kafka.properties`: each node's server.properties (SASL with :class:`BrokerSecurity`)
  and its formatted storage;
- :mod:`~devtools.kafka.broker`: the processes: ``up``, ``wait_ready``, ``down``, ``status``, ``answers``.
"""

from __future__ import annotations

from devtools.kafka.broker import answers, down, start_node, status, stop_node, up, wait_ready
from devtools.kafka.jars import TOOLS, ensure_jars, kafka_version, run_tool, tool_command
from devtools.kafka.layout import CACHE, LIBS, READY_TIMEOUT_S, DevBrokerError, Node, bootstrap_servers, nodes
from devtools.kafka.properties import BrokerSecurity

__all__ = [
    "CACHE",
    "LIBS",
    "READY_TIMEOUT_S",
    "TOOLS",
    "BrokerSecurity",
    "DevBrokerError",
    "Node",
    "answers",
    "bootstrap_servers",
    "down",
    "ensure_jars",
    "kafka_version",
    "nodes",
    "run_tool",
    "start_node",
    "status",
    "stop_node",
    "tool_command",
    "up",
    "wait_ready",
]

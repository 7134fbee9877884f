"""What describes a stage once: its name, default port, topics and settings.

Each stage module ships one :class:`StageSpec` (``consumers/specs.py``, ``producers/specs.py``);
the CLI collects them (``newsstream/cli/specs.py``, the one place that knows every stage) and
derives its subcommands' defaults, ``newsstream run``'s processes and ports, and ``topics create``
from them; a test checks docker-compose.yml against them. The runtime knows no stage by name.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from newsstream.config import Config, Topics

#: Every Topics field, so a spec naming a topic that does not exist fails at import.
TOPIC_FIELDS = frozenset(f.name for f in fields(Topics))


@dataclass(frozen=True)
class StageSpec:
    """One stage. Topics are named by their :class:`~newsstream.config.Topics` field (``"raw"``),
    so a renamed topic (``NEWSSTREAM_TOPIC_*``) follows."""

    #: The CLI command, the ``stage`` metric label and the Prometheus job.
    name: str
    summary: str
    default_port: int
    #: Topics consumed and produced.
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    #: Compacted topics the stage owns (state changelogs, schedules, global tables); also outputs.
    state: tuple[str, ...] = ()
    #: Default consumer group (None: the stage consumes nothing).
    group_id: str | None = None
    #: Environment variables only this stage reads (the shared ones are in the README's table).
    settings: tuple[str, ...] = ()
    #: Compose services that run this stage.
    compose_services: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = set(self.inputs + self.outputs + self.state) - TOPIC_FIELDS
        if unknown:
            raise ValueError(f"stage {self.name!r} names unknown topics: {sorted(unknown)}")

    def port(self, config: Config) -> int:
        """The metrics port: NEWSSTREAM_METRICS_PORT when set, else this stage's default."""
        return config.metrics_port if config.metrics_port is not None else self.default_port

    def input_topics(self, topics: Topics) -> list[str]:
        return [getattr(topics, name) for name in self.inputs]

    def written(self) -> tuple[str, ...]:
        """Every topic field the stage writes (outputs and state)."""
        return self.outputs + tuple(t for t in self.state if t not in self.outputs)

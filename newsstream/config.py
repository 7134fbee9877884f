"""One typed configuration object, read from environment variables once at start-up.

Every variable the project reads is named here; docker-compose.yml and the README use the same
names. A malformed value stops start-up with a :class:`ConfigError` naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from newsstream.errors import ConfigError

T = TypeVar("T")

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
COMPRESSIONS = ("zstd", "gzip", "none")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class KafkaSettings:
    """How to reach and authenticate to the Kafka cluster."""

    bootstrap_servers: str = "localhost:9092"
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    #: Producer batch compression; zstd by default (gzip in kafka-python runs at level 9: ~20x slower).
    compression: str = "zstd"

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments shared by every kafka-python client."""
        options: dict[str, Any] = {
            "bootstrap_servers": [s.strip() for s in self.bootstrap_servers.split(",") if s.strip()],
            "security_protocol": self.security_protocol,
        }
        if self.sasl_mechanism:
            options["sasl_mechanism"] = self.sasl_mechanism
            options["sasl_plain_username"] = self.sasl_username
            options["sasl_plain_password"] = self.sasl_password
        if self.ssl_cafile:
            options["ssl_cafile"] = self.ssl_cafile
        return options


@dataclass(frozen=True)
class Topics:
    """Topic names (DESIGN.md's table); each is configurable."""

    raw: str = "news.raw.v1"
    normalized: str = "news.normalized.v1"
    corrections: str = "news.corrections.v1"
    dlq: str = "news.dlq.v1"
    detector_state: str = "news.detector-state.v1"
    titles: str = "news.titles.v1"
    page_schedule: str = "news.page-schedule.v1"
    normalizer_state: str = "news.normalizer-state.v1"


@dataclass(frozen=True)
class Config:
    """Everything a newsstream process reads from its environment."""

    kafka: KafkaSettings = KafkaSettings()
    topics: Topics = Topics()
    feeds_file: Path = Path("feeds.toml")
    state_dir: Path = Path(".newsstream")
    metrics_port: int | None = None
    metrics_host: str = "0.0.0.0"  # noqa: S104 - containers must expose it; override to bind locally
    allow_private_addresses: bool = False
    #: Networks (CIDR) feeds may resolve to although private: an internal feed without lifting the guard.
    allowed_networks: tuple[str, ...] = ()
    log_format: str = "console"
    log_level: str = "INFO"
    user_agent: str = "newsstream/0.1 (+https://github.com/newsstream/newsstream)"
    partitions: int = 3
    replication_factor: int = 1
    #: Stable id of this process among its stage's instances (part of the transactional id).
    instance_id: str = field(default_factory=socket.gethostname)
    #: Shortest time between two polls of one feed (the demo lowers it; keep it polite for real feeds).
    poll_floor_seconds: float = 60.0
    #: Worker processes for stateless transforms (the normalizer).
    workers: int = 1
    #: Publishers with their own ``publisher`` label on newsstream_corrections_total (the rest: ``other``);
    #: when empty, the first ``metrics_publisher_slots`` publishers seen get one.
    metrics_publishers: tuple[str, ...] = ()
    metrics_publisher_slots: int = 10
    #: Where ``newsstream archive`` writes and ``newsstream web`` reads: ``postgresql://…``, or None for
    #: SQLite in the state dir. repr=False: a DSN can carry a password.
    archive_dsn: str | None = field(default=None, repr=False)
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    #: Least calibrated score of a reported notice (0-1); None: the model's own, chosen on dev for precision >= 0.95.
    notice_threshold: float | None = None

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with some fields replaced (CLI flags override the environment)."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        """Read and validate every variable; raise ConfigError naming the first bad one."""
        env = os.environ if environ is None else environ
        reader = _Reader(env)
        protocol = reader.choice("KAFKA_SECURITY_PROTOCOL", SECURITY_PROTOCOLS, "PLAINTEXT")
        mechanism = reader.optional_choice("KAFKA_SASL_MECHANISM", SASL_MECHANISMS)
        if protocol.startswith("SASL") and mechanism is None:
            raise ConfigError(f"KAFKA_SASL_MECHANISM must be set when KAFKA_SECURITY_PROTOCOL={protocol}")
        kafka = KafkaSettings(
            bootstrap_servers=reader.text("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
            security_protocol=protocol,
            sasl_mechanism=mechanism,
            sasl_username=env.get("KAFKA_SASL_USERNAME") or None,
            sasl_password=env.get("KAFKA_SASL_PASSWORD") or None,
            ssl_cafile=env.get("KAFKA_SSL_CAFILE") or None,
            compression=reader.choice("NEWSSTREAM_COMPRESSION", COMPRESSIONS, "zstd"),
        )
        defaults = Topics()
        topics = Topics(
            raw=reader.text("NEWSSTREAM_TOPIC_RAW", defaults.raw),
            normalized=reader.text("NEWSSTREAM_TOPIC_NORMALIZED", defaults.normalized),
            corrections=reader.text("NEWSSTREAM_TOPIC_CORRECTIONS", defaults.corrections),
            dlq=reader.text("NEWSSTREAM_TOPIC_DLQ", defaults.dlq),
            detector_state=reader.text("NEWSSTREAM_TOPIC_DETECTOR_STATE", defaults.detector_state),
            titles=reader.text("NEWSSTREAM_TOPIC_TITLES", defaults.titles),
            page_schedule=reader.text("NEWSSTREAM_TOPIC_PAGE_SCHEDULE", defaults.page_schedule),
            normalizer_state=reader.text("NEWSSTREAM_TOPIC_NORMALIZER_STATE", defaults.normalizer_state),
        )
        default_format = "console" if sys.stderr.isatty() else "json"
        return cls(
            kafka=kafka,
            topics=topics,
            feeds_file=Path(reader.text("NEWSSTREAM_FEEDS", "feeds.toml")),
            state_dir=Path(reader.text("NEWSSTREAM_STATE_DIR", ".newsstream")),
            metrics_port=reader.optional_port("NEWSSTREAM_METRICS_PORT"),
            metrics_host=reader.text("NEWSSTREAM_METRICS_HOST", "0.0.0.0"),  # noqa: S104
            allow_private_addresses=reader.flag("NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES", False),
            allowed_networks=reader.networks("NEWSSTREAM_ALLOWED_NETWORKS"),
            log_format=reader.choice("NEWSSTREAM_LOG_FORMAT", ("json", "console"), default_format),
            log_level=reader.choice("NEWSSTREAM_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO"),
            user_agent=reader.text("NEWSSTREAM_USER_AGENT", cls.user_agent),
            partitions=reader.positive_int("NEWSSTREAM_PARTITIONS", 3),
            replication_factor=reader.positive_int("NEWSSTREAM_REPLICATION_FACTOR", 1),
            instance_id=reader.text("NEWSSTREAM_INSTANCE_ID", socket.gethostname()),
            poll_floor_seconds=reader.positive_float("NEWSSTREAM_POLL_FLOOR_SECONDS", 60.0),
            workers=reader.positive_int("NEWSSTREAM_WORKERS", 1),
            metrics_publishers=tuple(
                p.strip() for p in env.get("NEWSSTREAM_METRICS_PUBLISHERS", "").split(",") if p.strip()
            ),
            metrics_publisher_slots=reader.positive_int("NEWSSTREAM_METRICS_PUBLISHER_SLOTS", 10),
            archive_dsn=env.get("NEWSSTREAM_ARCHIVE_DSN", "").strip() or None,
            web_host=reader.text("NEWSSTREAM_WEB_HOST", "127.0.0.1"),
            web_port=_default(reader.optional_port("NEWSSTREAM_WEB_PORT"), 8080),
            notice_threshold=_probability(env, "NEWSSTREAM_NOTICE_THRESHOLD"),
        )


def _probability(env: Mapping[str, str], name: str) -> float | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 < number <= 1.0:
        raise ConfigError(f"{name}={value!r} is not a probability in (0, 1]")
    return number


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


class _Reader:
    """Typed accessors over an environment mapping; each error names its variable."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str, default: str) -> str:
        value = self.env.get(name, "").strip()
        return value or default

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.env.get(name, "").strip()
        if not value:
            return default
        for option in allowed:
            if value.lower() == option.lower():
                return option
        raise ConfigError(f"{name}={value!r} is not one of: {', '.join(allowed)}")

    def optional_choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        return self.choice(name, allowed, "") or None

    def flag(self, name: str, default: bool) -> bool:
        value = self.env.get(name, "").strip().lower()
        if not value:
            return default
        if value in ("1", "true", "yes", "on"):
            return True
        if value in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no)")

    def positive_int(self, name: str, default: int) -> int:
        return int(self._positive(name, default, int, "an integer"))

    def networks(self, name: str) -> tuple[str, ...]:
        value = self.env.get(name, "").strip()
        networks = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            try:
                networks.append(str(ipaddress.ip_network(item, strict=False)))
            except ValueError:
                raise ConfigError(f"{name}: {item!r} is not a network (use CIDR, e.g. 10.1.2.0/24)") from None
        return tuple(networks)

    def positive_float(self, name: str, default: float) -> float:
        return float(self._positive(name, default, float, "a number"))

    def _positive(self, name: str, default: float, cast: type[int] | type[float], kind: str) -> float:
        value = self.env.get(name, "").strip()
        if not value:
            return default
        try:
            number = cast(value)
        except ValueError:
            raise ConfigError(f"{name}={value!r} is not {kind}") from None
        if not number > 0:
            raise ConfigError(f"{name}={value!r} must be greater than 0")
        return number

    def non_negative_float(self, name: str, default: float) -> float:
        value = self.env.get(name, "").strip()
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{name}={value!r} is not a number") from None
        if not number >= 0 or number == float("inf"):
            raise ConfigError(f"{name}={value!r} must be a finite number of at least 0")
        return number

    def parsed(self, name: str, parse: Callable[[str], T], default: T) -> T:
        """``parse(value)`` when the variable is set; its ValueError becomes a ConfigError naming it."""
        value = self.env.get(name, "").strip()
        if not value:
            return default
        try:
            return parse(value)
        except ValueError as exc:
            raise ConfigError(f"{name}={value!r}: {exc}") from None

    def optional_port(self, name: str) -> int | None:
        value = self.env.get(name, "").strip()
        if not value:
            return None
        try:
            port = int(value)
        except ValueError:
            raise ConfigError(f"{name}={value!r} is not a port number (an integer 0-65535)") from None
        if not 0 <= port <= 65535:
            raise ConfigError(f"{name}={value!r} is out of range (0-65535)")
        return port


#: The typed environment reader, for stage settings read outside this module (a stage's own
#: variables live with the stage, e.g. producers/pages/settings.py).
EnvReader = _Reader

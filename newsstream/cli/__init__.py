"""The ``newsstream`` command line.

Each module in this package adds one group of subcommands through ``register(subparsers)``;
modules are discovered, so a new command is a new file. Only the CLI knows every stage.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from kafka.errors import KafkaError

from newsstream import __version__
from newsstream.errors import NewsstreamError

DESCRIPTION = """\
newsstream: RSS/Atom producers push raw articles to Kafka; consumers normalize them, detect
corrections, and emit typed events. Configuration comes from environment variables (see README);
flags override them.

quick start:
  newsstream dev kafka up          start a local Kafka broker (Maven-resolved jars, no Docker)
  newsstream topics create         create every topic
  newsstream run                   the whole pipeline on the bundled demo feeds
  newsstream preview URL|FILE      parse one feed and print RawArticles, no Kafka needed
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsstream", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"newsstream {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``newsstream`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except NewsstreamError as exc:
        print(f"newsstream: error: {exc}", file=sys.stderr)
        return 2
    except KafkaError as exc:
        # Broken infrastructure ends the process (the supervisor restarts it), with one clear line.
        hint = _kafka_hint(getattr(args, "bootstrap_servers", None))
        print(f"newsstream: error: Kafka: {kafka_error_text(exc)} ({hint})", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def kafka_error_text(exc: BaseException) -> str:
    """``KafkaTimeoutError: Unable to bootstrap …`` once (kafka-python's str() already names the class)."""
    text = str(exc)
    name = type(exc).__name__
    return text if text.startswith(name) else f"{name}: {text}"


def _kafka_hint(flag: str | None) -> str:
    """What to check; with the resolver's or the socket's reason when the brokers cannot be reached."""
    import os

    from newsstream.reach import diagnose

    found = diagnose(flag or os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"), timeout_s=2.0)
    return found or "check KAFKA_BOOTSTRAP_SERVERS and the KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* settings"


if __name__ == "__main__":
    sys.exit(main())

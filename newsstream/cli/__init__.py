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
        print(f"newsstream: error: Kafka: {type(exc).__name__}: {exc} "
              "(check KAFKA_BOOTSTRAP_SERVERS and the KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* settings)",
              file=sys.stderr)  # fmt: skip
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

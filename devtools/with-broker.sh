#!/usr/bin/env bash
# Runs a command with a Kafka broker answering at $KAFKA_BOOTSTRAP_SERVERS: uses one that already
# answers, else starts the local dev broker and stops it afterwards (also on failure or Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
bootstrap="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}"
if $BIN/python -c "import sys; from devtools import kafka as devkafka; sys.exit(0 if devkafka.answers('$bootstrap') else 1)"; then
  echo "using the Kafka broker already answering at $bootstrap"
else
  $BIN/newsstream dev kafka up
  trap '$BIN/newsstream dev kafka down' EXIT
fi
"$@"

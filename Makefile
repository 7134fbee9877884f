# The two commands: `make run` (the whole pipeline on the demo feeds) and `make test` (every test).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:9092

.PHONY: setup run test lint bench train-notices kafka-up kafka-down clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

## setup: a .venv with newsstream (editable, dev extra) and the Kafka jars (idempotent)
setup: $(STAMP)
	@$(BIN)/python -c "from devtools import kafka as devkafka; devkafka.ensure_jars()"

## run: broker, topics, demo feed server, producer, normalizer, detector, live view (Ctrl-C stops all)
run: setup
	$(BIN)/newsstream run

## test: brings up a broker if none answers, runs unit + integration + corpus tests, stops what it started
test: setup
	@bash devtools/with-broker.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## train-notices: rebuild articles/notices/model/ from ../shared/corpus/notices (NEWSSTREAM_CORPUS), deterministic
train-notices: setup
	$(BIN)/python -m articles.notices.train

kafka-up: setup
	$(BIN)/newsstream dev kafka up

kafka-down:
	$(BIN)/newsstream dev kafka down

clean:
	-$(BIN)/newsstream dev kafka down
	rm -rf $(VENV) .cache .newsstream

"""Each stage is described once (its StageSpec): the CLI, compose, ``topics create`` and the stages
themselves agree with the specs."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from newsstream.cli import build_parser
from newsstream.cli.specs import BY_NAME, FEEDS_SERVE, STAGES, WEB, topic_fields
from newsstream.config import Config, Topics
from newsstream.topics import TOPICS, topic_specs

REPO = Path(__file__).resolve().parents[2]
#: Variables every stage reads (the README's shared configuration), allowed in any service.
SHARED = {"KAFKA_BOOTSTRAP_SERVERS", "NEWSSTREAM_METRICS_PORT", "NEWSSTREAM_LOG_FORMAT", "NEWSSTREAM_LOG_LEVEL"}


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load((REPO / "docker-compose.yml").read_text(encoding="utf-8"))["services"])


def test_every_compose_service_of_a_stage_runs_it_on_its_port_with_its_settings(
    services: dict[str, dict[str, Any]],
) -> None:
    for spec in STAGES:
        assert spec.compose_services, spec.name
        for name in spec.compose_services:
            service = services[name]
            command = service["command"]
            if spec is FEEDS_SERVE:
                assert command[:3] == ["dev", "feeds", "serve"]
            else:
                assert command[0] == spec.name, (name, command)
            env = service.get("environment", {})
            # The web page serves its metrics on its one port, NEWSSTREAM_WEB_PORT.
            port_variable = "NEWSSTREAM_WEB_PORT" if spec is WEB else "NEWSSTREAM_METRICS_PORT"
            assert env[port_variable] == str(spec.default_port), name
            unknown = set(env) - SHARED - set(spec.settings)
            assert not unknown, f"{name} sets variables its stage {spec.name} does not declare: {unknown}"


def test_every_app_service_is_a_declared_stage(services: dict[str, dict[str, Any]]) -> None:
    declared = {svc for spec in STAGES for svc in spec.compose_services}
    app = {name for name, s in services.items() if str(s.get("image", "")).startswith("newsstream:")}
    assert app - declared == {"topic-init"}, f"services of no stage spec: {app - declared - {'topic-init'}}"
    assert services["topic-init"]["command"] == ["topics", "create"]


def test_cli_defaults_come_from_the_specs() -> None:
    parser = build_parser()
    for spec in STAGES:
        if spec.group_id is None:
            continue
        args = parser.parse_args([spec.name])
        assert args.group == spec.group_id, spec.name


def test_the_stages_read_the_topics_their_specs_name() -> None:
    from consumers.detect_stage import DetectStage
    from consumers.normalize_stage import NormalizeStage
    from producers.pages.stage import PagesStage

    config = Config(topics=Topics(raw="r", normalized="n"))
    for stage in (NormalizeStage(config), DetectStage(config), PagesStage(config)):
        spec = BY_NAME[stage.name]
        assert stage.input_topics() == spec.input_topics(config.topics)


def test_topics_create_makes_exactly_the_topics_some_stage_uses() -> None:
    used = topic_fields()
    assert used == set(TOPICS) == {f.name for f in fields(Topics)}, "a topic nobody reads or writes"
    compacted = {spec.name for spec in topic_specs(Config(), used) if spec.compacted}
    state = {getattr(Topics(), name) for s in STAGES for name in s.state}
    assert compacted == state
    assert "news.producer-state.v1" not in {spec.name for spec in topic_specs(Config(), used)}


def test_ports_are_distinct() -> None:
    ports = [spec.default_port for spec in STAGES]
    assert len(ports) == len(set(ports))


def test_a_spec_naming_an_unknown_topic_is_refused() -> None:
    from newsstream.stagespec import StageSpec

    with pytest.raises(ValueError, match="unknown topics"):
        StageSpec(name="x", summary="x", default_port=1, inputs=("nope",))

"""The deployment files, checked without Docker: Prometheus config, alert rules and their unit
tests (promtool), the Compose file (Debian's docker-compose validates it), and the contracts
between them: pinned images, health-gated start order, README variable names, stage ports,
scrape targets, and dashboard expressions that parse.

promtool and docker-compose are Debian packages (.ci/run installs them). A test skips when one
is absent only outside CI; in CI (CI set) a missing tool fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from newsstream.cli.specs import BY_NAME, FEEDS_SERVE, STAGES, WEB

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "deploy" / "prometheus"
GRAFANA = REPO / "deploy" / "grafana"
COMPOSE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
APP_IMAGE = "newsstream:"
#: Compose service -> the stage (CLI command, Prometheus job) it runs, from the stage specs.
#: The web page is described by a spec too, but reads the archive, not Kafka: its port is NEWSSTREAM_WEB_PORT.
STAGE_SERVICES = {svc: s.name for s in STAGES if s not in (FEEDS_SERVE, WEB) for svc in s.compose_services}


def need(tool: str) -> str:
    """The tool's path; skip when absent, except in CI where its absence is a failure."""
    path = shutil.which(tool)
    if path:
        return path
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is not installed; .ci/run must install it (Debian package)")
    pytest.skip(f"{tool} not installed (apt-get install {'prometheus' if tool == 'promtool' else tool})")


def load_yaml(path: Path) -> Any:
    try:
        import yaml
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("PyYAML not installed (dev extra)")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = load_yaml(COMPOSE)
    assert isinstance(document, dict) and "services" in document
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(compose["services"])


def app_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if str(s.get("image", "")).startswith(APP_IMAGE)}


# --- Prometheus -------------------------------------------------------------------------------


def test_prometheus_config_is_valid() -> None:
    run(need("promtool"), "check", "config", str(PROMETHEUS / "prometheus.yml"))


def test_alert_rules_are_valid() -> None:
    run(need("promtool"), "check", "rules", str(PROMETHEUS / "alerts.yml"))


def test_alert_rule_unit_tests_pass() -> None:
    result = run(need("promtool"), "test", "rules", "alerts_test.yml", cwd=PROMETHEUS)
    assert "SUCCESS" in result.stdout + result.stderr


def test_every_alert_is_tested_firing_and_silent() -> None:
    rules = load_yaml(PROMETHEUS / "alerts.yml")
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r}
    assert alerts >= {"NewsstreamStageDown", "NewsstreamFeedStale", "NewsstreamFetchErrorRatioHigh",
                      "NewsstreamConsumerLagGrowing", "NewsstreamDeadLetters",
                      "NewsstreamPageRevisitsOverdue"}  # fmt: skip
    tests = load_yaml(PROMETHEUS / "alerts_test.yml")["tests"]
    cases = [case for t in tests for case in t.get("alert_rule_test", [])]
    fired = {c["alertname"] for c in cases if c.get("exp_alerts")}
    silent = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    assert alerts - fired == set(), "alerts never tested firing"
    assert alerts - silent == set(), "alerts never tested silent"


def test_every_stage_is_scraped_at_its_compose_address(services: dict[str, dict[str, Any]]) -> None:
    config = load_yaml(PROMETHEUS / "prometheus.yml")
    jobs = {j["job_name"]: [t for sc in j["static_configs"] for t in sc["targets"]] for j in config["scrape_configs"]}
    assert "prometheus" in jobs
    for name, stage in STAGE_SERVICES.items():
        port = BY_NAME[stage].default_port
        aliases = services[name].get("networks", {}).get("default", {}).get("aliases", [])
        assert {f"{host}:{port}" for host in [name, *aliases]} & set(jobs[stage]), (name, jobs[stage])


# --- Grafana ----------------------------------------------------------------------------------


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((GRAFANA / "dashboards" / "newsstream.json").read_text(encoding="utf-8"))
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def test_every_dashboard_expression_parses(tmp_path: Path) -> None:
    """promtool parses each panel's PromQL (as a recording rule), so typos fail here, not in Grafana."""
    exprs = dashboard_exprs()
    assert len(exprs) >= 10
    joined = " ".join(exprs)
    for metric in ("newsstream_feed_fetches_total", "newsstream_messages_produced_total", "newsstream_consumer_lag",
                   "newsstream_dlq_messages_total", "newsstream_corrections_total",
                   "newsstream_end_to_end_latency_seconds_bucket", "newsstream_feeds",
                   "newsstream_page_revisits_due_total", "newsstream_page_revisits_total",
                   "newsstream_page_revisits_overdue_total", "newsstream_page_fetches_total",
                   "newsstream_page_extraction_failures_total", "newsstream_page_robots_refusals_total"):  # fmt: skip
        assert metric in joined
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:expr_{i}", "expr": e} for i, e in enumerate(exprs)]}]}  # fmt: skip
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(json.dumps(rules), encoding="utf-8")  # JSON is YAML
    run(need("promtool"), "check", "rules", str(path))


def test_grafana_provisioning_points_the_dashboard_at_the_datasource() -> None:
    datasource = load_yaml(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"][0]
    assert datasource["type"] == "prometheus" and datasource["url"] == "http://prometheus:9090"
    dashboard = json.loads((GRAFANA / "dashboards" / "newsstream.json").read_text(encoding="utf-8"))
    uids = {t["datasource"]["uid"] for p in dashboard["panels"] for t in p.get("targets", [])}
    assert uids == {datasource["uid"]}
    provider = load_yaml(GRAFANA / "provisioning" / "dashboards" / "newsstream.yml")["providers"][0]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


# --- Compose ----------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", [None, "demo", "live"])
def test_compose_file_validates(profile: str | None) -> None:
    tool = need("docker-compose")
    args = [tool, "-f", str(COMPOSE)] + (["--profile", profile] if profile else []) + ["config", "-q"]
    run(*args)


def test_no_image_is_latest_or_untagged(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        image = str(service["image"])
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest" and "/" not in tag, f"{name}: image {image!r} is not pinned"
    base = re.search(r"^FROM\s+(\S+)", DOCKERFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert base and ":" in base.group(1) and not base.group(1).endswith(":latest")


def test_kafka_is_the_pinned_apache_image(services: dict[str, dict[str, Any]]) -> None:
    pom = (REPO / "devtools" / "kafka" / "pom.xml").read_text(encoding="utf-8")
    version = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert version
    assert services["kafka"]["image"] == f"apache/kafka:{version.group(1)}"
    env = services["kafka"]["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "kafka:29092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "localhost:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert "healthcheck" in services["kafka"]


def test_every_dependant_waits_on_health_or_completion(services: dict[str, dict[str, Any]]) -> None:
    dockerfile_health = "HEALTHCHECK" in DOCKERFILE.read_text(encoding="utf-8")
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on must name a condition per dependency"
        for dependency, spec in depends.items():
            condition = spec.get("condition")
            if condition == "service_completed_successfully":
                assert services[dependency].get("restart") == "no", f"{dependency} must be a one-shot"
                continue
            assert condition == "service_healthy", f"{name} -> {dependency}: {condition}"
            target = services[dependency]
            has_check = "healthcheck" in target and not target["healthcheck"].get("disable")
            inherits = str(target.get("image", "")).startswith(APP_IMAGE) and dockerfile_health
            assert has_check or (inherits and "healthcheck" not in target), f"{dependency} has no healthcheck"


def test_app_services_wait_for_kafka_and_topics(services: dict[str, dict[str, Any]]) -> None:
    for name in STAGE_SERVICES:
        depends = services[name]["depends_on"]
        assert depends["kafka"]["condition"] == "service_healthy"
        assert depends["topic-init"]["condition"] == "service_completed_successfully"


def readme_variables() -> set[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", section))


def test_app_service_environments_are_valid_configs(services: dict[str, dict[str, Any]]) -> None:
    """Each service's environment (over the image's ENV) passes Config.from_env: a typo in a value
    (a ladder, a duration) fails here, not at start-up in a container."""
    from newsstream.config import Config
    from newsstream.errors import ConfigError
    from tests.integration.compose_stack import dockerfile_env

    for name, service in app_services(services).items():
        env = {**dockerfile_env(), **{k: str(v) for k, v in service.get("environment", {}).items()}}
        try:
            Config.from_env(env)
        except ConfigError as exc:
            pytest.fail(f"{name}: {exc}")


def test_pages_runs_in_both_producer_profiles(services: dict[str, dict[str, Any]]) -> None:
    """One `pages` stage per profile, reachable as pages:9104 either way; only the demo's may reach the
    private demo-feeds address, so the live one keeps the SSRF guard."""
    from newsstream.config import Config
    from producers.pages.settings import PagesConfig
    from tests.integration.compose_stack import dockerfile_env, profile_services

    compose = {"services": services}
    for profile, name in (("live", "pages"), ("demo", "demo-pages")):
        running = {n: s for n, s in profile_services(compose, profile).items() if s.get("command") == ["pages"]}
        assert list(running) == [name], (profile, list(running))
        aliases = running[name].get("networks", {}).get("default", {}).get("aliases", [])
        assert "pages" in [name, *aliases]
        assert running[name]["depends_on"]["topic-init"]["condition"] == "service_completed_successfully"
    live = Config.from_env({**dockerfile_env(), **services["pages"]["environment"]})
    assert live.allow_private_addresses is False
    demo = PagesConfig.from_env({**dockerfile_env(), **services["demo-pages"]["environment"]})
    # The demo's stories are dated 2023: an age limit would schedule none of them.
    assert demo.max_age_seconds == 0
    assert demo.ladder and demo.ladder[0] <= 60, "the demo must show a revisit within a minute"
    assert services["demo-pages"]["depends_on"]["demo-feeds"]["condition"] == "service_healthy"


def test_app_services_use_only_readme_variables(services: dict[str, dict[str, Any]]) -> None:
    documented = readme_variables()
    assert "KAFKA_BOOTSTRAP_SERVERS" in documented
    for name, service in app_services(services).items():
        env = service.get("environment", {})
        assert isinstance(env, dict), f"{name}: environment must be a plain map"
        undocumented = set(env) - documented
        assert not undocumented, f"{name} uses variables missing from the README's table: {sorted(undocumented)}"
        if name != "demo-feeds":
            assert env.get("KAFKA_BOOTSTRAP_SERVERS") == "kafka:29092", name
        assert env.get("NEWSSTREAM_LOG_FORMAT") == "json", name


def test_private_addresses_are_allowed_only_in_the_demo(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if "NEWSSTREAM_ALLOW_PRIVATE_ADDRESSES" in service.get("environment", {}):
            assert service.get("profiles") == ["demo"], name


def test_stage_services_use_their_default_metrics_port(services: dict[str, dict[str, Any]]) -> None:
    expected = {**STAGE_SERVICES, "demo-feeds": "feeds-serve"}
    for name, stage in expected.items():
        service = services[name]
        port = BY_NAME[stage].default_port
        assert service["environment"]["NEWSSTREAM_METRICS_PORT"] == str(port), name
        if name != "demo-feeds":
            assert f"{port}:{port}" in service.get("ports", []), name


def test_app_service_commands_are_newsstream_commands(services: dict[str, dict[str, Any]]) -> None:
    from newsstream.cli import build_parser

    parser = build_parser()
    for name, service in app_services(services).items():
        command = service["command"]
        assert isinstance(command, list) and all(isinstance(a, str) for a in command), f"{name}: command as a list"
        args = parser.parse_args(command)  # SystemExit (a failure) on an unknown command or flag
        assert getattr(args, "handler", None) is not None, f"{name}: {command} runs nothing"
    assert services["demo-feeds"]["command"][:3] == ["dev", "feeds", "serve"]
    assert "0.0.0.0" in services["demo-feeds"]["command"]  # noqa: S104 - reachable from other containers


def test_dockerfile_runs_as_non_root_with_a_healthz_check() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    user = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.MULTILINE)
    assert "NEWSSTREAM_METRICS_PORT" in text
    assert re.search(r'^ENTRYPOINT \["newsstream"\]', text, re.MULTILINE)
    assert "latest" not in text


def test_compose_demo_feeds_are_the_bundled_demo_on_the_demo_feeds_host(services: dict[str, dict[str, Any]]) -> None:
    from devtools.demo import DEFAULT_PORT, feeds_toml

    demo = REPO / "deploy" / "demo-feeds.toml"
    assert demo.read_text(encoding="utf-8").endswith(feeds_toml(DEFAULT_PORT, "demo-feeds")), (
        "deploy/demo-feeds.toml drifted from devtools/demo/feeds.toml; regenerate it with "
        "devtools.demo.feeds_toml(8642, 'demo-feeds') below its comment header"
    )
    producer = services["demo-producer"]
    target = producer["environment"]["NEWSSTREAM_FEEDS"]
    assert f"./deploy/demo-feeds.toml:{target}:ro" in producer["volumes"]
    assert str(DEFAULT_PORT) in services["demo-feeds"]["command"]

"""``newsstream normalize`` and ``newsstream detect-corrections``: the consuming stages."""

from __future__ import annotations

import argparse

from consumers.specs import DETECT, NORMALIZE
from newsstream.cli._common import add_kafka_flag, load_config
from newsstream.runner import RunnerOptions, run_stage
from newsstream.stagespec import StageSpec

STAGES: dict[str, StageSpec] = {spec.name: spec for spec in (NORMALIZE, DETECT)}

EPILOG = """\
Exactly-once: outputs and consumed offsets are committed in one Kafka transaction; readers of the
output topics should use isolation.level=read_committed. Messages that fail decoding, schema
validation or the transform go to news.dlq.v1 with the reason in headers. SIGTERM finishes the
current batch, commits, and exits 0. Metrics and health: http://HOST:PORT/metrics, /healthz, /readyz.
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, spec in STAGES.items():
        summary, group = spec.summary, spec.group_id
        parser = subparsers.add_parser(
            name, help=summary, description=summary, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        add_kafka_flag(parser)
        parser.add_argument("--group", default=group, help=f"consumer group id (default {group})")
        parser.add_argument(
            "--instance-id",
            help="stable id of this instance (default NEWSSTREAM_INSTANCE_ID or the host name); part of the "
            "transactional id, so a restarted instance fences its predecessor",
        )
        parser.add_argument("--max-batch", type=int, default=500, help="records per transaction (500)")
        parser.add_argument(
            "--metrics-port",
            type=int,
            metavar="PORT",
            help=f"metrics/health port (overrides NEWSSTREAM_METRICS_PORT, default {spec.default_port}; "
            "0 = any free port)",
        )
        if name == "normalize":
            parser.add_argument(
                "--workers",
                type=int,
                help="worker processes for normalize() (overrides NEWSSTREAM_WORKERS, default 1); the Kafka "
                "client fills one core, so 2 workers use a second one",
            )
        parser.set_defaults(handler=_run, stage=name)


def _run(args: argparse.Namespace) -> int:
    config = load_config(args)
    if args.metrics_port is not None:
        config = config.with_overrides(metrics_port=args.metrics_port)
    options = RunnerOptions(
        group_id=args.group,
        max_batch=args.max_batch,
        instance_id=args.instance_id or config.instance_id,
        workers=getattr(args, "workers", None) or config.workers,
        metrics_port=STAGES[args.stage].port(config),
    )
    if args.stage == "normalize":
        from consumers.normalize_stage import NormalizeStage

        return run_stage(NormalizeStage, config, options)
    from consumers.detect_stage import DetectStage

    return run_stage(DetectStage, config, options)

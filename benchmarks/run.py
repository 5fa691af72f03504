"""Speed of preflight, measured (never asserted in tests): `python -m benchmarks.run`.

1. synth of prod against a bare Pulumi program that registers the same resources (same URNs,
   parents, providers, inputs and dependencies, see benchmarks/replay.py) under the same mocks,
   with no component code: the platform's own overhead. Two baselines: the same provider SDK
   classes (the target's measure) and plain `pulumi.CustomResource` (the SDK's floor);
2. policy analysis over the Analyzer gRPC protocol, per 500 resources;
3. the capacity check of prod (eksplatform/capacity/fit.py), as preflight's report runs it and as the pack's
   two capacity stack policies run it, against preflight's own time (synth + analysis);
4. synth and analysis for 1, 3 and 6 regions (prod's region shape repeated).

Each figure is the median of `--repeat` runs (default 3). Results go to stdout as Markdown.
"""

from __future__ import annotations

import argparse
import copy
import functools
import gc
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks.replay import replay_program
from eksplatform.components.facts import MAX_GLOBAL_DATASTORE_REGIONS
from eksplatform.policies.rule import Resource
from eksplatform.policies.rules.capacity import CAPACITY_STACK_RULES
from eksplatform.preflight.analyze import analyze, read_policy_config
from eksplatform.preflight.export import State, export_document, read_state
from eksplatform.preflight.report import capacity_state
from eksplatform.preflight.synth import PROJECT_ROOT, Graph, run_program, synth
from eksplatform.stack.loading import read_stack_file

PACK = PROJECT_ROOT / "policies"

# Regions with 3 AZs for the scaling runs, primary first.
SCALING_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-1", "us-east-2", "eu-central-1", "ap-northeast-1"]


def median_seconds(action: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        gc.collect()  # earlier runs' garbage is not this run's cost
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def regions_values(count: int) -> dict[str, Any]:
    """Prod's stack file with its first region repeated `count` times in other regions."""
    raw = read_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")
    template = raw["platform:regions"][0]
    regions = []
    for index, name in enumerate(SCALING_REGIONS[:count]):
        region = copy.deepcopy(template)
        region["name"], region["primary"] = name, index == 0
        region["vpc"]["cidr"] = f"10.{100 + index}.0.0/16"
        region["languageServices"]["imageRegistry"] = f"333333333333.dkr.ecr.{name}.amazonaws.com/platform"
        # A Global Datastore spans 2 or 3 regions (MAX_GLOBAL_DATASTORE_REGIONS); one region or more
        # than three keep regional queues.
        region["redis"]["queue"]["globalDatastore"] = 1 < count <= MAX_GLOBAL_DATASTORE_REGIONS
        regions.append(region)
    raw["platform:regions"] = regions
    return raw


def synth_regions(count: int) -> Graph:
    return synth("prod", stack_values=regions_values(count))


def policy_resources(state: State) -> list[Resource]:
    """The state's custom resources as a stack policy receives them (no components, so no parents)."""
    providers = {r.urn: r.inputs for r in state.resources if r.type.startswith("pulumi:providers:")}
    return [
        Resource(
            type=r.type,
            name=r.name,
            urn=r.urn,
            props=r.inputs,
            provider_props=providers.get(r.provider_urn, {}),
            provider=r.provider_urn,
        )
        for r in state.resources
        if r.custom
    ]


def capacity_policies(resources: list[Resource]) -> int:
    return sum(len(rule.violations(resources)) for rule in CAPACITY_STACK_RULES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = read_policy_config(PACK / "config" / "prod.json")

    print(f"Machine: {platform.machine()}, Python {platform.python_version()}, {platform.system()}")
    print()
    platform_seconds, graph = median_seconds(lambda: synth("prod"), args.repeat)
    typed = replay_program(graph, typed=True)
    plain = replay_program(graph, typed=False)
    typed_seconds, typed_graph = median_seconds(lambda: run_program(typed, stack="prod"), args.repeat)
    plain_seconds, plain_graph = median_seconds(lambda: run_program(plain, stack="prod"), args.repeat)
    count = len(graph.resources)
    for replayed in (typed_graph, plain_graph):  # tests/benchmarks checks the whole shape
        assert {r.urn for r in replayed.resources} == {r.urn for r in graph.resources}
    print("| measurement | resources | seconds | ratio / rate |")
    print("| --- | ---: | ---: | ---: |")
    print(
        f"| synth prod (platform) | {count} | {platform_seconds:.2f} | "
        f"{platform_seconds / typed_seconds:.2f}x bare program, {platform_seconds / plain_seconds:.2f}x SDK floor |"
    )
    print(
        f"| bare program: same resources and provider classes, no components | {count} | {typed_seconds:.2f} | 1.00x |"
    )
    print(f"| SDK floor: same resources as plain pulumi.CustomResource | {count} | {plain_seconds:.2f} | |")
    state = read_state(export_document(graph))
    analysis_seconds, _ = median_seconds(lambda: analyze(state, [PACK], config), args.repeat)
    per_500 = analysis_seconds * 500 / count
    print(f"| analysis of prod over gRPC | {count} | {analysis_seconds:.2f} | {per_500:.2f} s per 500 |")
    preflight_seconds = platform_seconds + analysis_seconds
    # The check takes milliseconds: more runs give a steadier median.
    report_seconds, _ = median_seconds(lambda: capacity_state(state), args.repeat * 10)
    resources = policy_resources(state)
    pack_seconds, _ = median_seconds(lambda: capacity_policies(resources), args.repeat * 10)
    for what, seconds in (("in the report", report_seconds), ("as the pack's 2 stack policies", pack_seconds)):
        print(
            f"| capacity check of prod {what} | {count} | {seconds:.4f} | "
            f"{seconds / preflight_seconds:.2%} of preflight (synth + analysis, {preflight_seconds:.2f} s) |"
        )
    for regions in (1, 3, 6):
        seconds, scaled = median_seconds(functools.partial(synth_regions, regions), args.repeat)
        scaled_state = read_state(export_document(scaled))
        analyzed, _ = median_seconds(functools.partial(analyze, scaled_state, [PACK], config), args.repeat)
        n = len(scaled.resources)
        print(
            f"| {regions} region(s): synth / analysis | {n} | {seconds:.2f} / {analyzed:.2f} | "
            f"{seconds * 1000 / n:.1f} / {analyzed * 1000 / n:.1f} ms per resource |"
        )


if __name__ == "__main__":
    main()

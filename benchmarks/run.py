"""Speed of preflight, measured (never asserted in tests): `python -m benchmarks.run`.

1. synth of prod against the bare Pulumi SDK registering the same resources (same types,
   names, parents and inputs) under the same mocks: the platform's own overhead;
2. policy analysis over the Analyzer gRPC protocol, per 500 resources;
3. synth and analysis for 1, 3 and 6 regions (prod's region shape repeated).

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

import pulumi

from components.config import read_stack_file
from preflight.analyze import analyze, read_policy_config
from preflight.export import export_document, read_state
from preflight.synth import PROJECT_ROOT, Graph, run_program, synth

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


def _constant(value: Any, _resolved: Any) -> Any:
    return value


def bare_program(graph: Graph) -> Callable[[], None]:
    """The same resources registered straight through the SDK: no component code, no config.

    Same types, names, parents and inputs, and the same wiring: an input that depended on other
    resources is passed as an Output of those resources, as the program passes it.
    """
    recorded = [r for r in graph.resources if not r.is_provider]

    def program() -> None:
        created: dict[str, pulumi.Resource] = {}
        for registration in recorded:  # sorted by URN: parents come before children
            opts = pulumi.ResourceOptions(parent=created.get(registration.parent))
            if not registration.custom:
                created[registration.urn] = pulumi.ComponentResource(registration.type, registration.name, None, opts)
                continue
            inputs: dict[str, Any] = dict(registration.inputs)
            for key, urns in registration.property_dependencies.items():
                sources = [created[urn] for urn in urns if urn in created]
                if key in inputs and sources:
                    value = inputs[key]
                    inputs[key] = pulumi.Output.all(*[source.urn for source in sources]).apply(
                        functools.partial(_constant, value)
                    )
            created[registration.urn] = pulumi.CustomResource(registration.type, registration.name, inputs, opts)

    return program


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
        regions.append(region)
    raw["platform:regions"] = regions
    return raw


def synth_regions(count: int) -> Graph:
    return synth("prod", stack_values=regions_values(count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = read_policy_config(PACK / "config" / "prod.json")

    print(f"Machine: {platform.machine()}, Python {platform.python_version()}, {platform.system()}")
    print()
    platform_seconds, graph = median_seconds(lambda: synth("prod"), args.repeat)
    bare_seconds, bare = median_seconds(lambda: run_program(bare_program(graph), stack="prod"), args.repeat)
    count = len(graph.resources)

    def registered(result: Graph) -> int:
        return len([r for r in result.resources if not r.is_provider])

    assert registered(bare) == registered(graph), (registered(bare), registered(graph))
    print("| measurement | resources | seconds | ratio / rate |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| synth prod (platform) | {count} | {platform_seconds:.2f} | {platform_seconds / bare_seconds:.2f}x bare |")
    print(f"| bare SDK, same resources, same mocks | {count} | {bare_seconds:.2f} | 1.00x |")
    state = read_state(export_document(graph))
    analysis_seconds, _ = median_seconds(lambda: analyze(state, [PACK], config), args.repeat)
    per_500 = analysis_seconds * 500 / count
    print(f"| analysis of prod over gRPC | {count} | {analysis_seconds:.2f} | {per_500:.2f} s per 500 |")
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

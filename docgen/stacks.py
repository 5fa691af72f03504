"""The default stacks' tables: their shape (from the stack files), and what they register, cost and
leave free on their nodes (from a synth under the mocks)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from eksplatform.capacity.fit import MANDATORY_SCENARIOS
from eksplatform.cost.usage import usage_for_stack
from eksplatform.preflight.export import export_document, read_state
from eksplatform.preflight.report import capacity_state, estimate_state
from eksplatform.preflight.synth import PROJECT_ROOT, Graph
from eksplatform.stack.config import RegionConfig, StackConfig
from eksplatform.stack.loading import load_stack_file

STACKS = ("dev", "staging", "prod")


def stack_configs() -> dict[str, StackConfig]:
    return {stack: load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml") for stack in STACKS}


def _network(region: RegionConfig) -> str:
    nat = {"none": "no NAT", "single": "one NAT", "one-per-az": "NAT per AZ"}[region.vpc.nat_strategy]
    endpoints = ", interface endpoints" if region.vpc.interface_endpoints else ""
    return f"`{region.vpc.cidr}`, {region.vpc.az_count} AZs, {nat}{endpoints}"


def _nodes(region: RegionConfig) -> str:
    groups = []
    for name, group in region.cluster.node_groups.items():
        kind = "spot" if group.capacity_type == "SPOT" else "on-demand"
        types = ", ".join(group.instance_types)
        groups.append(f"{name}: {types} {kind} ({group.min_size}-{group.max_size})")
    return "<br>".join(groups)


def _postgres(config: StackConfig, region: RegionConfig) -> str:
    postgres = region.postgres
    if postgres.engine == "rds":
        extras = [f"{postgres.read_replicas} read replicas"] if postgres.read_replicas else []
        extras += ["Multi-AZ"] if postgres.multi_az else []
        return ", ".join([f"RDS {postgres.instance_class}", *extras])
    kind = "Aurora Global Database" if len(config.regions) > 1 else "Aurora"
    return f"{kind} {postgres.instance_class}, {postgres.readers} reader(s)"


def _redis(region: RegionConfig) -> str:
    parts = []
    for purpose, cache in (("cache", region.redis.cache), ("queue", region.redis.queue)):
        shards = f"{cache.shards} shard(s) x " if cache.cluster_mode else ""
        replicas = f"{cache.replicas_per_shard} replica(s)" if cache.replicas_per_shard else "no replica"
        global_ = ", Global Datastore" if cache.global_datastore else ""
        parts.append(f"{purpose}: {cache.engine} {shards}{cache.node_type}, {replicas}{global_}")
    return "<br>".join(parts)


def shape_table(configs: Mapping[str, StackConfig]) -> str:
    """Per stack and region, what the stack file asks for."""
    lines = [
        "| stack | region | network | node groups (min-max) | PostgreSQL | Redis |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for stack, config in configs.items():
        for region in config.regions:
            name = f"{region.name} (primary)" if region.primary else region.name
            lines.append(
                f"| {stack} | {name} | {_network(region)} | {_nodes(region)} | "
                f"{_postgres(config, region)} | {_redis(region)} |"
            )
    return "\n".join(lines)


def estimate_table(graphs: Mapping[str, Graph], configs: Mapping[str, StackConfig]) -> str:
    """Each stack's monthly estimate at desired size and over its node groups' min and max sizes,
    against its budget (docs/cost.md has the method), with the committed usage files."""
    lines = [
        "| stack | estimate (desired size) | range (min – max node counts) | budget | unpriced resources |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for stack, graph in graphs.items():
        estimate = estimate_state(read_state(export_document(graph)), usage_for_stack(stack))
        high = estimate.monthly_high_usd
        upper = f"${high:,.2f}" if high is not None else "no upper bound"
        budget = configs[stack].monthly_budget
        lines.append(
            f"| {stack} | ${estimate.monthly_usd:,.2f} | ${estimate.monthly_low_usd:,.2f} – {upper} | "
            f"${budget:,.0f} | {len(estimate.unpriced)} |"
        )
    return "\n".join(lines)


def resources_table(graphs: Mapping[str, Graph]) -> str:
    """Custom resources by type per stack (components and providers left out)."""
    counts = {
        stack: Counter(r.type for r in graph if r.custom and not r.type.startswith("pulumi:providers:"))
        for stack, graph in graphs.items()
    }
    types = sorted({kind for counted in counts.values() for kind in counted})
    lines = [
        "| type | " + " | ".join(graphs) + " |",
        "| --- | " + " | ".join("---:" for _ in graphs) + " |",
    ]
    lines += [f"| `{kind}` | " + " | ".join(str(counts[s][kind]) for s in graphs) + " |" for kind in types]
    lines.append("| **total** | " + " | ".join(str(sum(counts[s].values())) for s in graphs) + " |")
    return "\n".join(lines)


def headroom_table(graphs: Mapping[str, Graph]) -> str:
    """Each node group's load at its minimum size in the scenarios that must fit, and its headroom
    (the tightest of CPU, memory and pods)."""
    lines = [
        "| stack | region | group | scenario | nodes | CPU requested / allocatable | memory | pods | headroom |",
        "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for stack, graph in graphs.items():
        report = capacity_state(read_state(export_document(graph)))
        for fit in report.fits:
            if fit.scenario not in MANDATORY_SCENARIOS:
                continue
            instance = fit.group.instance.name if fit.group.instance else "?"
            headroom = f"{fit.headroom_share:.0%}" if fit.fits else "does not fit"
            lines.append(
                f"| {stack} | {fit.group.region} | {fit.group.name} | {fit.scenario} | {fit.nodes} x {instance} | "
                f"{fit.requested_cpu}m / {fit.allocatable_cpu}m | {fit.requested_memory}Mi / "
                f"{fit.allocatable_memory}Mi | {fit.requested_pods} / {fit.allocatable_pods} | {headroom} |"
            )
    return "\n".join(lines)

"""to_args: the dict Pulumi's component host passes becomes the component's Args, or an error naming the field."""

import asyncio
import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pytest

from eksplatform.components.inputs import ArgsError, schema_names, to_args


class Tier(enum.Enum):
    PUBLIC = "public"
    PRIVATE = "private"


@dataclass(frozen=True)
class Subnet:
    cidr: str
    tier: Tier = Tier.PRIVATE

    def __post_init__(self) -> None:
        if "/" not in self.cidr:
            raise ValueError(f"cidr {self.cidr!r} has no prefix length")


@dataclass(frozen=True)
class Args:
    name: str
    count: int
    subnets: Sequence[Subnet] = ()
    by_zone: Mapping[str, Subnet] = field(default_factory=dict)
    ratio: float = 1.0
    enabled: bool = False
    label: str | None = None
    mode: Literal["fast", "safe"] = "safe"
    vpc_id: pulumi.Input[str] | None = None
    ports: list[int] = field(default_factory=list)
    pair: tuple[str, int] | None = None
    extra: Any = None


@pytest.fixture
def output() -> Iterator[pulumi.Output[str]]:
    """An Output needs an event loop to be made in; the host runs the component inside one."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield pulumi.Output.from_input("vpc-123")
    asyncio.set_event_loop(None)
    loop.close()


def test_args_already_built_pass_through_as_the_same_object() -> None:
    args = Args(name="a", count=1)
    assert to_args(Args, args) is args


def test_a_dict_becomes_the_dataclass_with_its_defaults() -> None:
    assert to_args(Args, {"name": "a", "count": 2}) == Args(name="a", count=2)


def test_nested_dataclasses_enums_lists_and_maps_are_rebuilt() -> None:
    args = to_args(
        Args,
        {
            "name": "a",
            "count": 1,
            "subnets": [{"cidr": "10.0.0.0/24", "tier": "public"}, {"cidr": "10.0.1.0/24"}],
            "by_zone": {"use1-az1": {"cidr": "10.0.2.0/24", "tier": Tier.PUBLIC}},
            "pair": ["x", 3],
        },
    )
    assert args.subnets == [Subnet("10.0.0.0/24", Tier.PUBLIC), Subnet("10.0.1.0/24", Tier.PRIVATE)]
    assert args.by_zone == {"use1-az1": Subnet("10.0.2.0/24", Tier.PUBLIC)}
    assert args.pair == ("x", 3)


def test_numbers_that_crossed_the_wire_as_floats_become_ints_where_the_field_is_an_int() -> None:
    args = to_args(Args, {"name": "a", "count": 3.0, "ports": [443.0, 80], "ratio": 2})
    assert args.count == 3 and type(args.count) is int
    assert args.ports == [443, 80] and all(type(port) is int for port in args.ports)
    assert args.ratio == 2.0 and type(args.ratio) is float


def test_an_output_passes_untouched_into_an_input_field(output: pulumi.Output[str]) -> None:
    assert to_args(Args, {"name": "a", "count": 1, "vpc_id": output}).vpc_id is output


def test_an_awaitable_passes_untouched_into_an_input_field() -> None:
    async def later() -> str:
        return "vpc-123"

    awaitable = later()
    try:
        assert to_args(Args, {"name": "a", "count": 1, "vpc_id": awaitable}).vpc_id is awaitable
    finally:
        awaitable.close()


def test_a_plain_value_is_still_checked_in_an_input_field() -> None:
    assert to_args(Args, {"name": "a", "count": 1, "vpc_id": "vpc-1"}).vpc_id == "vpc-1"
    with pytest.raises(ArgsError, match=r"^args\.vpcId: expected str, got int 5$"):
        to_args(Args, {"name": "a", "count": 1, "vpc_id": 5})


def test_an_output_in_a_plain_field_is_refused_by_name(output: pulumi.Output[str]) -> None:
    with pytest.raises(ArgsError, match=r"^args\.count: must be a plain value known before deployment"):
        to_args(Args, {"name": "a", "count": output})


def test_any_takes_whatever_it_is_given() -> None:
    value = object()
    assert to_args(Args, {"name": "a", "count": 1, "extra": value}).extra is value


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"count": 1}, r"^args\.name: missing required field of Args$"),
        ({"name": "a", "count": 1, "colour": "red"}, r"^args\.colour: unknown field of Args; fields: name, count"),
        ({"name": "a", "count": 1, "byZone": {}}, r"^args\.byZone: unknown field of Args \(did you mean 'by_zone'\?"),
        ({"name": "a", "count": "2"}, r"^args\.count: expected int, got str '2'$"),
        ({"name": "a", "count": True}, r"^args\.count: expected int, got bool True$"),
        ({"name": "a", "count": 1.5}, r"^args\.count: expected int, got float 1\.5$"),
        ({"name": "a", "count": 1, "enabled": "yes"}, r"^args\.enabled: expected bool, got str 'yes'$"),
        ({"name": None, "count": 1}, r"^args\.name: expected str, got NoneType None$"),
        ({"name": "a", "count": 1, "mode": "quick"}, r"^args\.mode: 'quick' is not one of 'fast', 'safe'$"),
        ({"name": "a", "count": 1, "subnets": "10.0.0.0/24"}, r"^args\.subnets: expected a list, got str$"),
        ({"name": "a", "count": 1, "subnets": [{"tier": "public"}]}, r"^args\.subnets\[0\]\.cidr: missing required"),
        (
            {"name": "a", "count": 1, "subnets": [{"cidr": "10.0.0.0/24"}, {"cidr": "10.0.1.0/24", "tier": "dmz"}]},
            r"^args\.subnets\[1\]\.tier: 'dmz' is not one of 'public', 'private'$",
        ),
        (
            {"name": "a", "count": 1, "by_zone": {"z": {"cidr": "10.0.0.0"}}},
            r"^args\.byZone\.z: cidr '10\.0\.0\.0' has",
        ),
        ({"name": "a", "count": 1, "by_zone": ["z"]}, r"^args\.byZone: expected a map, got list$"),
        ({"name": "a", "count": 1, "subnets": ["10.0.0.0/24"]}, r"^args\.subnets\[0\]: expected a Subnet or a map"),
        ({"name": "a", "count": 1, "ports": [80, "443"]}, r"^args\.ports\[1\]: expected int, got str '443'$"),
        ({"name": "a", "count": 1, "pair": ["x"]}, r"^args\.pair: expected 2 items, got 1$"),
    ],
)
def test_bad_input_names_the_field_path(value: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgsError, match=message):
        to_args(Args, value)


def test_errors_are_pulumi_run_errors_so_pulumi_prints_no_traceback() -> None:
    with pytest.raises(pulumi.RunError):
        to_args(Args, {"count": 1})


def test_the_args_own_validation_runs_and_keeps_its_message() -> None:
    with pytest.raises(ArgsError, match=r"^args: cidr 'x' has no prefix length$"):
        to_args(Subnet, {"cidr": "x"})


def test_args_that_are_neither_the_dataclass_nor_a_mapping_are_refused() -> None:
    with pytest.raises(ArgsError, match=r"^args: expected Args or a mapping of its fields, got list$"):
        to_args(Args, [])


def test_only_dataclasses_can_be_built() -> None:
    with pytest.raises(TypeError, match="not a dataclass"):
        to_args(Tier, {"name": "x"})


def test_string_annotations_resolve_including_pulumi_input(output: pulumi.Output[str]) -> None:
    """Args modules may still use `from __future__ import annotations` (the Python path)."""
    from eksplatform.components.dns import GlobalDnsArgs
    from tests.components import _future_args

    built = to_args(_future_args.FutureArgs, {"zone_id": output, "sizes": [1.0]})
    assert built.zone_id is output and built.sizes == [1]
    dns = {
        "domain": "d.example",
        "zone_id": "z",
        "endpoints": {"us-east-1": "h"},
        "primary_region": "us-east-1",
        "health_path": "/",
    }
    assert to_args(GlobalDnsArgs, dns).zone_id == "z"


def test_a_path_from_the_hosts_dict_uses_the_schema_names_and_keeps_map_keys_and_indexes() -> None:
    """Another language wrote `byZone` and `subnets[1]`; the map key `use1_az1` is its own text."""
    message = "args.by_zone.use1_az1.tier: 'x' is not one of 'public', 'private'"
    assert schema_names(Args, message) == "args.byZone.use1_az1.tier: 'x' is not one of 'public', 'private'"
    assert schema_names(Args, "args.subnets[1].tier: bad") == "args.subnets[1].tier: bad"
    assert schema_names(Args, "args.vpc_id: expected str") == "args.vpcId: expected str"
    assert schema_names(Args, "not a path") == "not a path"


# --- settings and wiring: an Args class that extends its settings ------------------------------


@dataclass(frozen=True, kw_only=True)
class DiskSettings:
    size_gib: int = 20
    encrypted: bool = True

    def __post_init__(self) -> None:
        if self.size_gib < 1:
            raise ArgsError(f"args.size_gib: {self.size_gib} is below 1")


@dataclass(frozen=True, kw_only=True)
class DiskArgs(DiskSettings):
    volume_id: str


@dataclass(frozen=True, kw_only=True)
class MachineArgs:
    disk: DiskSettings


def test_args_from_settings_copies_every_setting_and_adds_the_wiring() -> None:
    from eksplatform.components.inputs import args_from_settings

    args = args_from_settings(DiskArgs, DiskSettings(size_gib=50, encrypted=False), volume_id="vol-1")
    assert args == DiskArgs(size_gib=50, encrypted=False, volume_id="vol-1")


def test_args_from_settings_refuses_a_setting_passed_as_wiring_and_an_unrelated_type() -> None:
    from eksplatform.components.inputs import args_from_settings

    with pytest.raises(TypeError, match="size_gib are settings"):
        args_from_settings(DiskArgs, DiskSettings(), volume_id="vol-1", size_gib=3)
    with pytest.raises(TypeError, match="Subnet is not a base of DiskArgs"):
        args_from_settings(DiskArgs, Subnet(cidr="10.0.0.0/24"), volume_id="vol-1")


def test_a_nested_settings_error_is_named_from_the_outer_args() -> None:
    # The settings' own check names `args.size_gib`; nested at `args.disk`, the path is re-rooted
    # (and, from the host's dict, spelled with the schema's names).
    with pytest.raises(ArgsError, match=r"^args\.disk\.sizeGib: 0 is below 1$"):
        to_args(MachineArgs, {"disk": {"size_gib": 0}})


# --- placed: a composed component's late error, named where its caller set the value ----------


@dataclass(frozen=True, kw_only=True)
class QueueSettings:
    size: int = 1


@dataclass(frozen=True, kw_only=True)
class QueueArgs(QueueSettings):
    membership: str | None = None

    def __post_init__(self) -> None:
        if self.size > 5:
            raise ArgsError(f"args.size: {self.size} is above 5")
        if self.membership == "bad":
            raise ArgsError("args.membership.token: a secondary needs it")


@dataclass(frozen=True, kw_only=True)
class StackArgs:
    queues: Sequence[QueueSettings]
    deadline: int = 1
    global_queue: str | None = None


def _late_error(settings: QueueSettings, **wiring: Any) -> ArgsError:
    from eksplatform.components.inputs import args_from_settings

    with pytest.raises(ArgsError) as raised:
        args_from_settings(QueueArgs, settings, **wiring)
    return raised.value


def test_a_refused_setting_is_named_where_the_caller_set_it() -> None:
    from eksplatform.components.inputs import placed

    second = QueueSettings(size=9)
    args = StackArgs(queues=[QueueSettings(), second])
    error = placed(_late_error(second), args)
    assert str(error) == "args.queues[1].size: 9 is above 5"
    assert str(placed(_late_error(second), args, StackArgs)) == "args.queues[1].size: 9 is above 5"


def test_a_refused_wiring_value_keeps_its_path_or_takes_the_callers_name_for_it() -> None:
    from eksplatform.components.inputs import placed

    settings = QueueSettings()
    args = StackArgs(queues=[settings])
    # Not a setting: never put under `queues[0]`, where the caller set nothing of the kind.
    assert str(placed(_late_error(settings, membership="bad"), args)) == "args.membership.token: a secondary needs it"
    renamed = placed(_late_error(settings, membership="bad"), args, StackArgs, renamed={"membership": "global_queue"})
    assert str(renamed) == "args.globalQueue.token: a secondary needs it"

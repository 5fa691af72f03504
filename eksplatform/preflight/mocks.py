"""Pulumi mocks that answer like AWS and Kubernetes, and a monitor that records everything.

`PlatformMocks` returns realistic IDs, ARNs and endpoints for the types the components create,
in the region of the resource's own provider, and answers the invokes the components call.
An invoke it does not know fails loudly, so a new invoke is noticed (and mocked) instead of
silently returning nothing.

`RecordingMonitor` wraps Pulumi's own `MockMonitor` and keeps, for every registration, what
the engine would see: type, name, inputs (camelCase, secrets marked), parent, provider,
dependencies, property dependencies and resource options.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.proto import resource_pb2

from eksplatform.pulumi_internals import MockMonitor, ensure_event_loop, rpc, sync_await

# (name, state, region, account) -> (id, state): how one AWS type answers a registration.
Builder = Callable[[str, dict[str, Any], str, str], tuple[str, dict[str, Any]]]
# (args, region, account) -> result: how one invoke answers.
Invoke = Callable[[dict[str, Any], str, str], dict[str, Any]]

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


def _digest(*parts: str, length: int = 17) -> str:
    """A stable hex string for a resource, so the same program gives the same IDs."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _uuid(*parts: str) -> str:
    text = _digest(*parts, length=32)
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def unwrap_secrets(value: Any) -> Any:
    """The same value with Pulumi's secret wrappers removed (what a test asserts on)."""
    if rpc.is_rpc_secret(value):
        return unwrap_secrets(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {key: unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(item) for item in value]
    return value


def provider_urn(reference: str | None) -> str:
    """A provider reference is `<urn>::<id>`; the URN is everything before the last `::`."""
    return reference.rsplit("::", 1)[0] if reference else ""


@dataclass
class Registration:
    """One resource as the engine saw it registered."""

    urn: str
    type: str
    name: str
    custom: bool
    id: str
    parent: str
    provider: str  # reference "<provider urn>::<id>", "" when none was given
    inputs: dict[str, Any]  # camelCase, secrets unwrapped
    inputs_with_secrets: dict[str, Any]  # camelCase, secrets as Pulumi secret objects
    outputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    ignore_changes: list[str]
    additional_secret_outputs: list[str]
    aliases: list[str] = field(default_factory=list)

    @property
    def provider_urn(self) -> str:
        return provider_urn(self.provider)

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")


class MissingStackReferenceError(LookupError):
    """The program references a stack whose outputs nobody gave."""


class DuplicateUrnError(Exception):
    """Two resources registered with the same type, name and parent."""


class RecordingMonitor(MockMonitor):
    """Pulumi's MockMonitor, plus a record of every registration in order."""

    def __init__(self, mocks: PlatformMocks) -> None:
        super().__init__(mocks)
        self.platform_mocks = mocks
        self.registrations: list[Registration] = []
        # Pulumi's mock monitor gives each worker thread its own event loop and never closes
        # them; they are kept here so run_program can close them (else they warn at exit).
        self.thread_loops: set[asyncio.AbstractEventLoop] = set()

    def _thread_loop(self) -> None:
        ensure_event_loop()  # type: ignore[no-untyped-call]
        self.thread_loops.add(asyncio.get_event_loop())

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        self._thread_loop()
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        urn = self.make_urn(request.parent, request.type, request.name)
        self._thread_loop()
        if any(registration.urn == urn for registration in self.registrations):
            # The engine refuses a second resource with the same URN; so do the mocks.
            raise DuplicateUrnError(f"Duplicate resource URN '{urn}'; try giving it a unique name")
        inputs = rpc.deserialize_properties(request.object)
        if request.type == "pulumi:pulumi:Stack":
            self._record(request, urn, "", inputs, {})
            return resource_pb2.RegisterResourceResponse(urn=urn)
        if request.type.startswith("pulumi:providers:"):
            self.platform_mocks.provider_inputs[urn] = unwrap_secrets(inputs)
        args = MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=unwrap_secrets(inputs),
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        resource_id, state = self.mocks.new_resource(args)
        resource_id = resource_id or ""
        self.resources[urn] = MockMonitor.ResourceRegistration(urn, resource_id, state)
        self._record(request, urn, resource_id, inputs, state)
        state_proto = sync_await(rpc.serialize_properties(state, {}))
        return resource_pb2.RegisterResourceResponse(urn=urn, id=resource_id, object=state_proto)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """A read (`Resource.get`, a StackReference): recorded like a registration, as `pulumi preview` lists it."""
        self._thread_loop()
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        inputs = rpc.deserialize_properties(request.properties)
        state = self.resources[response.urn].state
        self.registrations.append(
            Registration(
                urn=response.urn,
                type=request.type,
                name=request.name,
                custom=True,
                id=request.id,
                parent=request.parent,
                provider=request.provider,
                inputs=unwrap_secrets(inputs),
                inputs_with_secrets=inputs,
                outputs=dict(state),
                dependencies=sorted(request.dependencies),
                property_dependencies={},
                protect=False,
                retain_on_delete=False,
                delete_before_replace=False,
                ignore_changes=[],
                additional_secret_outputs=list(request.additionalSecretOutputs),
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """A component's `register_outputs(...)`: kept as that component's outputs."""
        self._thread_loop()
        outputs = rpc.deserialize_properties(request.outputs)
        for registration in self.registrations:
            if registration.urn == request.urn:
                registration.outputs = unwrap_secrets(outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def _record(self, request: Any, urn: str, resource_id: str, inputs: dict[str, Any], state: dict[str, Any]) -> None:
        self.registrations.append(
            Registration(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                id=resource_id,
                parent=request.parent,
                provider=request.provider,
                inputs=unwrap_secrets(inputs),
                inputs_with_secrets=inputs,
                outputs=state,
                # Sets to the engine; the SDK sends them in an order that varies from run to run
                # (its own sets of resources), so sorted: the same export and report every run.
                dependencies=sorted(request.dependencies),
                property_dependencies={key: sorted(value.urns) for key, value in request.propertyDependencies.items()},
                protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete),
                delete_before_replace=bool(request.deleteBeforeReplace),
                ignore_changes=list(request.ignoreChanges),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                aliases=[alias.urn for alias in request.aliases if alias.urn],
            )
        )


class PlatformMocks(Mocks):
    """Answers resource registrations and invokes the way AWS and Kubernetes would."""

    def __init__(self, stack_references: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.provider_inputs: dict[str, dict[str, Any]] = {}
        self.calls: list[MockCallArgs] = []
        # Other stacks' outputs, by stack name: each value has `.value` and `.secret`.
        self.stack_references = dict(stack_references or {})

    # -- where a resource lives -------------------------------------------------------------

    def region_of(self, provider_reference: str | None) -> str:
        inputs = self.provider_inputs.get(provider_urn(provider_reference), {})
        return str(inputs.get("region") or DEFAULT_REGION)

    def account_of(self, provider_reference: str | None) -> str:
        inputs = self.provider_inputs.get(provider_urn(provider_reference), {})
        allowed = inputs.get("allowedAccountIds")
        if isinstance(allowed, str):  # provider inputs arrive JSON-encoded
            allowed = json.loads(allowed)
        return str(allowed[0]) if allowed else DEFAULT_ACCOUNT_ID

    # -- resources ---------------------------------------------------------------------------

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return _uuid(args.typ, args.name), state
        if args.typ.startswith("kubernetes:"):
            return self._kubernetes(args, state)
        if args.typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(state)
        region = self.region_of(args.provider)
        account = self.account_of(args.provider)
        builder = _AWS_BUILDERS.get(args.typ)
        if builder is not None:
            return builder(args.name, state, region, account)
        return f"{args.name}-{_digest(args.typ, args.name, length=8)}", state

    def _stack_reference(self, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        name = str(state.get("name"))
        if name not in self.stack_references:
            raise MissingStackReferenceError(
                f"the program references stack {name!r}, whose outputs preflight does not have: give "
                f"--stack-reference {name}=FILE (a `pulumi stack export --show-secrets` of it), or stack_references= "
                "to run_program"
            )
        outputs = self.stack_references[name]
        state["outputs"] = {key: output.value for key, output in outputs.items()}
        state["secretOutputNames"] = [key for key, output in outputs.items() if output.secret]
        return name, state

    def _kubernetes(self, args: MockResourceArgs, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        metadata = dict(state.get("metadata") or {})
        metadata.setdefault("name", f"{args.name}-{_digest(args.typ, args.name, length=8)}")
        metadata["uid"] = _uuid(args.typ, args.name)
        state["metadata"] = metadata
        if args.typ == "kubernetes:core/v1:Service":
            spec = dict(state.get("spec") or {})
            octets = (int(_digest(args.name, length=2), 16), int(_digest(args.typ, length=2), 16))
            spec.setdefault("clusterIP", f"172.20.{octets[0]}.{octets[1]}")
            state["spec"] = spec
            if spec.get("type") == "LoadBalancer":
                host = f"a{_digest(args.name, length=31)}-{_digest(args.typ, length=16)}.elb.amazonaws.com"
                state["status"] = {"loadBalancer": {"ingress": [{"hostname": host}]}}
        namespace = metadata.get("namespace")
        resource_id = f"{namespace}/{metadata['name']}" if namespace else str(metadata["name"])
        return resource_id, state

    # -- invokes -----------------------------------------------------------------------------

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        self.calls.append(args)
        region = self.region_of(args.provider)
        account = self.account_of(args.provider)
        answer = _INVOKES.get(args.token)
        if answer is None:
            raise NotImplementedError(
                f"the mocks have no answer for invoke {args.token}; add one to eksplatform/preflight/mocks.py"
            )
        # A plain dict means "no check failures" to Pulumi's MockMonitor.
        return answer(args.args, region, account)


# --- AWS resource builders: (name, state, region, account) -> (id, state) ---------------------


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _ec2(prefix: str, resource: str) -> Builder:
    def build(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
        resource_id = f"{prefix}-{_digest(prefix, name)}"
        state.setdefault("arn", _arn("ec2", region, account, f"{resource}/{resource_id}"))
        state["ownerId"] = account
        return resource_id, state

    return build


def _vpc(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    resource_id, state = _ec2("vpc", "vpc")(name, state, region, account)
    state["defaultSecurityGroupId"] = f"sg-{_digest('default-sg', name)}"
    state["defaultRouteTableId"] = f"rtb-{_digest('main-rtb', name)}"
    state["mainRouteTableId"] = state["defaultRouteTableId"]
    state["defaultNetworkAclId"] = f"acl-{_digest('default-acl', name)}"
    return resource_id, state


def _subnet(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    resource_id, state = _ec2("subnet", "subnet")(name, state, region, account)
    zones = _availability_zones({}, region, account)
    names = dict(zip(zones["zoneIds"], zones["names"], strict=True))
    if state.get("availabilityZoneId") in names:  # AWS fills in the other spelling of the zone
        state.setdefault("availabilityZone", names[state["availabilityZoneId"]])
    state.setdefault("availabilityZone", f"{region}a")
    ids = dict(zip(zones["names"], zones["zoneIds"], strict=True))
    state.setdefault("availabilityZoneId", ids.get(state["availabilityZone"]))
    return resource_id, state


def _kms_key(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    key_id = _uuid("kms", region, name)
    state.update(keyId=key_id, arn=_arn("kms", region, account, f"key/{key_id}"))
    return key_id, state


def _named(service: str, resource: str, name_key: str = "name") -> Builder:
    """Resources whose ID is their name (log groups, roles, clusters...)."""

    def build(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
        resource_name = str(state.get(name_key) or f"{name}-{_digest(name, length=7)}")
        state[name_key] = resource_name
        arn_region = "" if service == "iam" else region
        state.setdefault("arn", _arn(service, arn_region, account, resource.format(name=resource_name)))
        return resource_name, state

    return build


def _iam_role(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    resource_id, state = _named("iam", "role/{name}")(name, state, region, account)
    state["uniqueId"] = "AROA" + _digest("role", name, length=17).upper()
    return resource_id, state


def _eks_cluster(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    resource_id, state = _named("eks", "cluster/{name}")(name, state, region, account)
    oidc = _digest("oidc", region, name, length=32).upper()
    state.update(
        endpoint=f"https://{oidc}.gr7.{region}.eks.amazonaws.com",
        certificateAuthority={"data": base64.b64encode(f"mock CA of {name}".encode()).decode()},
        identities=[{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc}"}]}],
        status="ACTIVE",
        platformVersion="eks.1",
    )
    vpc_config = dict(state.get("vpcConfig") or {})
    vpc_config["clusterSecurityGroupId"] = f"sg-{_digest('eks-cluster-sg', name)}"
    vpc_config["vpcId"] = vpc_config.get("vpcId") or f"vpc-{_digest('vpc', name)}"
    state["vpcConfig"] = vpc_config
    return resource_id, state


def _eks_node_group(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    cluster = str(state.get("clusterName"))
    group = str(state.get("nodeGroupName") or f"{name}-{_digest('nodegroup', name, length=7)}")
    group_id = _uuid("nodegroup", region, cluster, group)
    state.update(
        nodeGroupName=group,
        arn=_arn("eks", region, account, f"nodegroup/{cluster}/{group}/{group_id}"),
        status="ACTIVE",
        resources=[{"autoscalingGroups": [{"name": f"eks-{group}-{group_id}"}], "remoteAccessSecurityGroupId": ""}],
    )
    return f"{cluster}:{group}", state


def _eks_addon(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    cluster, addon = str(state.get("clusterName")), str(state.get("addonName"))
    state["arn"] = _arn("eks", region, account, f"addon/{cluster}/{addon}/{_uuid('addon', region, cluster, addon)}")
    return f"{cluster}:{addon}", state


def _eks_access_entry(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    cluster, principal = str(state.get("clusterName")), str(state.get("principalArn"))
    role = principal.rsplit("/", 1)[-1]
    entry = _uuid("access-entry", region, cluster, principal)
    state["accessEntryArn"] = _arn("eks", region, account, f"access-entry/{cluster}/role/{account}/{role}/{entry}")
    return f"{cluster}:{principal}", state


def _launch_template(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    resource_id, state = _ec2("lt", "launch-template")(name, state, region, account)
    state.update(latestVersion=1, defaultVersion=1)
    state.setdefault("name", f"{name}-{_digest('lt-name', name, length=8)}")
    return resource_id, state


def _ecr_repository(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    repository = str(state.get("name"))
    state.update(
        arn=_arn("ecr", region, account, f"repository/{repository}"),
        registryId=account,
        repositoryUrl=f"{account}.dkr.ecr.{region}.amazonaws.com/{repository}",
    )
    return repository, state


def _oidc_provider(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    host = str(state.get("url", "")).removeprefix("https://")
    arn = _arn("iam", "", account, f"oidc-provider/{host}")
    state["arn"] = arn
    return arn, state


def _rds_instance(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    identifier = str(state.get("identifier") or f"{name}-{_digest(name, length=7)}")
    host = f"{identifier}.c{_digest('rds', account, region, length=11)}.{region}.rds.amazonaws.com"
    port = int(state.get("port") or 5432)
    state.update(
        identifier=identifier,
        address=host,
        endpoint=f"{host}:{port}",
        port=port,
        arn=_arn("rds", region, account, f"db:{identifier}"),
        resourceId="db-" + _digest("dbi", name, length=26).upper(),
    )
    _engine_version_actual(state)
    if state.get("manageMasterUserPassword"):
        state["masterUserSecrets"] = [_master_secret(identifier, region, account, state)]
    return identifier, state


def _rds_cluster(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    identifier = str(state.get("clusterIdentifier") or f"{name}-{_digest(name, length=7)}")
    suffix = f"cluster-c{_digest('rds', account, region, length=11)}.{region}.rds.amazonaws.com"
    state.update(
        clusterIdentifier=identifier,
        endpoint=f"{identifier}.{suffix}",
        readerEndpoint=f"{identifier}.cluster-ro-{suffix.removeprefix('cluster-')}",
        port=int(state.get("port") or 5432),
        arn=_arn("rds", region, account, f"cluster:{identifier}"),
        clusterResourceId="cluster-" + _digest("cluster", name, length=26).upper(),
    )
    _engine_version_actual(state)
    if state.get("manageMasterUserPassword"):
        state["masterUserSecrets"] = [_master_secret(identifier, region, account, state)]
    return identifier, state


def _aws_engine_version(configured: str) -> str:
    """The version AWS runs: a bare major version ('17') becomes that major's default minor."""
    return configured if "." in configured else f"{configured}.6"


def _engine_version_actual(state: dict[str, Any]) -> None:
    """RDS clusters and instances: the provider keeps a configured '17' that AWS ran as '17.6'.

    terraform-provider-aws, rds/engine_version.go `compareActualEngineVersion`: `engine_version`
    keeps the configured value when the actual one only adds a minor (or patch) to it;
    `engine_version_actual` is what AWS reports.
    """
    configured = str(state.get("engineVersion") or "17")
    state["engineVersionActual"] = _aws_engine_version(configured)


def _global_cluster(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    """An Aurora global cluster, read back as the provider reads it.

    terraform-provider-aws, rds/global_cluster.go (Read): `engine_version` keeps the configured
    value only when both are three-part versions that differ in the last part's prefix
    ('5.6.10a' against '5.6.global_10a'); otherwise it becomes what AWS reports. So a configured
    '17' reads back as '17.6', and the next preview shows a change (an upgrade call).
    """
    identifier = str(state.get("globalClusterIdentifier") or f"{name}-{_digest(name, length=7)}")
    configured = str(state.get("engineVersion") or "17")
    actual = _aws_engine_version(configured)
    old, new = configured.split("."), actual.split(".")
    kept = len(old) == len(new) == 3 and old[:2] == new[:2] and new[2].endswith(old[2])
    state.update(
        globalClusterIdentifier=identifier,
        arn=_arn("rds", "", account, f"global-cluster:{identifier}"),
        endpoint=f"{identifier}.global-{_digest('global', account, identifier, length=10)}.global.rds.amazonaws.com",
        engineVersion=configured if kept else actual,
        engineVersionActual=actual,
    )
    return identifier, state


# Engine defaults of parameters the platform sets (PostgreSQL documentation, "Server
# Configuration"; RDS user guide, "Requiring an SSL connection": rds.force_ssl is 1 by default
# from PostgreSQL 15). Families not listed have no default recorded here.
_PARAMETER_DEFAULTS: dict[str, dict[str, str]] = {
    "postgres15": {"rds.force_ssl": "1", "ssl_min_protocol_version": "TLSv1.2", "pg_stat_statements.track": "top"},
    "postgres16": {"rds.force_ssl": "1", "ssl_min_protocol_version": "TLSv1.2", "pg_stat_statements.track": "top"},
    "postgres17": {"rds.force_ssl": "1", "ssl_min_protocol_version": "TLSv1.2", "pg_stat_statements.track": "top"},
    "aurora-postgresql16": {"ssl_min_protocol_version": "TLSv1.2", "pg_stat_statements.track": "top"},
    "aurora-postgresql17": {"ssl_min_protocol_version": "TLSv1.2", "pg_stat_statements.track": "top"},
}


def _rds_parameter_group(resource: str) -> Builder:
    """A (cluster) parameter group, read back as the provider reads it.

    AWS reports a parameter whose value is the engine's default with apply method
    `pending-reboot`, whatever was asked (pulumi-aws aws.rds.ParameterGroup docs, "Problematic
    Plan Changes"), so asking `immediate` for it shows a change on every preview.
    """
    named = _named("rds", resource)

    def build(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
        defaults = _PARAMETER_DEFAULTS.get(str(state.get("family")), {})
        state["parameters"] = [
            {**parameter, "applyMethod": "pending-reboot"}
            if defaults.get(parameter.get("name")) == parameter.get("value")
            else parameter
            for parameter in state.get("parameters") or []
        ]
        return named(name, state, region, account)

    return build


def _rds_proxy(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    proxy_name = str(state.get("name") or f"{name}-{_digest(name, length=7)}")
    state.update(
        name=proxy_name,
        arn=_arn("rds", region, account, f"db-proxy:prx-{_digest('proxy', name, length=17)}"),
        endpoint=f"{proxy_name}.proxy-c{_digest('rds', account, region, length=11)}.{region}.rds.amazonaws.com",
    )
    return proxy_name, state


def _rds_proxy_endpoint(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    proxy_name, endpoint_name = str(state.get("dbProxyName")), str(state.get("dbProxyEndpointName"))
    state.update(
        arn=_arn("rds", region, account, f"db-proxy-endpoint:prx-endpoint-{_digest('endpoint', name, length=17)}"),
        endpoint=f"{endpoint_name}.endpoint.proxy-c{_digest('rds', account, region, length=11)}.{region}"
        ".rds.amazonaws.com",
    )
    return f"{proxy_name}/{endpoint_name}", state


def _master_secret(identifier: str, region: str, account: str, state: dict[str, Any]) -> dict[str, Any]:
    secret_name = f"rds!{identifier}-{_uuid(identifier)}"
    return {
        "secretArn": _arn("secretsmanager", region, account, f"secret:{secret_name}-{_digest(secret_name, length=6)}"),
        "kmsKeyId": state.get("masterUserSecretKmsKeyId") or "",
        "secretStatus": "active",
    }


def _replication_group(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    group_id = str(state.get("replicationGroupId") or f"{name}-{_digest(name, length=7)}")
    domain = f"{_digest('ec', account, region, length=6)}.cache.amazonaws.com"
    state.update(
        replicationGroupId=group_id,
        arn=_arn("elasticache", region, account, f"replicationgroup:{group_id}"),
        port=int(state.get("port") or 6379),
        primaryEndpointAddress=f"master.{group_id}.{domain}",
        readerEndpointAddress=f"replica.{group_id}.{domain}",
    )
    # A Global Datastore secondary in cluster mode sets only its replicas per shard.
    secondary_in_cluster_mode = state.get("globalReplicationGroupId") and "replicasPerNodeGroup" in state
    if state.get("clusterMode") == "enabled" or (state.get("numNodeGroups") or 1) > 1 or secondary_in_cluster_mode:
        state["configurationEndpointAddress"] = f"clustercfg.{group_id}.{domain}"
    return group_id, state


def _global_replication_group(
    name: str, state: dict[str, Any], region: str, account: str
) -> tuple[str, dict[str, Any]]:
    # AWS prefixes the suffix with a region-specific code (e.g. "ldgnf" for us-east-1).
    group_id = f"{_digest('global-prefix', region, length=5)}-{state.get('globalReplicationGroupIdSuffix')}"
    state.update(
        globalReplicationGroupId=group_id,
        arn=_arn("elasticache", "", account, f"globalreplicationgroup:{group_id}"),
        atRestEncryptionEnabled=True,
        transitEncryptionEnabled=True,
        authTokenEnabled=True,
    )
    return group_id, state


def _arn_is_id(service: str, resource: str) -> Builder:
    """Resources whose ID is their ARN (secrets, topics, load balancers...)."""

    def build(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
        resource_name = str(state.get("name") or f"{name}-{_digest(name, length=7)}")
        state["name"] = resource_name
        arn = _arn(service, region, account, resource.format(name=resource_name, suffix=_digest(name, length=16)))
        state["arn"] = arn
        return arn, state

    return build


def _load_balancer(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    arn, state = _arn_is_id("elasticloadbalancing", "loadbalancer/net/{name}/{suffix}")(name, state, region, account)
    state.update(
        dnsName=f"{state['name']}-{_digest('lb', name, length=16)}.elb.{region}.amazonaws.com", zoneId="Z26RNL4JYFTOTI"
    )
    return arn, state


def _hosted_zone(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    zone_id = "Z" + _digest("zone", name, length=20).upper()
    state.update(
        zoneId=zone_id,
        arn=f"arn:aws:route53:::hostedzone/{zone_id}",
        nameServers=[f"ns-{n}.awsdns-{n:02d}.org" for n in (1, 2, 3, 4)],
    )
    return zone_id, state


def _health_check(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    check_id = _uuid("healthcheck", name)
    state["arn"] = f"arn:aws:route53:::healthcheck/{check_id}"
    return check_id, state


def _route53_record(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    """Route53 names a record by zone, name, type and set identifier."""
    parts = [state.get("zoneId"), state.get("name"), state.get("type"), state.get("setIdentifier")]
    record_id = "_".join(str(part) for part in parts if part)
    state["fqdn"] = state.get("name")
    return record_id, state


def _acm_certificate(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    """DNS validation asks for one CNAME per name; the same name in the same account gets the same record."""
    arn = _arn("acm", region, account, f"certificate/{_uuid('acm', region, name)}")
    names = [str(state.get("domainName")), *[str(n) for n in state.get("subjectAlternativeNames") or []]]
    state.update(
        arn=arn,
        status="PENDING_VALIDATION",
        domainValidationOptions=[
            {
                "domainName": domain,
                "resourceRecordName": f"_{_digest('acm-name', account, domain, length=32)}.{domain}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_digest('acm-value', account, domain, length=32)}.acm-validations.aws.",
            }
            for domain in names
        ],
    )
    return arn, state


def _random_password(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    length = int(state.get("length") or 32)
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    digest = hashlib.sha256(f"password/{name}".encode()).digest()
    state["result"] = "".join(alphabet[digest[i % len(digest)] % len(alphabet)] for i in range(length))
    return "none", state


def _s3_bucket(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    # Autonamed like the provider: the resource name and a random suffix, lowercase.
    bucket = str(state.get("bucket") or f"{name}-{_digest('bucket', name, length=8)}").lower()
    state.update(
        bucket=bucket,
        arn=f"arn:aws:s3:::{bucket}",
        region=region,
        bucketDomainName=f"{bucket}.s3.amazonaws.com",
        bucketRegionalDomainName=f"{bucket}.s3.{region}.amazonaws.com",
    )
    return bucket, state


def _firehose_stream(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    stream = str(state.get("name") or f"{name}-{_digest(name, length=7)}")
    arn = _arn("firehose", region, account, f"deliverystream/{stream}")
    state.update(name=stream, arn=arn)
    return arn, state


def _amp_workspace(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    workspace_id = f"ws-{_uuid('amp', region, name)}"
    state.update(
        arn=_arn("aps", region, account, f"workspace/{workspace_id}"),
        prometheusEndpoint=f"https://aps-workspaces.{region}.amazonaws.com/workspaces/{workspace_id}/",
    )
    return workspace_id, state


def _amp_scraper(name: str, state: dict[str, Any], region: str, account: str) -> tuple[str, dict[str, Any]]:
    scraper_id = f"s-{_uuid('scraper', region, name)}"
    state.update(
        arn=_arn("aps", region, account, f"scraper/{scraper_id}"),
        # The service-linked role AMP makes per scraper (AMP user guide, "Using roles for scraping
        # metrics from EKS"): the principal of the cluster access entry.
        roleArn=f"arn:aws:iam::{account}:role/aws-service-role/scraper.aps.amazonaws.com/"
        f"AWSServiceRoleForAmazonPrometheusScraper_{_digest('scraper-role', name, length=15)}",
    )
    return scraper_id, state


_AWS_BUILDERS: dict[str, Builder] = {
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/internetGateway:InternetGateway": _ec2("igw", "internet-gateway"),
    "aws:ec2/natGateway:NatGateway": _ec2("nat", "natgateway"),
    "aws:ec2/eip:Eip": _ec2("eipalloc", "elastic-ip"),
    "aws:ec2/routeTable:RouteTable": _ec2("rtb", "route-table"),
    "aws:ec2/route:Route": _ec2("r", "route"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _ec2("rtbassoc", "route-table-association"),
    "aws:ec2/securityGroup:SecurityGroup": _ec2("sg", "security-group"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _ec2("sg", "security-group"),
    "aws:ec2/securityGroupRule:SecurityGroupRule": _ec2("sgrule", "security-group-rule"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ec2("sgr", "security-group-rule"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _ec2("sgr", "security-group-rule"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _ec2("vpce", "vpc-endpoint"),
    "aws:ec2/flowLog:FlowLog": _ec2("fl", "vpc-flow-log"),
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:kms/key:Key": _kms_key,
    "aws:kms/alias:Alias": _named("kms", "{name}"),
    "aws:cloudwatch/logGroup:LogGroup": _named("logs", "log-group:{name}"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _named("cloudwatch", "alarm:{name}"),
    "aws:iam/role:Role": _iam_role,
    "aws:iam/policy:Policy": _named("iam", "policy/{name}"),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _eks_node_group,
    "aws:eks/addon:Addon": _eks_addon,
    "aws:eks/accessEntry:AccessEntry": _eks_access_entry,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _rds_instance,
    "aws:rds/globalCluster:GlobalCluster": _global_cluster,
    "aws:rds/subnetGroup:SubnetGroup": _named("rds", "subgrp:{name}"),
    "aws:rds/parameterGroup:ParameterGroup": _rds_parameter_group("pg:{name}"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": _rds_parameter_group("cluster-pg:{name}"),
    "aws:rds/proxy:Proxy": _rds_proxy,
    "aws:rds/proxyEndpoint:ProxyEndpoint": _rds_proxy_endpoint,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": _global_replication_group,
    "aws:elasticache/user:User": _named("elasticache", "user:{name}", "userId"),
    "aws:elasticache/userGroup:UserGroup": _named("elasticache", "usergroup:{name}", "userGroupId"),
    "aws:elasticache/subnetGroup:SubnetGroup": _named("elasticache", "subnetgroup:{name}"),
    "aws:elasticache/parameterGroup:ParameterGroup": _named("elasticache", "parametergroup:{name}"),
    "aws:secretsmanager/secret:Secret": _arn_is_id("secretsmanager", "secret:{name}-{suffix}"),
    "aws:sns/topic:Topic": _arn_is_id("sns", "{name}"),
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": _firehose_stream,
    "aws:amp/workspace:Workspace": _amp_workspace,
    "aws:amp/scraper:Scraper": _amp_scraper,
    "aws:cloudwatch/dashboard:Dashboard": _named("cloudwatch", "dashboard/{name}", "dashboardName"),
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:route53/zone:Zone": _hosted_zone,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:route53/record:Record": _route53_record,
    "aws:acm/certificate:Certificate": _acm_certificate,
    "random:index/randomPassword:RandomPassword": _random_password,
    # The bootstrap's (bootstrap/): a connection's ID is its ARN; a project's ID its name.
    "aws:codeconnections/connection:Connection": _arn_is_id("codeconnections", "connection/{suffix}"),
    "aws:codebuild/project:Project": _named("codebuild", "project/{name}"),
}


# --- invokes: (args, region, account) -> result -----------------------------------------------


def _availability_zones(args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """Zone names map to zone IDs per account (AWS RAM user guide, "Availability Zone IDs"): the
    mock rotates the mapping by account, so code that treats a name as a physical zone shows it.
    us-east-1 lists use1-az3, which EKS refuses, as every us-east-1 account has it."""
    from eksplatform.components.zones import zone_id_prefix

    letters = "abcdef"[: _zone_count(region)]
    numbers = list(range(1, len(letters) + 1))
    if region == "us-west-1":
        numbers = [1, 3]  # a new account's us-west-1 zones; usw1-az2 is only in older accounts
    shift = int(_digest("zones", account, length=4), 16) % len(numbers)
    numbers = numbers[shift:] + numbers[:shift]
    prefix = zone_id_prefix(region)
    zones = [(f"{region}{letter}", f"{prefix}-az{n}") for letter, n in zip(letters, numbers, strict=False)]
    excluded_names = set(args.get("excludeNames") or [])
    excluded_ids = set(args.get("excludeZoneIds") or [])
    zones = [(name, zone_id) for name, zone_id in zones if name not in excluded_names and zone_id not in excluded_ids]
    for condition in args.get("filters") or []:
        if condition.get("name") == "zone-type" and "availability-zone" not in (condition.get("values") or []):
            zones = []  # the mock region has no Local or Wavelength Zones
    return {
        "id": region,
        "names": [name for name, _ in zones],
        "zoneIds": [zone_id for _, zone_id in zones],
        "groupNames": [region] * len(zones),
        "state": args.get("state"),
    }


def _zone_count(region: str) -> int:
    from eksplatform.components.facts import REGION_AZ_COUNTS

    return REGION_AZ_COUNTS.get(region, 3)


def _policy_document(args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """Render the statements the way the AWS provider does, so tests can read the JSON back."""
    statements = []
    for statement in args.get("statements") or []:
        rendered: dict[str, Any] = {}
        if statement.get("sid"):
            rendered["Sid"] = statement["sid"]
        rendered["Effect"] = statement.get("effect") or "Allow"
        for key, name in (
            ("actions", "Action"),
            ("notActions", "NotAction"),
            ("resources", "Resource"),
            ("notResources", "NotResource"),
        ):
            values = statement.get(key)
            if values:
                rendered[name] = values[0] if len(values) == 1 else sorted(values)
        for key, name in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
            principals = statement.get(key)
            if principals:
                rendered[name] = {
                    p["type"]: p["identifiers"][0] if len(p["identifiers"]) == 1 else sorted(p["identifiers"])
                    for p in principals
                }
        conditions: dict[str, dict[str, Any]] = {}
        for condition in statement.get("conditions") or []:
            values = condition["values"]
            conditions.setdefault(condition["test"], {})[condition["variable"]] = (
                values[0] if len(values) == 1 else values
            )
        if conditions:
            rendered["Condition"] = conditions
        statements.append(rendered)
    document = {"Version": args.get("version") or "2012-10-17", "Statement": statements}
    return {
        "id": _digest(json.dumps(document, sort_keys=True), length=10),
        "json": json.dumps(document, indent=2),
        "minifiedJson": json.dumps(document, separators=(",", ":")),
    }


# The mock's answer to the add-on version lookup, whatever the Kubernetes version: plausible
# version strings, not a record of AWS's catalog (a real deploy asks AWS).
_ADDON_VERSIONS = {
    "vpc-cni": "v1.20.4-eksbuild.2",
    "kube-proxy": "v1.34.1-eksbuild.2",
    "coredns": "v1.12.4-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
    "aws-ebs-csi-driver": "v1.51.1-eksbuild.1",
    "metrics-server": "v0.8.0-eksbuild.2",
}


def _addon_version(args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    name = str(args.get("addonName"))
    if name not in _ADDON_VERSIONS:
        raise ValueError(f"no EKS add-on named {name!r}")
    return {
        "id": name,
        "addonName": name,
        "kubernetesVersion": args.get("kubernetesVersion"),
        "version": _ADDON_VERSIONS[name],
    }


def _ssm_parameter(args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """AWS's public EKS AMI parameters: `.../optimized-ami/<version>/.../release_version`."""
    name = str(args.get("name"))
    match = re.fullmatch(
        r"/aws/service/eks/optimized-ami/(\d+\.\d+)/amazon-linux-2023/(x86_64|arm64)/standard/"
        r"recommended/release_version",
        name,
    )
    if match is None:
        raise ValueError(f"the mocks know no SSM parameter {name!r}")
    value = f"{match[1]}.0-20261101"  # the form of AWS's values; not a record of its releases
    return {
        "id": name,
        "name": name,
        "value": value,
        "insecureValue": value,
        "type": "String",
        "version": 1,
        "arn": _arn("ssm", region, "", f"parameter{name}"),
        "withDecryption": True,
    }


def _session_context(args: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """An assumed-role ARN's issuer: the IAM role behind the session."""
    arn = str(args.get("arn"))
    match = re.fullmatch(r"arn:(aws[a-z-]*):sts::(\d{12}):assumed-role/(.+)/([^/]+)", arn)
    if match is None:  # an IAM user or role ARN is its own issuer
        return {"id": arn, "arn": arn, "issuerArn": arn, "issuerId": "", "issuerName": "", "sessionName": ""}
    partition, owner, role, session = match.groups()
    return {
        "id": arn,
        "arn": arn,
        "issuerArn": f"arn:{partition}:iam::{owner}:role/{role}",
        "issuerId": "AROA" + _digest("role", role, length=17).upper(),
        "issuerName": role,
        "sessionName": session,
    }


_INVOKES: dict[str, Invoke] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda args, region, account: {
        "accountId": account,
        "arn": f"arn:aws:sts::{account}:assumed-role/platform-deployer/preflight",
        "userId": "AROA" + _digest("caller", account, length=17).upper() + ":preflight",
        "id": account,
    },
    "aws:index/getRegion:getRegion": lambda args, region, account: {
        "id": region,
        "name": region,
        "region": region,
        "description": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
    },
    "aws:index/getPartition:getPartition": lambda args, region, account: {
        "id": "aws",
        "partition": "aws",
        "dnsSuffix": "amazonaws.com",
        "reverseDnsPrefix": "com.amazonaws",
    },
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:eks/getAddonVersion:getAddonVersion": _addon_version,
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
    "aws:iam/getSessionContext:getSessionContext": _session_context,
}

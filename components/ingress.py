"""PublicIngress: a region's public entry, Traefik behind an AWS Network Load Balancer.

Why Traefik: ingress-nginx was retired by the Kubernetes project in 2026 (no more security
fixes), and Traefik's chart already runs under the Pod Security `restricted` profile (non-root,
read-only root filesystem, no capabilities; it listens on 8000/8443, so it needs no
NET_BIND_SERVICE). The chart is pinned to 41.3.0, whose values schema the tests validate every
value against (the schema rejects unknown keys, so Helm would refuse the install otherwise).

The path of a request:
- `api.<domain>` / `primary.<domain>` -> the NLB's TLS listener on 443, which terminates TLS with
  this region's ACM certificate for both names (validated in the stack's Route 53 zone,
  components/certificates.py); security policy ELBSecurityPolicy-TLS13-1-2-2021-06: TLS 1.3 and
  1.2, which Route 53's HTTPS health checks need (they speak TLS 1.0-1.2);
- -> Traefik's `web` entry point (8000) on the pods' own IPs (target type `ip`, no NodePorts);
  the hop stays inside the VPC, and the only certificate anyone sees is ACM's;
- -> the backends' Ingresses.

The NLB comes from the AWS Load Balancer Controller (components/load_balancer_controller.py),
not the in-tree cloud provider: the Service says `aws-load-balancer-type: external`, which the
in-tree provider ignores and the controller takes (kubernetes-sigs/aws-load-balancer-controller
`docs/guide/service/nlb.md` and `annotations.md`, v3.5.0). The Service is the component's own
(the chart's is off), so the policy pack sees it and Pulumi waits for its hostname.

Health: the NLB checks each Traefik pod on `GET /ping` at the `traefik` entry point (8080, what
the chart's own probes use); Route 53 checks the region on the backends' health path through the
whole path above (components/dns.py).
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import pulumi
import pulumi_kubernetes as k8s

from eksplatform.components.certificates import validated_certificate
from eksplatform.components.cluster import NODE_GROUP_LABEL, SYSTEM_GROUP
from eksplatform.components.dns import (
    DEFAULT_HEALTH_PATH,
    certificate_domain_problem,
    entry_names,
    health_path_problem,
)
from eksplatform.components.facts import LATENCY_BUCKETS_SECONDS, SUPPORTED_KUBERNETES_VERSIONS
from eksplatform.components.inputs import ArgsError, check_fields, to_args
from eksplatform.components.kubernetes_names import dns_label_problem
from eksplatform.components.load_balancer_controller import AwsLoadBalancerController, AwsLoadBalancerControllerArgs
from eksplatform.components.load_balancer_controller_policy import CONTROLLER_VERSION as CONTROLLER_CHART_VERSION_TAG
from eksplatform.components.network_policy_peers import DNS_PORTS, KUBE_DNS, api_server, default_deny
from eksplatform.components.pod_security_labels import restricted_namespace_labels

DEFAULT_NAMESPACE = "ingress"
DEFAULT_REPLICAS = 2
# A registry host (with an optional port) and path, as an image reference's prefix.
_REGISTRY = re.compile(r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$")

CHART = "traefik"
CHART_VERSION = "41.3.0"  # Traefik v3.7.11; tests validate the values against this version's schema
CHART_REPOSITORY = "https://traefik.github.io/charts"
RELEASE_NAME = "traefik"
SERVICE_NAME = "public"
HTTPS_PORT = 443
# The chart's entry points and the container ports it gives them (values.yaml `ports`).
TRAFFIC_PORT_NAME = "web"
TRAFFIC_PORT = 8000
PING_PORT = 8080  # the `traefik` entry point, where the chart serves /ping to its probes
PING_PATH = "/ping"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
# Draining without dropping requests (pod rollouts, node drains): the controller's readiness gate
# keeps a new pod un-Ready until the NLB has registered it healthy, so a rollout never runs ahead
# of the targets (aws-load-balancer-controller `docs/deploy/pod_readiness_gate.md`; it is injected
# in namespaces with this label, at pod creation, while the controller's webhook runs). A
# terminating pod keeps serving for PRE_STOP_SLEEP_SECONDS while the NLB deregisters it (the
# deregistration delay, 30 s, lets open connections finish), then Traefik accepts for a few more
# seconds and finishes in-flight requests; the grace period covers all of it.
READINESS_GATE_LABEL = "elbv2.k8s.aws/pod-readiness-gate-inject"
PRE_STOP_SLEEP_SECONDS = 30  # Kubernetes' `sleep` lifecycle handler (GA in 1.34, on by default since 1.30)
DEREGISTRATION_DELAY_SECONDS = 30
REQUEST_ACCEPT_GRACE_SECONDS = 5
GRACE_TIMEOUT_SECONDS = 10
TERMINATION_GRACE_PERIOD_SECONDS = 60
assert TERMINATION_GRACE_PERIOD_SECONDS > PRE_STOP_SLEEP_SECONDS + REQUEST_ACCEPT_GRACE_SECONDS + GRACE_TIMEOUT_SECONDS
# The entry's images, as repositories below the region's ECR registry (the platform creates them,
# like the cluster-autoscaler's; docs/upgrades.md, "Images", says how they are copied there):
# the stack's `images-kubernetes-allowed-registries` admits only its account's ECR, and cannot see
# the images a Helm release renders. Tags: Traefik 41.3.0's appVersion, the controller chart's.
TRAEFIK_IMAGE = ("traefik", "v3.7.11")
CONTROLLER_IMAGE = ("aws-load-balancer-controller", CONTROLLER_CHART_VERSION_TAG)
ENTRY_IMAGES = (TRAEFIK_IMAGE, CONTROLLER_IMAGE)
# Where they come from upstream (the copy's source; and the images used without an ECR registry).
UPSTREAM_REGISTRIES = {TRAEFIK_IMAGE[0]: "docker.io", CONTROLLER_IMAGE[0]: "public.ecr.aws/eks"}


def entry_images(registry: str | None) -> dict[str, str]:
    """Per repository name, the full image reference the entry runs from `registry` (or upstream)."""
    return {name: f"{registry or UPSTREAM_REGISTRIES[name]}/{name}:{tag}" for name, tag in ENTRY_IMAGES}


class IngressArgsError(ArgsError):
    """Bad PublicIngress arguments; the message starts with the field (`args.health_path`)."""


@dataclass(frozen=True, kw_only=True)
class PublicIngressArgs:
    """The cluster, network and domain of one region's public entry (the Kubernetes provider comes
    in `opts.providers`, beside the region's AWS provider)."""

    kubernetes_version: str
    """The cluster's minor version (`1.34`): the namespace's Pod Security level is pinned to it."""
    cluster_name: pulumi.Input[str]
    """The EKS cluster's name: the load balancer controller manages its load balancers by it."""
    vpc_id: pulumi.Input[str]
    """The cluster's VPC (the controller's target groups live there)."""
    vpc_cidr: pulumi.Input[str]
    """The VPC's CIDR (the API server's ENIs, the control plane's webhook calls)."""
    public_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Where the internet-facing NLB goes: one public subnet per zone."""
    public_subnet_cidrs: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Their CIDRs: the NLB's addresses, the only sources Traefik's pods admit."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider: the controller's role trusts it (IRSA)."""
    oidc_provider_url: pulumi.Input[str]
    """Its issuer URL."""
    domain: str
    """The stack's domain: the certificate covers `api.<domain>` and `primary.<domain>`."""
    zone_id: pulumi.Input[str]
    """The Route 53 zone of `domain`, where the certificate is validated."""
    tags: Mapping[str, str] | None = None
    """Tags for what the load balancer controller creates (the provider's default tags do not reach
    it). Default: none."""
    health_path: str | None = None
    """The backends' health path on this entry (Route 53's checks request it). Default: /healthz."""
    namespace: str | None = None
    """The entry's namespace, created here with Pod Security `restricted`. Default: ingress."""
    replicas: int | None = None
    """Traefik pods, spread over zones; a disruption budget keeps all but one up. Default: 2."""
    controller_replicas: int | None = None
    """AWS Load Balancer Controller pods. Default: 2."""
    backend_namespaces: Sequence[str] | None = None
    """Namespaces whose pods Traefik may forward to (the backends behind its Ingresses). Default: none."""
    image_registry: str | None = None
    """The ECR registry prefix (`<account>.dkr.ecr.<region>.amazonaws.com/platform`) that holds the
    entry's images (`traefik`, `aws-load-balancer-controller`). Default: their upstream registries."""

    def __post_init__(self) -> None:
        check_fields(self, IngressArgsError)  # an Output or wrong type, named
        if self.kubernetes_version not in SUPPORTED_KUBERNETES_VERSIONS:
            _fail("kubernetes_version", f"{self.kubernetes_version!r}: use one of {SUPPORTED_KUBERNETES_VERSIONS}")
        problem = certificate_domain_problem(self.domain)
        if problem:
            _fail("domain", problem)
        for setting in ("replicas", "controller_replicas"):
            if getattr(self, f"resolved_{setting}") < 1:
                _fail(setting, f"{getattr(self, setting)}: at least 1")
        problem = health_path_problem(self.resolved_health_path)
        if problem:
            _fail("health_path", problem)
        if self.resolved_health_path == PING_PATH:
            _fail("health_path", f"{PING_PATH}: Traefik answers it itself; name a path the backends answer")
        problem = dns_label_problem(self.resolved_namespace)
        if problem:
            _fail("namespace", problem)
        for index, backend in enumerate(self.resolved_backend_namespaces):
            problem = dns_label_problem(backend)
            if problem:
                _fail(f"backend_namespaces[{index}]", problem)
        problem = None if self.image_registry is None else registry_prefix_problem(self.image_registry)
        if problem:
            _fail("image_registry", problem)

    @property
    def resolved_health_path(self) -> str:
        return DEFAULT_HEALTH_PATH if self.health_path is None else self.health_path

    @property
    def resolved_namespace(self) -> str:
        return self.namespace or DEFAULT_NAMESPACE

    @property
    def resolved_replicas(self) -> int:
        return DEFAULT_REPLICAS if self.replicas is None else self.replicas

    @property
    def resolved_controller_replicas(self) -> int:
        return DEFAULT_REPLICAS if self.controller_replicas is None else self.controller_replicas

    @property
    def resolved_backend_namespaces(self) -> Sequence[str]:
        return self.backend_namespaces or ()

    @property
    def resolved_tags(self) -> Mapping[str, str]:
        return self.tags or {}


def registry_prefix_problem(prefix: str) -> str | None:
    """Why `prefix` is not an image registry prefix (`host[:port][/path]`), or None."""
    return None if _REGISTRY.fullmatch(prefix) else f"{prefix!r} is not a registry prefix (host[:port][/path])"


def _fail(field: str, message: str) -> NoReturn:
    raise IngressArgsError(f"args.{field}: {message}")


def _instance(args: PublicIngressArgs) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "traefik",
        "app.kubernetes.io/instance": f"{RELEASE_NAME}-{args.resolved_namespace}",
    }


def chart_values(args: PublicIngressArgs) -> dict[str, Any]:
    """Hardened values for the Traefik chart 41.3.0 (tests validate them against its values.schema.json)."""
    registry, repository = entry_images(args.image_registry)[TRAEFIK_IMAGE[0]].rsplit(":", 1)[0].split("/", 1)
    return {
        # The chart renders `registry/repository:tag` (41.3.0 schema: `image.registry`, `repository`, `tag`).
        "image": {"registry": registry, "repository": repository, "tag": TRAEFIK_IMAGE[1]},
        "deployment": {
            "replicas": args.resolved_replicas,
            # 41.3.0 schema: `deployment.lifecycle` (object), `deployment.terminationGracePeriodSeconds` (integer).
            "lifecycle": {"preStop": {"sleep": {"seconds": PRE_STOP_SLEEP_SECONDS}}},
            "terminationGracePeriodSeconds": TERMINATION_GRACE_PERIOD_SECONDS,
        },
        "ports": {
            TRAFFIC_PORT_NAME: {
                # Traefik's entry point lifeCycle: keep accepting after SIGTERM, then finish what is in flight.
                "transport": {
                    "lifeCycle": {
                        "requestAcceptGraceTimeout": f"{REQUEST_ACCEPT_GRACE_SECONDS}s",
                        "graceTimeOut": f"{GRACE_TIMEOUT_SECONDS}s",
                    }
                }
            }
        },
        "podDisruptionBudget": {"enabled": args.resolved_replicas > 1, "maxUnavailable": 1},
        # Not the default class: only Ingresses that name `traefik` are public (an Ingress without a
        # class stays private instead of landing on the internet-facing entry by accident).
        "ingressClass": {"enabled": True, "isDefaultClass": False, "name": "traefik"},
        "service": {"enabled": False},  # the NLB Service is the component's own
        # No Gateway API objects: the Gateway provider is off, and nothing should render them.
        "gateway": {"enabled": False},
        "gatewayClass": {"enabled": False},
        # Reach: Ingresses only, only in the backends' namespaces (and its own, where its Service is);
        # no CRD provider (no IngressRoute is used). `rbac.namespaced` stays off: the chart then needs
        # every watched namespace to exist at install (it makes a Role in each) and cannot serve an
        # IngressClass (41.3.0 values.yaml `rbac.namespaced`), and the backend's namespace is the backend's.
        "providers": {
            "kubernetesCRD": {"enabled": False},
            "kubernetesIngress": {
                "namespaces": [args.resolved_namespace, *args.resolved_backend_namespaces],
                "publishedService": {"enabled": True, "pathOverride": f"{args.resolved_namespace}/{SERVICE_NAME}"},
            },
        },
        # No dashboard or API on any entry point; no version checks or usage reports.
        "api": {"dashboard": False},
        "global": {"checkNewVersion": False, "sendAnonymousUsage": False},
        # /ping stays on the internal `traefik` entry point (the NLB's target check); no public route to it.
        "ingressRoute": {"healthcheck": {"enabled": False}, "dashboard": {"enabled": False}},
        # Latency buckets with an edge at each p95 threshold (41.3.0 schema: `metrics.prometheus.buckets`,
        # a comma-separated string; Traefik's default 0.1,0.3,1.2,5.0).
        "metrics": {"prometheus": {"buckets": ",".join(f"{edge:g}" for edge in LATENCY_BUCKETS_SECONDS)}},
        "log": {"level": "INFO", "format": "json"},
        "accessLog": {"enabled": True, "format": "json"},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
        "nodeSelector": {NODE_GROUP_LABEL: SYSTEM_GROUP},
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": _instance(args)},
            }
        ],
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def network_policies(args: PublicIngressArgs) -> dict[str, dict[str, Any]]:
    """Deny everything in the namespace, then exactly what Traefik needs: the NLB in (its nodes sit in
    the public subnets; targets of type ip see the NLB's addresses, client IPs are not kept) on the
    traffic and health-check ports; out to the backends, CoreDNS and the API server (Ingresses)."""
    from_nlb = pulumi.Output.from_input(args.public_subnet_cidrs).apply(
        lambda cidrs: [{"ipBlock": {"cidr": str(cidr)}} for cidr in cidrs]
    )
    backends = [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}
        for namespace in args.resolved_backend_namespaces
    ]
    return {
        "default-deny-all": default_deny(),
        "traefik": {
            "podSelector": {"matchLabels": _instance(args)},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {
                    "from": from_nlb,
                    "ports": [{"protocol": "TCP", "port": port} for port in (TRAFFIC_PORT, PING_PORT)],
                }
            ],
            "egress": [
                *([{"to": backends}] if backends else []),
                {"to": [KUBE_DNS], "ports": DNS_PORTS},
                api_server(args.vpc_cidr),
            ],
        },
    }


def service_annotations(
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]], certificate_arn: pulumi.Input[str]
) -> dict[str, pulumi.Input[str]]:
    """What the AWS Load Balancer Controller reads (`docs/guide/service/annotations.md`, v3.5.0)."""
    prefix = "service.beta.kubernetes.io/aws-load-balancer-"
    return {
        # `external`: the in-tree provider ignores the Service; the controller provisions the NLB.
        f"{prefix}type": "external",
        # Targets are the pods' IPs (the VPC CNI gives pods VPC addresses): no NodePort hop.
        f"{prefix}nlb-target-type": "ip",
        # The controller's default is `internal`.
        f"{prefix}scheme": "internet-facing",
        # Named, not discovered by subnet tags: each subnet in a different zone (a rule of the annotation).
        f"{prefix}subnets": pulumi.Output.from_input(subnet_ids).apply(lambda ids: ",".join(str(i) for i in ids)),
        f"{prefix}ssl-cert": certificate_arn,
        f"{prefix}ssl-ports": "https",
        f"{prefix}ssl-negotiation-policy": TLS_POLICY,
        # TLS ends at the NLB; the targets get TCP (the annotation's default, written down).
        f"{prefix}backend-protocol": "tcp",
        f"{prefix}healthcheck-protocol": "http",
        f"{prefix}healthcheck-port": str(PING_PORT),
        f"{prefix}healthcheck-path": PING_PATH,
        f"{prefix}healthcheck-interval": "10",
        f"{prefix}healthcheck-timeout": "6",
        f"{prefix}healthcheck-healthy-threshold": "2",
        f"{prefix}healthcheck-unhealthy-threshold": "2",
        f"{prefix}attributes": "load_balancing.cross_zone.enabled=true",
        # Open connections get this long to finish once a target leaves (the default is 300 s).
        f"{prefix}target-group-attributes": f"deregistration_delay.timeout_seconds={DEREGISTRATION_DELAY_SECONDS}",
    }


class PublicIngress(pulumi.ComponentResource):
    """A region's public entry: the certificate, the load balancer controller, Traefik and the NLB in front of it.

    Providers come in `opts.providers`: the region's AWS provider (certificate, controller role) and
    the cluster's Kubernetes provider (everything on the cluster); every child inherits them."""

    hostname: pulumi.Output[str]
    """The NLB's DNS name: the region's public endpoint."""
    certificate_arn: pulumi.Output[str]
    """The issued ACM certificate the NLB's listener serves."""
    health_path: str
    """The path Route 53's health checks request on this entry (the backends answer it)."""

    def __init__(self, name: str, args: PublicIngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = to_args(PublicIngressArgs, args)  # other languages pass a dict (docs/other-languages.md)
        super().__init__("platform:index:PublicIngress", name, None, opts)
        kubernetes_provider = self.get_provider("kubernetes::")
        if kubernetes_provider is None:
            # Without one the Kubernetes parts would use the default provider, which our stacks disable.
            raise IngressArgsError(
                "opts.providers: give the cluster's Kubernetes provider beside the region's AWS provider"
            )
        namespace_name = args.resolved_namespace
        self.health_path = args.resolved_health_path
        api_name, writer_name = entry_names(args.domain)
        certificate = validated_certificate(
            f"{name}-certificate",
            domain_name=api_name,
            alternative_names=[writer_name],
            zone_id=args.zone_id,
            parent=self,
        )
        self.certificate_arn = certificate.certificate_arn
        self.controller = AwsLoadBalancerController(
            f"{name}-lb-controller",
            AwsLoadBalancerControllerArgs(
                kubernetes_provider=kubernetes_provider,
                kubernetes_version=args.kubernetes_version,
                cluster_name=args.cluster_name,
                vpc_id=args.vpc_id,
                vpc_cidr=args.vpc_cidr,
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_provider_url=args.oidc_provider_url,
                tags=args.resolved_tags,
                replicas=args.resolved_controller_replicas,
                image=entry_images(args.image_registry)[CONTROLLER_IMAGE[0]],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Kubernetes children take the cluster's provider from this component's providers.
        on_cluster = pulumi.ResourceOptions(parent=self)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": namespace_name,
                "labels": {**restricted_namespace_labels(args.kubernetes_version), READINESS_GATE_LABEL: "enabled"},
            },
            opts=on_cluster,
        )
        in_namespace = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[namespace]))
        policies = [
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy_name}",
                metadata={"name": policy_name, "namespace": namespace_name},
                spec=spec,
                opts=in_namespace,
            )
            for policy_name, spec in network_policies(args).items()
        ]
        self.release = k8s.helm.v3.Release(
            f"{name}-traefik",
            name=RELEASE_NAME,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=namespace_name,
            values=chart_values(args),
            atomic=True,  # a failed upgrade rolls back instead of leaving a half-applied release
            cleanup_on_fail=True,
            timeout=600,
            # The controller's pod webhook injects the readiness gates: it must run before Traefik's pods.
            opts=pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[namespace, *policies, self.controller.release])
            ),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-nlb",
            metadata={
                "name": SERVICE_NAME,
                "namespace": namespace_name,
                "annotations": service_annotations(args.public_subnet_ids, certificate.certificate_arn),
            },
            spec={
                "type": "LoadBalancer",
                # Targets are pod IPs: no NodePorts are needed, so none is opened on the nodes.
                "allocateLoadBalancerNodePorts": False,
                "selector": _instance(args),
                "ports": [{"name": "https", "port": HTTPS_PORT, "targetPort": TRAFFIC_PORT_NAME, "protocol": "TCP"}],
            },
            # The controller must run before the Service exists (it provisions the NLB) and after it
            # is gone (it deletes the NLB): depending on its release orders both.
            opts=pulumi.ResourceOptions.merge(
                on_cluster,
                pulumi.ResourceOptions(depends_on=[self.release, self.controller.release, certificate]),
            ),
        )
        self.hostname = self.service.status.apply(lambda status: str(status.load_balancer.ingress[0].hostname))
        self.register_outputs(
            {"hostname": self.hostname, "certificateArn": self.certificate_arn, "healthPath": self.health_path}
        )

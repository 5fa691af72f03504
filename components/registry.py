"""ImageRegistry: the ECR repositories the platform's images live in, in one region.

One private repository per image the region runs from its own account's ECR (each language
service, and the cluster autoscaler), each with:
- scan on push (basic scanning reports known CVEs of every pushed image);
- IMMUTABLE tags, so a tag always names the image that was tested under it;
- encryption with a customer-managed key of the region (ECR creates a grant on the key when it
  creates a repository; ECR user guide, "Encryption at rest");
- a lifecycle policy: untagged images expire after a week, and at most `keep_images` images stay
  ("A rule with a tagStatus value of any must have the highest value for rulePriority",
  ECR user guide, "Lifecycle policy properties").

Every region builds the same repositories, so replicated images land in repositories with these
settings instead of ones ECR would create with its defaults. `replicate(...)` makes the registry's
replication configuration in the primary region, once every region's repositories exist: there
is one per registry, that is per account (`PutReplicationConfiguration` replaces the whole
configuration), and it copies every push to the other regions.
"""

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from eksplatform.components.aws_context import AwsContext
from eksplatform.components.facts import ECR_REGISTRY
from eksplatform.components.inputs import ArgsError, check_fields, to_args
from eksplatform.components.kms import customer_managed_key
from eksplatform.environments import profile

# The secure default is production's: a deleted repository loses its images.
DEFAULT_PROTECT = profile("prod").protect_resources

# ECR repository names (ECR API reference, CreateRepository, repositoryName): 2-256 characters.
_REPOSITORY_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
# ECR: a replication configuration holds at most 10 rules of at most 25 destinations and 100
# repository filters each (ECR API reference, ReplicationConfiguration / ReplicationRule).
MAX_DESTINATIONS = 25
MAX_FILTERS = 100
DEFAULT_KEEP_IMAGES = 50
DEFAULT_UNTAGGED_EXPIRY_DAYS = 7


class ImageRegistryError(ArgsError):
    """Bad ImageRegistry arguments; the message names the argument."""


def ecr_repository(image: str) -> tuple[str, str, str] | None:
    """`(account, region, repository)` of an image in a private ECR registry, else None."""
    match = ECR_REGISTRY.fullmatch(image)
    if match is None:
        return None
    path = match["path"].split("@", 1)[0]
    repository = path.rsplit(":", 1)[0] if ":" in path else path
    return match["account"], match["region"], repository


@dataclass(frozen=True, kw_only=True)
class ImageRegistryArgs:
    """The repositories of one region's registry and how long their images stay."""

    # A setting with a default is typed `X | None = None` (None: the default): Pulumi's component
    # analyzer marks an input optional only when its type admits None (docs/other-languages.md).
    repositories: Sequence[str]
    """Repository names, e.g. `platform/lang-python`."""
    keep_images: int | None = None
    """Images each repository keeps (the newest); older ones expire. Default: 50."""
    untagged_expiry_days: int | None = None
    """Untagged images (left behind by failed or superseded pushes) expire after this many days. Default: 7."""
    protect: bool | None = None
    """Pulumi `protect` on the repositories and their key: a deleted repository loses its images.
    Default: true (production's setting; a dev stack passes false)."""

    def __post_init__(self) -> None:
        check_fields(self, ImageRegistryError)  # an Output or wrong type, named
        if not self.repositories:
            raise ImageRegistryError("args.repositories: list at least one repository")
        for index, name in enumerate(self.repositories):
            if not 2 <= len(name) <= 256 or not _REPOSITORY_NAME.fullmatch(name):
                raise ImageRegistryError(
                    f"args.repositories[{index}]: {name!r} is not an ECR repository name (lowercase letters, "
                    "digits, '.', '_', '-' and '/' between parts, 2-256 characters)"
                )
        if len(set(self.repositories)) != len(self.repositories):
            raise ImageRegistryError(f"args.repositories: {list(self.repositories)} names a repository twice")
        if len(self.repositories) > MAX_FILTERS:
            raise ImageRegistryError(
                f"args.repositories: one replication rule filters at most {MAX_FILTERS} repositories"
            )
        if self.kept_images < 1:
            raise ImageRegistryError("args.keep_images: keep at least 1 image")
        if self.untagged_expiry < 1:
            raise ImageRegistryError("args.untagged_expiry_days: at least 1 day")

    @property
    def protected(self) -> bool:
        return DEFAULT_PROTECT if self.protect is None else self.protect

    @property
    def kept_images(self) -> int:
        return DEFAULT_KEEP_IMAGES if self.keep_images is None else self.keep_images

    @property
    def untagged_expiry(self) -> int:
        return DEFAULT_UNTAGGED_EXPIRY_DAYS if self.untagged_expiry_days is None else self.untagged_expiry_days


def lifecycle_policy(keep_images: int, untagged_expiry_days: int) -> str:
    """The lifecycle policy JSON every repository gets."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {untagged_expiry_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_expiry_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    # `any` must come last (the highest rulePriority).
                    "rulePriority": 2,
                    "description": f"Keep the newest {keep_images} images",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
                    "action": {"type": "expire"},
                },
            ]
        },
        sort_keys=True,
    )


class ImageRegistry(pulumi.ComponentResource):
    """ECR repositories for the platform's images in one region (and, in the primary, replication)."""

    repository_arns: dict[str, pulumi.Output[str]]
    """By repository name."""
    repository_urls: dict[str, pulumi.Output[str]]
    """By repository name: `<account>.dkr.ecr.<region>.amazonaws.com/<name>`."""
    key_arn: pulumi.Output[str]
    """The CMK that encrypts the repositories."""

    def __init__(self, name: str, args: ImageRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = to_args(ImageRegistryArgs, args)  # other languages pass a dict (docs/other-languages.md)
        super().__init__("platform:index:ImageRegistry", name, None, opts)
        protect = args.protected
        context = AwsContext.of(self)
        self.key = customer_managed_key(
            f"{name}-key",
            description="Encrypts the platform's container images in ECR",
            context=context,
            parent=self,
            alias=f"{name}/ecr",
            protect=protect,
        )
        policy = lifecycle_policy(args.kept_images, args.untagged_expiry)
        self.repositories: dict[str, aws.ecr.Repository] = {}
        for repository in args.repositories:
            suffix = repository.replace("/", "-")
            created = aws.ecr.Repository(
                f"{name}-{suffix}",
                name=repository,
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=self.key.arn)
                ],
                # Deleting a repository with images fails unless forced: never force.
                force_delete=False,
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{suffix}-lifecycle",
                repository=created.name,
                policy=policy,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.repositories[repository] = created

        self.repository_arns = {key: repository.arn for key, repository in self.repositories.items()}
        self.repository_urls = {key: repository.repository_url for key, repository in self.repositories.items()}
        self.key_arn = self.key.arn
        self.register_outputs(
            {"repositoryArns": self.repository_arns, "repositoryUrls": self.repository_urls, "keyArn": self.key_arn}
        )


def replicate(
    name: str,
    *,
    repositories: Sequence[str],
    replica_regions: Sequence[str],
    account: pulumi.Input[str],
    registries: Sequence[ImageRegistry],
    opts: pulumi.ResourceOptions,
) -> aws.ecr.ReplicationConfiguration:
    """The account's replication configuration: every push to `repositories` goes to each replica region.

    Pass the primary region's provider in `opts`. It waits for every region's `registries`, so a
    replicated image never arrives before the repository (and key) it belongs in.
    """
    if not replica_regions:
        raise ImageRegistryError("replica_regions: list at least one region to replicate to")
    if len(replica_regions) > MAX_DESTINATIONS:
        raise ImageRegistryError(f"replica_regions: ECR replicates to at most {MAX_DESTINATIONS} destinations")
    return aws.ecr.ReplicationConfiguration(
        name,
        replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
            rules=[
                aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs(
                    destinations=[
                        aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                            region=region, registry_id=account
                        )
                        for region in replica_regions
                    ],
                    repository_filters=[
                        aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                            filter=repository, filter_type="PREFIX_MATCH"
                        )
                        for repository in repositories
                    ],
                )
            ]
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=list(registries))),
    )


def repository_arn(partition: str, region: str, account: str, repository: str) -> str:
    return f"arn:{partition}:ecr:{region}:{account}:repository/{repository}"


def repositories_by_region(images: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Repository names per region from each region's ECR image references (others are skipped)."""
    found: dict[str, list[str]] = {}
    for region, references in images.items():
        names: list[str] = []
        for image in references:
            parsed = ecr_repository(image)
            if parsed is not None and parsed[2] not in names:
                names.append(parsed[2])
        found[region] = names
    return found

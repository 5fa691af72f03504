"""The explicit providers: AWS per region, and `random` for generated passwords.

Default providers are disabled for the project (Pulumi.yaml), so every resource must be given
its provider: AWS resources the provider of their own region, `random` resources (the data
stores' generated passwords) a `random.Provider`. Pass both to a component with
`ResourceOptions(providers=[aws_provider, random_provider])`; children inherit them.

Tags set here as default tags reach every taggable resource the AWS provider creates, so
components never repeat them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from eksplatform.components.offline import SKIP_PROVIDER_CALLS


def regional_aws_provider(
    name: str,
    *,
    region: str,
    tags: Mapping[str, str],
    allowed_account_ids: Sequence[str] = (),
    parent: pulumi.Resource | None = None,
    unreachable: bool = False,
    sts_region: str | None = None,
) -> aws.Provider:
    """An `aws.Provider` pinned to `region`, tagging everything it creates with `tags`.

    `allowed_account_ids` makes the provider refuse to act in any other account, so a stack
    configured for prod cannot be applied with dev credentials (or the other way round).
    `unreachable`: the region is down (config `unreachableRegions`), so the provider skips the
    region check and asks `sts_region` (a healthy region) for the credential and account checks.
    """
    skips: dict[str, object] = dict(SKIP_PROVIDER_CALLS) if unreachable else {}
    if unreachable and sts_region is not None:
        skips["sts_region"] = sts_region
    return aws.Provider(
        name,
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(tags)),
        allowed_account_ids=list(allowed_account_ids) or None,
        **skips,
        opts=pulumi.ResourceOptions(parent=parent),
    )


def random_provider(name: str = "random", parent: pulumi.Resource | None = None) -> random.Provider:
    """The explicit provider for `pulumi_random` resources (one per program is enough)."""
    return random.Provider(name, opts=pulumi.ResourceOptions(parent=parent))

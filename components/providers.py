"""The explicit AWS provider of one region.

Default providers are disabled for the project (Pulumi.yaml), so every AWS resource must be
given the provider of its own region. Tags set here as default tags reach every taggable
resource the provider creates, so components never repeat them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws


def regional_aws_provider(
    name: str,
    *,
    region: str,
    tags: Mapping[str, str],
    allowed_account_ids: Sequence[str] = (),
    parent: pulumi.Resource | None = None,
) -> aws.Provider:
    """An `aws.Provider` pinned to `region`, tagging everything it creates with `tags`.

    `allowed_account_ids` makes the provider refuse to act in any other account, so a stack
    configured for prod cannot be applied with dev credentials (or the other way round).
    """
    return aws.Provider(
        name,
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(tags)),
        allowed_account_ids=list(allowed_account_ids) or None,
        opts=pulumi.ResourceOptions(parent=parent),
    )
